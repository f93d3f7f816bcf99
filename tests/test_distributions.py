"""em.distributions against torch.distributions (float32 values and gradients), sample
statistics, seeding, validation errors, and maximum likelihood by gradient descent."""

import math

import numpy as np
import pytest

import ember as em

D = em.distributions


def _compare(em_fn, torch_fn, arrays, grad=(), atol=1e-5, rtol=1e-4, grad_atol=1e-4,
             grad_rtol=1e-3):
    """Run ``em_fn(**tensors)`` and ``torch_fn(**tensors)`` on the same float32 arrays; compare
    the values and the gradients of sum(out * w) with respect to the names in ``grad``."""
    torch = pytest.importorskip("torch")
    xs = {k: em.tensor(np.asarray(a, np.float32), requires_grad=k in grad)
          for k, a in arrays.items()}
    ts = {k: torch.tensor(np.asarray(a, np.float32), requires_grad=k in grad)
          for k, a in arrays.items()}
    out, tout = em_fn(**xs), torch_fn(**ts)
    assert out.dtype == np.float32
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=atol, rtol=rtol)
    if not grad:
        return
    w = np.random.default_rng(7).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * em.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for k in grad:
        assert xs[k].grad is not None, f"no gradient reached {k}"
        np.testing.assert_allclose(xs[k].grad.numpy(), ts[k].grad.numpy(), atol=grad_atol,
                                   rtol=grad_rtol, err_msg=f"gradient wrt {k}")


@pytest.fixture
def td():
    return pytest.importorskip("torch").distributions


R = np.random.default_rng(0)
PROBS = R.uniform(0.05, 0.95, (3, 4))
LOGITS = R.normal(0, 2, (3, 4))


# ------------------------------------------------------------------ Normal
@pytest.mark.parametrize("stat", ["log_prob", "cdf", "entropy", "mean", "variance", "stddev"])
def test_normal_against_torch(td, stat):
    arrays = {"loc": R.normal(size=(3, 1)), "scale": R.uniform(0.5, 2, (4,)),
              "x": R.normal(size=(2, 3, 4))}

    def run(dist_cls, loc, scale, x):
        d = dist_cls(loc, scale)
        if stat in ("log_prob", "cdf"):
            return getattr(d, stat)(x)
        return d.entropy() if stat == "entropy" else getattr(d, stat)

    grad = {"log_prob": ("loc", "scale", "x"), "cdf": ("loc", "scale", "x"),
            "mean": ("loc",)}.get(stat, ("scale",))
    _compare(lambda **k: run(D.Normal, **k), lambda **k: run(td.Normal, **k), arrays, grad)


def test_normal_rsample_is_reparameterized():
    loc = em.tensor([0.0, 1.0], requires_grad=True)
    scale = em.tensor([1.0, 3.0], requires_grad=True)
    s = D.Normal(loc, scale).rsample((1000,))
    assert s.shape == (1000, 2) and s.requires_grad
    s.sum().backward()
    eps = (s.numpy() - loc.detach().numpy()) / scale.detach().numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0), rtol=1e-4, atol=1e-3)
    assert not D.Normal(loc, scale).sample((3,)).requires_grad


# ------------------------------------------------------------------ Bernoulli
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("stat", ["log_prob", "entropy", "mean", "variance"])
def test_bernoulli_against_torch(td, param, stat):
    arrays = {"p": PROBS if param == "probs" else LOGITS}
    x = (R.random((2, 3, 4)) < 0.5).astype(np.float32)

    def run(dist_cls, p, tensor):
        d = dist_cls(**{param: p})
        if stat == "log_prob":
            return d.log_prob(tensor(x))
        return d.entropy() if stat == "entropy" else getattr(d, stat)

    torch = pytest.importorskip("torch")
    _compare(lambda p: run(D.Bernoulli, p, em.tensor),
             lambda p: run(td.Bernoulli, p, torch.tensor), arrays, ("p",))


