"""The compiled relu mask (``ember.kernels.relu_grad``, numba) is bit for bit NumPy's
``g * (out > 0)`` and is what the fused conv + relu backward runs."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import relu_grad as rg
from ember.ops.conv import conv2d

pytestmark = pytest.mark.skipif(not rg.AVAILABLE, reason="needs numba (ember[fast])")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_mask_is_bitwise_numpys(dtype):
    rng = np.random.default_rng(0)
    out = np.maximum(rng.standard_normal((5, 7)), 0).astype(dtype)
    g = rng.standard_normal((5, 7)).astype(dtype)
    out[0, 0], out[0, 1] = np.nan, -0.0
    g[1, :] = np.inf  # inf * 0 is NaN in both
    g[2, 0] = np.nan
    with np.errstate(invalid="ignore"):
        expected = np.multiply(g, out > 0)
    got = rg.relu_grad(g, out)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_it_declines_what_it_does_not_handle():
    a = np.ones((4, 4), np.float32)
    assert rg.relu_grad(a[:, ::2], a[:, ::2]) is None
    assert rg.relu_grad(a, a.astype(np.float64)) is None
    assert rg.relu_grad(a.astype(np.float16), a.astype(np.float16)) is None


def test_conv_relu_backward_runs_it_and_gives_the_numpy_gradient(monkeypatch):
    calls = []
    real = rg.relu_grad
    monkeypatch.setattr("ember.kernels.conv_patches.relu_grad",
                        lambda *a: (calls.append(1), real(*a))[1])
    rng = np.random.default_rng(1)
    x = em.from_numpy(rng.standard_normal((2, 6, 6, 9)).astype(np.float32)).requires_grad_(True)
    k = em.from_numpy(rng.standard_normal((3, 3, 9, 4)).astype(np.float32)).requires_grad_(True)
    conv2d(x, k, activation="relu").sum().backward()
    assert calls == [1]
    fast = (x.grad.numpy().copy(), k.grad.numpy().copy())
    x.grad = k.grad = None
    monkeypatch.setattr(rg, "AVAILABLE", False)
    conv2d(x, k, activation="relu").sum().backward()
    assert np.array_equal(fast[0], x.grad.numpy()) and np.array_equal(fast[1], k.grad.numpy())
