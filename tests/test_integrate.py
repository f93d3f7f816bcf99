"""ember.integrate and em.distributions.Uniform's Monte Carlo use, checked against SciPy."""

import math
import warnings

import numpy as np
import pytest

import ember as em

si = pytest.importorskip("scipy.integrate", reason="scipy is the oracle for ember.integrate")

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 10, 11])
@pytest.mark.parametrize("spacing", ["even", "uneven"])
def test_trapezoid_and_simpson_match_scipy(n, spacing):
    x = np.linspace(0, 2, n) if spacing == "even" else np.sort(RNG.uniform(0, 2, n))
    y = np.sin(3 * x) + x ** 2
    yt = em.tensor(y, dtype="float64")
    assert abs(em.integrate.trapezoid(yt, x).item() - si.trapezoid(y, x)) < 1e-13
    assert abs(em.integrate.simpson(yt, x=x).item() - si.simpson(y, x=x)) < 1e-13
    assert abs(em.integrate.simpson(yt, dx=0.3).item() - si.simpson(y, dx=0.3)) < 1e-13
    assert abs(em.integrate.trapezoid(yt, dx=0.3).item() - si.trapezoid(y, dx=0.3)) < 1e-13


def test_rules_along_an_axis_with_x_of_y_shape():
    y = RNG.normal(size=(4, 7, 3))
    x = np.sort(RNG.uniform(0, 1, (4, 7, 3)), axis=1)
    for axis in (0, 1, -1):
        xs = x if axis == 1 else None
        np.testing.assert_allclose(
            em.integrate.simpson(em.tensor(y, dtype="float64"), x=xs, axis=axis).numpy(),
            si.simpson(y, x=xs, axis=axis), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(
            em.integrate.trapezoid(em.tensor(y, dtype="float64"), x=xs, axis=axis).numpy(),
            si.trapezoid(y, x=xs, axis=axis), rtol=1e-12, atol=1e-13)


def test_rules_are_differentiable_in_y():
    y = em.tensor(RNG.normal(size=9), dtype="float64", requires_grad=True)
    em.integrate.simpson(y, dx=0.5).backward()
    eye = np.eye(9)
    np.testing.assert_allclose(y.grad.numpy(), [si.simpson(e, dx=0.5) for e in eye])
    assert em.integrate.trapezoid(em.tensor([1.0, 2.0], dtype="float32")).data.dtype == np.float32


def test_rules_report_bad_input():
    with pytest.raises(ValueError, match="simpson: x has 3 points but y has 4"):
        em.integrate.simpson(em.tensor([1.0, 2.0, 3.0, 4.0]), x=[0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="trapezoid: y must have at least one axis"):
        em.integrate.trapezoid(em.tensor(1.0))


CASES = [
    (lambda x: em.exp(-x * x), lambda x: np.exp(-x * x), -np.inf, np.inf),
    (lambda x: em.sin(x) ** 2, lambda x: np.sin(x) ** 2, 0.0, 10.0),
    (lambda x: 1 / (1 + x * x), lambda x: 1 / (1 + x * x), 0.0, np.inf),
    (lambda x: em.exp(x), np.exp, -np.inf, 1.0),
    (lambda x: em.sqrt(x), np.sqrt, 0.0, 1.0),           # a kink in the derivative at 0
    (lambda x: em.abs(x - 0.3), lambda x: np.abs(x - 0.3), 0.0, 1.0),
    (lambda x: em.log(x), np.log, 0.0, 1.0),             # integrable singularity
    (lambda x: x ** 3, lambda x: x ** 3, 2.0, -1.0),     # reversed limits
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_quad_matches_scipy(case):
    f_em, f_np, a, b = CASES[case]
    value, err = em.integrate.quad(f_em, a, b)
    ref, _ = si.quad(f_np, a, b)
    assert abs(value - ref) <= max(1.49e-8, 1.49e-8 * abs(ref)) * 10
    assert abs(value - ref) <= err + 1e-12  # the error estimate bounds the true error


def test_quad_takes_args_and_functions_of_a_number():
    value, _ = em.integrate.quad(lambda x, k: em.cos(k * x), 0.0, 1.0, args=(2.0,))
    assert abs(value - math.sin(2.0) / 2) < 1e-12
    value, _ = em.integrate.quad(math.sin, 0.0, math.pi)  # called point by point
    assert abs(value - 2.0) < 1e-12
    assert em.integrate.quad(math.sin, 1.0, 1.0) == (0.0, 0.0)


def test_quad_warns_when_it_cannot_meet_the_tolerance():
    with pytest.warns(UserWarning, match="quad: the error estimate .* after 3 subintervals"):
        em.integrate.quad(lambda x: em.sin(1 / x), 1e-3, 1.0, limit=3)
    with pytest.raises(ValueError, match="quad: the integrand gave non-finite values"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            em.integrate.quad(em.log, -1.0, 1.0)  # log of negative numbers: NaN


def test_monte_carlo_agrees_with_scipy_within_its_error():
    r = em.integrate.monte_carlo(lambda x: em.exp(-x * x), -2.0, 2.0, n=50_000, seed=0)
    ref, _ = si.quad(lambda x: np.exp(-x * x), -2, 2)
    assert abs(r.integral - ref) < 4 * r.standard_error
    assert r.standard_error < 0.01
    # a 3-D box, one row per point: the volume of the unit ball's part in [0, 1]^3 is pi / 6
    ball = em.integrate.monte_carlo(lambda p: ((p ** 2).sum(axis=1) <= 1).astype("float64"),
                                    [0, 0, 0], [1, 1, 1], n=40_000, seed=1)
    ref3, _ = si.tplquad(lambda z, y, x: 1.0, 0, 1, 0, lambda x: math.sqrt(1 - x * x),
                         0, lambda x, y: math.sqrt(max(0.0, 1 - x * x - y * y)))
    assert abs(ball.integral - ref3) < 4 * ball.standard_error
    integral, se = ball  # unpacks as a pair
    assert se > 0
    again = em.integrate.monte_carlo(lambda x: em.exp(-x * x), -2.0, 2.0, n=50_000, seed=0)
    assert again.integral == r.integral  # the seed makes it reproducible


def test_monte_carlo_error_shrinks_like_one_over_sqrt_n():
    small = em.integrate.monte_carlo(lambda x: x ** 2, 0.0, 1.0, n=1_000, seed=3)
    large = em.integrate.monte_carlo(lambda x: x ** 2, 0.0, 1.0, n=100_000, seed=3)
    assert 7 < small.standard_error / large.standard_error < 13  # sqrt(100) = 10


def test_monte_carlo_reports_bad_input():
    with pytest.raises(ValueError, match="monte_carlo: needs finite limits with a < b"):
        em.integrate.monte_carlo(lambda x: x, 1.0, 0.0)
    with pytest.raises(ValueError, match="monte_carlo: func must return one value per point"):
        em.integrate.monte_carlo(lambda x: x.sum(), 0.0, 1.0, n=10)