def test_bernoulli_extreme_logits_stay_finite():
    d = D.Bernoulli(logits=em.tensor([-200.0, 200.0]))
    lp = d.log_prob(em.tensor([1.0, 1.0])).numpy()
    np.testing.assert_allclose(lp, [-200.0, 0.0], atol=1e-6)
    assert np.isfinite(d.entropy().numpy()).all()
    p0 = D.Bernoulli(probs=em.tensor([0.0, 1.0]))
    assert np.all(p0.log_prob(em.tensor([0.0, 1.0])).numpy() > -1e-5)


# ------------------------------------------------------------------ Binomial
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("stat", ["log_prob", "mean", "variance"])
def test_binomial_against_torch(td, param, stat):
    n = np.array([[2.0], [5.0], [10.0]])
    k = np.floor(R.random((2, 3, 4)) * (n + 1))
    arrays = {"p": PROBS[0] if param == "probs" else LOGITS[0]}  # (4,) broadcast with n (3, 1)

    def run(dist_cls, p, tensor):
        d = dist_cls(tensor(n.astype(np.float32)), **{param: p})
        return d.log_prob(tensor(k.astype(np.float32))) if stat == "log_prob" \
            else getattr(d, stat)

    torch = pytest.importorskip("torch")
    _compare(lambda p: run(D.Binomial, p, em.tensor),
             lambda p: run(td.Binomial, p, torch.tensor), arrays, ("p",))


@pytest.mark.parametrize("param", ["probs", "logits"])
def test_binomial_entropy_against_torch(td, param):
    arrays = {"p": PROBS if param == "probs" else LOGITS}
    _compare(lambda p: D.Binomial(6, **{param: p}).entropy(),
             lambda p: td.Binomial(6, **{param: p}).entropy(), arrays, ("p",))


