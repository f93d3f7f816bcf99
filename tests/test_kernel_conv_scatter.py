"""The compiled col2im (``ember.kernels.conv_scatter``, numba) adds the same windows as
``ember.ops.im2col.add_windows`` (within float rounding: the sums run in another order), for
strides, dilations, both float dtypes and both of add_windows' branches, and it is what the
fast conv2d's input gradient runs."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import conv_scatter
from ember.ops.conv import conv2d
from ember.ops.im2col import add_windows

pytestmark = pytest.mark.skipif(not conv_scatter.AVAILABLE,
                                reason="the compiled col2im needs numba (ember[fast])")


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("k, s, d, c, f", [
    ((3, 3), (1, 1), (1, 1), 4, 6),   # kh*kw*C > F: add_windows' offset-by-offset branch
    ((3, 3), (2, 2), (1, 1), 2, 30),  # kh*kw*C <= F: its one-product branch
    ((2, 3), (1, 2), (2, 1), 3, 5),
    ((1, 1), (1, 1), (1, 1), 5, 4),
], ids=["3x3", "3x3 stride 2, few channels", "2x3 strides 1x2 dilation 2x1", "1x1"])
def test_compiled_scatter_adds_what_add_windows_adds(k, s, d, c, f, dtype, tol):
    rng = np.random.default_rng(4)
    n, ho, wo = 2, 4, 5
    hp = (ho - 1) * s[0] + (k[0] - 1) * d[0] + 1 + 1  # one row more than the windows reach
    wp = (wo - 1) * s[1] + (k[1] - 1) * d[1] + 1
    a2 = rng.standard_normal((n * ho * wo, f)).astype(dtype)
    w = rng.standard_normal(k + (c, f)).astype(dtype)
    start = rng.standard_normal((n, hp, wp, c)).astype(dtype)  # added onto, not overwritten
    expected, got = start.copy(), start.copy()
    add_windows(expected, a2, w, (ho, wo), s, d)
    assert conv_scatter.usable(got, a2, w)
    conv_scatter.add_windows(got, a2, w, (ho, wo), s, d)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_conv2d_input_gradient_runs_the_compiled_scatter(monkeypatch):
    calls = []
    real = conv_scatter.add_windows
    monkeypatch.setattr(conv_scatter, "add_windows", lambda *a: (calls.append(1), real(*a))[1])
    rng = np.random.default_rng(0)
    x = em.from_numpy(rng.standard_normal((2, 7, 7, 9)).astype(np.float32)).requires_grad_(True)
    k = em.from_numpy(rng.standard_normal((3, 3, 9, 4)).astype(np.float32))
    conv2d(x, k).sum().backward()
    assert calls == [1]
    fast = x.grad.numpy()
    x.grad = None
    monkeypatch.setattr(conv_scatter, "AVAILABLE", False)
    conv2d(x, k).sum().backward()
    assert calls == [1]  # the NumPy add_windows this time
    np.testing.assert_allclose(fast, x.grad.numpy(), rtol=1e-5, atol=1e-5)
