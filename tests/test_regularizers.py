"""Regularizers: values and gradients against closed forms and finite differences; names."""

import numpy as np
import pytest

import ember as em
from ember import regularizers as R


@pytest.fixture
def w():
    return np.random.default_rng(3).uniform(-2, 2, size=(5, 4))


def _value_and_grad(reg, w):
    t = em.tensor(w.astype(np.float32), requires_grad=True)
    out = reg(t)
    assert out.shape == () and out.dtype == np.float32
    out.backward()
    return out.item(), t.grad.numpy()


def test_l1(w):
    val, grad = _value_and_grad(R.L1(0.3), w)
    np.testing.assert_allclose(val, 0.3 * np.abs(w).sum(), rtol=1e-6)
    np.testing.assert_allclose(grad, 0.3 * np.sign(w), rtol=1e-6)


def test_l2_is_keras3_sum_of_squares(w):
    val, grad = _value_and_grad(R.L2(0.1), w)
    np.testing.assert_allclose(val, 0.1 * (w ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(grad, 0.2 * w, rtol=1e-5)


def test_l1l2(w):
    val, grad = _value_and_grad(R.L1L2(l1=0.01, l2=0.02), w)
    np.testing.assert_allclose(val, 0.01 * np.abs(w).sum() + 0.02 * (w ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(grad, 0.01 * np.sign(w) + 0.04 * w, rtol=1e-5)


@pytest.mark.parametrize("reg", [R.L1(0.3), R.L2(0.2), R.L1L2(0.1, 0.5),
                                 R.OrthogonalRegularizer(0.7),
                                 R.OrthogonalRegularizer(0.7, mode="columns")])
def test_gradients_match_finite_differences(reg, w):
    em.gradcheck(reg, [w])


def test_zero_factors_give_a_zero_scalar(w):
    out = R.L1L2()(em.tensor(w))
    assert out.shape == () and out.item() == 0.0


def test_orthogonal_regularizer_formula(w):
    reg = R.OrthogonalRegularizer(factor=0.5)
    rows = w / np.linalg.norm(w, axis=1, keepdims=True)
    prod = rows @ rows.T
    n = w.shape[0]
    expected = 0.5 * 0.5 * np.abs(prod - np.diag(np.diag(prod))).sum() / (n * (n - 1) / 2)
    np.testing.assert_allclose(reg(em.tensor(w)).item(), expected, rtol=1e-5)
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    assert abs(R.OrthogonalRegularizer(1.0)(em.tensor(q)).item()) < 1e-6
    assert R.OrthogonalRegularizer(mode="columns")(em.ones(4, 1)).item() == 0.0
    with pytest.raises(ValueError, match="must be 2-D"):
        reg(em.ones(2, 2, 2))
    with pytest.raises(ValueError, match="mode must be"):
        R.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize("name,cls,config", [
    ("l1", R.L1, {"l1": 0.01}), ("L1", R.L1, {"l1": 0.01}), ("l2", R.L2, {"l2": 0.01}),
    ("L2", R.L2, {"l2": 0.01}), ("l1_l2", R.L1L2, {"l1": 0.01, "l2": 0.01}),
    ("L1L2", R.L1L2, {"l1": 0.0, "l2": 0.0}),
    ("orthogonal_regularizer", R.OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
])
def test_get_by_name_and_round_trip(name, cls, config):
    reg = R.get(name)
    assert type(reg) is cls and reg.get_config() == config
    again = R.deserialize(R.serialize(reg))
    assert type(again) is cls and again.get_config() == config


def test_get_other_identifiers_and_aliases():
    assert R.get(None) is None
    assert isinstance(R.get(R.L2), R.L2)
    reg = R.L2(0.5)
    assert R.get(reg) is reg
    assert R.l1 is R.L1 and R.l2 is R.L2
    assert R.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}

    def custom(x):
        return (x ** 4).sum()

    assert R.get(custom) is custom
    assert R.get({"class_name": "L2", "config": {"l2": 0.3}}).l2 == 0.3
    assert repr(R.L1(0.5)) == "L1(l1=0.5)"


def test_errors_are_clear():
    with pytest.raises(ValueError, match="Did you mean 'l2'.*Valid names"):
        R.get("l22")
    with pytest.raises(TypeError, match="regularizer must be"):
        R.get(0.1)
    for bad in (-0.1, float("nan"), float("inf"), "0.1"):
        with pytest.raises(ValueError, match="non-negative float"):
            R.L2(bad)
    with pytest.raises(ValueError, match="l1 must be"):
        R.L1L2(l1=-1.0)