def test_binomial_entropy_with_mixed_total_counts(td):
    torch = pytest.importorskip("torch")
    n, p = [3.0, 7.0, 0.0], [0.3, 0.6, 0.5]
    got = D.Binomial(em.tensor(n), probs=em.tensor(p)).entropy().numpy()
    want = [td.Binomial(int(c), probs=torch.tensor(q)).entropy().item() for c, q in zip(n, p)]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_binomial_large_counts_are_accurate():
    # C(10**6, 5 * 10**5) / 2**(10**6) ~ sqrt(2 / (pi n)): the log-factorials must be exact
    n = 10**6
    lp = D.Binomial(n, probs=em.tensor(0.5, dtype="float64")).log_prob(n // 2).item()
    assert lp == pytest.approx(math.lgamma(n + 1) - 2 * math.lgamma(n // 2 + 1) - n * math.log(2),
                               abs=1e-8)


def test_log_factorial_matches_lgamma():
    n = np.array([0, 1, 2, 7, 100, 255, 256, 257, 1000, 12345, 10**7, 10**12], dtype=float)
    want = [math.lgamma(v + 1) for v in n]
    np.testing.assert_allclose(D.log_factorial(n), want, rtol=1e-14, atol=1e-12)


# ------------------------------------------------------------------ Categorical
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("stat", ["log_prob", "entropy", "probs", "logits"])
def test_categorical_against_torch(td, param, stat):
    arrays = {"p": R.uniform(0.1, 2.0, (3, 5)) if param == "probs" else R.normal(0, 2, (3, 5))}
    k = R.integers(0, 5, size=(2, 3))

    def run(dist_cls, p, tensor):
        d = dist_cls(**{param: p})
        if stat == "log_prob":
            return d.log_prob(tensor(k))
        return d.entropy() if stat == "entropy" else getattr(d, stat)

    torch = pytest.importorskip("torch")
    _compare(lambda p: run(D.Categorical, p, em.tensor),
             lambda p: run(td.Categorical, p, torch.tensor), arrays, ("p",))


def test_categorical_entropy_with_a_zero_probability(td):
    torch = pytest.importorskip("torch")
    p = [0.0, 0.25, 0.75]
    got = D.Categorical(probs=em.tensor(p)).entropy().item()
    assert got == pytest.approx(td.Categorical(probs=torch.tensor(p)).entropy().item(), abs=1e-6)


# ------------------------------------------------------------------ Multinomial
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("stat", ["log_prob", "entropy", "mean", "variance"])
def test_multinomial_against_torch(td, param, stat):
    arrays = {"p": PROBS if param == "probs" else LOGITS}
    counts = R.multinomial(6, [0.1, 0.2, 0.3, 0.4], size=(2, 3)).astype(np.float32)

    def run(dist_cls, p, tensor):
        d = dist_cls(6, **{param: p})
        if stat == "log_prob":
            return d.log_prob(tensor(counts))
        return d.entropy() if stat == "entropy" else getattr(d, stat)

    torch = pytest.importorskip("torch")
    _compare(lambda p: run(D.Multinomial, p, em.tensor),
             lambda p: run(td.Multinomial, p, torch.tensor), arrays, ("p",))


# ------------------------------------------------------------------ shapes, modes, dtypes
def test_shapes():
    cases = [
        (D.Normal(em.zeros(3, 1), em.ones(4)), (3, 4), ()),
        (D.Bernoulli(probs=em.full((2, 3), 0.5)), (2, 3), ()),
        (D.Binomial(em.tensor([[3.0], [4.0]]), probs=em.full((3,), 0.5)), (2, 3), ()),
        (D.Categorical(logits=em.zeros(2, 5)), (2,), ()),
        (D.Multinomial(4, probs=em.ones(2, 5)), (2,), (5,)),
    ]
    for d, batch, event in cases:
        assert d.batch_shape == batch and d.event_shape == event, repr(d)
        assert d.sample((7,)).shape == (7,) + batch + event
        assert d.sample().shape == batch + event
        assert d.log_prob(d.sample((6,))).shape == (6,) + batch
        assert d.entropy().shape == batch


def test_modes(td):
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(D.Bernoulli(probs=[0.2, 0.5, 0.8]).mode.numpy(),
                                  [0.0, np.nan, 1.0])
    n, p = np.array([3.0, 4.0, 10.0], np.float32), np.array([0.5, 0.2, 0.97], np.float32)
    np.testing.assert_array_equal(D.Binomial(em.tensor(n), probs=em.tensor(p)).mode.numpy(),
                                  td.Binomial(torch.tensor(n), torch.tensor(p)).mode.numpy())
    assert D.Categorical(logits=[[0.0, 2.0, 1.0]]).mode.tolist() == [1]
    assert D.Normal(2.0, 1.0).mode.item() == 2.0


def test_float64_parameters_stay_float64():
    d = D.Normal(em.tensor([0.0, 1.0], dtype="float64"), 1.0)
    assert d.sample((3,)).dtype == np.float64 and d.log_prob(0.5).dtype == np.float64
    b = D.Binomial(5, probs=em.tensor(0.3, dtype="float64"))
    assert b.log_prob(2.0).dtype == np.float64 and b.entropy().dtype == np.float64
    assert D.Bernoulli(probs=0.3).sample((2,)).dtype == np.float32
    assert D.Categorical(probs=[0.5, 0.5]).sample((2,)).dtype == np.int64


def test_gradcheck_float64():
    k = em.tensor([0.0, 2.0, 5.0], dtype="float64")
    em.gradcheck(lambda z: D.Binomial(5, logits=z).log_prob(k), [np.array([-1.0, 0.3, 2.0])])
    em.gradcheck(lambda m, s: D.Normal(m, s).log_prob(k), [np.array(0.5), np.array([1.5])])
    em.gradcheck(lambda z: D.Categorical(logits=z).entropy(), [np.array([[0.1, -1.0, 2.0]])])
    # log_prob is composed from differentiable ops, so second derivatives work too
    em.gradgradcheck(lambda z: D.Bernoulli(logits=z).log_prob(k[:2] / 2), [np.array([0.3, -2.0])])


# ------------------------------------------------------------------ sampling
def test_sample_statistics_match_the_formulas():
    n = 40_000
    dists = [
        D.Normal(em.tensor([0.0, 3.0]), em.tensor([1.0, 2.0])),
        D.Bernoulli(probs=em.tensor([0.1, 0.5, 0.9])),
        D.Bernoulli(logits=em.tensor([-2.0, 1.0])),
        D.Binomial(em.tensor([[3.0], [20.0]]), probs=em.tensor([0.2, 0.7])),
        D.Multinomial(10, probs=em.tensor([[0.2, 0.3, 0.5], [0.0, 0.9, 0.1]])),
    ]
    for d in dists:
        s = d.sample((n,)).numpy().astype(np.float64)
        mean, var = d.mean.numpy(), d.variance.numpy()
        np.testing.assert_allclose(s.mean(0), mean, atol=4 * np.sqrt(var.max() / n) + 1e-9,
                                   err_msg=repr(d))
        np.testing.assert_allclose(s.var(0), var, rtol=0.05, atol=1e-9, err_msg=repr(d))


@pytest.mark.parametrize("batched", [False, True])
def test_categorical_sample_frequencies(batched):
    p = np.array([0.1, 0.2, 0.0, 0.7])
    probs = np.stack([p, p[::-1]]) if batched else p
    s = D.Categorical(probs=em.tensor(probs)).sample((40_000,)).numpy()
    rows = s.T if batched else s[None]
    for row, want in zip(rows, np.atleast_2d(probs)):
        freq = np.bincount(row, minlength=4) / row.size
        np.testing.assert_allclose(freq, want, atol=0.01)
        assert freq[want == 0].sum() == 0  # a class with probability 0 is never drawn


def test_multinomial_samples_sum_to_total_count():
    s = D.Multinomial(7, logits=em.randn(3, 6)).sample((500,)).numpy()
    assert s.min() >= 0 and np.all(s.sum(-1) == 7)


def test_seeding_makes_samples_reproducible():
    def draw():
        return [d.sample((5,)).numpy() for d in (
            D.Normal(0.0, 1.0), D.Bernoulli(probs=0.4), D.Binomial(9, probs=0.4),
            D.Categorical(probs=[0.3, 0.7]), D.Multinomial(5, probs=[0.3, 0.7]))]

    em.utils.set_random_seed(123)
    a = draw()
    em.utils.set_random_seed(123)
    b = draw()
    em.utils.set_random_seed(124)
    c = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("make, match", [
    (lambda: D.Normal(0.0, -1.0), "Normal: scale must be positive"),
    (lambda: D.Normal(0.0, 0.0), "scale must be positive"),
    (lambda: D.Normal(float("nan"), 1.0), "loc must be a real number"),
    (lambda: D.Normal(em.zeros(3), em.ones(2)), "cannot be broadcast"),
    (lambda: D.Bernoulli(probs=1.5), r"Bernoulli: probs must be in \[0, 1\]; got 1.5"),
    (lambda: D.Bernoulli(probs=[0.2, -0.1]), "got -0.1"),
    (lambda: D.Bernoulli(probs=0.5, logits=0.0), "not both"),
    (lambda: D.Bernoulli(), "not neither"),
    (lambda: D.Binomial(-1, probs=0.5), "total_count must be whole numbers >= 0"),
    (lambda: D.Binomial(2.5, probs=0.5), "total_count"),
    (lambda: D.Binomial(3, probs=em.tensor([0.5, 2.0])), "probs must be in"),
    (lambda: D.Categorical(probs=[0.5, -0.1]), "non-negative"),
    (lambda: D.Categorical(probs=[0.0, 0.0]), "positive sum"),
    (lambda: D.Categorical(probs=0.5), "at least one axis"),
    (lambda: D.Multinomial(2.5, probs=[0.5, 0.5]), "whole number"),
    (lambda: D.Multinomial(-1, probs=[0.5, 0.5]), "whole number"),
    (lambda: D.Multinomial(2, probs=[0.5, -0.5]), "Multinomial: probs must be finite"),
])
def test_bad_parameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("dist, value, match", [
    (D.Normal(0.0, 1.0), float("nan"), "real numbers"),
    (D.Bernoulli(probs=0.5), 0.5, r"support \(\{0, 1\}\); got 0.5"),
    (D.Binomial(3, probs=0.5), 4.0, r"\[0, total_count\]"),
    (D.Binomial(3, probs=0.5), 1.5, "whole numbers"),
    (D.Categorical(probs=[0.2, 0.3, 0.5]), 3, r"\(class indices in \[0, 3\)\); got 3"),
    (D.Categorical(probs=[0.2, 0.3, 0.5]), -1, "got -1"),
    (D.Categorical(probs=em.ones(2, 3)), em.zeros(3), "does not broadcast"),
    (D.Multinomial(3, probs=[0.5, 0.5]), [1.0, 1.0], "summing to 3"),
    (D.Multinomial(3, probs=[0.5, 0.5]), [1.0, 1.0, 1.0], "event_shape"),
])
def test_values_outside_the_support_raise(dist, value, match):
    with pytest.raises(ValueError, match=match):
        dist.log_prob(value)


def test_validation_can_be_switched_off():
    d = D.Normal(0.0, -1.0, validate_args=False)  # unchecked: the caller's responsibility
    assert d.stddev.item() == -1.0
    D.Bernoulli(probs=0.5, validate_args=False).log_prob(0.5)
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(probs=2.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Bernoulli(probs=2.0)
    with pytest.raises(ValueError, match="negative"):
        D.Normal(0.0, 1.0).sample((-1,))


def test_rsample_of_a_discrete_distribution_explains_itself():
    with pytest.raises(NotImplementedError, match="no reparameterized sample"):
        D.Bernoulli(probs=0.5).rsample()


# ------------------------------------------------------------------ expectation and MLE
def test_exact_expectations_over_finite_supports():
    p = em.tensor([0.2, 0.7], requires_grad=True)
    e = D.expectation(lambda x: 10 * x, D.Bernoulli(probs=p))
    np.testing.assert_allclose(e.numpy(), [2.0, 7.0], rtol=1e-6)
    e.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [10.0, 10.0], rtol=1e-5)
    b = D.Binomial(8, probs=em.tensor([0.25, 0.5]))
    np.testing.assert_allclose(D.expectation(lambda x: x, b).numpy(), b.mean.numpy(), rtol=1e-5)
    sq = D.expectation(lambda x: (x - b.mean) ** 2, b)
    np.testing.assert_allclose(sq.numpy(), b.variance.numpy(), rtol=1e-4)
    c = D.Categorical(probs=[0.1, 0.2, 0.7])
    assert D.expectation(lambda k: k * 1.0, c).item() == pytest.approx(1.6, rel=1e-6)


def test_monte_carlo_expectation_is_differentiable_through_rsample():
    loc = em.tensor(1.5, requires_grad=True)
    e = D.expectation(lambda x: x * x, D.Normal(loc, 0.5), num_samples=50_000)
    assert e.item() == pytest.approx(1.5**2 + 0.25, abs=0.03)
    e.backward()
    assert loc.grad.item() == pytest.approx(3.0, abs=0.03)  # d/dloc (loc^2 + scale^2)


def test_mle_of_a_normal_by_gradient_descent():
    """Fit loc and log-scale by minimizing the mean negative log-likelihood: the optimum is the
    sample mean and the (population) sample standard deviation."""
    data = D.Normal(3.0, 2.0).sample((2000,))
    loc = em.tensor(0.0, requires_grad=True)
    log_scale = em.tensor(0.0, requires_grad=True)
    first = None
    for _ in range(500):
        nll = -D.Normal(loc, em.exp(log_scale)).log_prob(data).mean()
        first = nll.item() if first is None else first
        loc.grad = log_scale.grad = None
        nll.backward()
        with em.no_grad():
            loc.sub_(0.2 * loc.grad)
            log_scale.sub_(0.2 * log_scale.grad)
    x = data.numpy().astype(np.float64)
    assert nll.item() < first
    assert abs(loc.item() - x.mean()) < 1e-3
    assert abs(math.exp(log_scale.item()) - x.std()) < 1e-3
