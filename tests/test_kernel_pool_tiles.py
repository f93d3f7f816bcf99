"""The compiled max-pool routing (``ember.kernels.pool_tiles``, numba) gives the NumPy
routing's gradient bit for bit: ties, NaN windows, inf gradients, cells past the last window,
float32 and float64, and it is what ``max_pool2d``'s backward runs on tiling windows."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import max_pool_backward as mpb
from ember.kernels import pool_tiles
from ember.ops.pool import max_pool2d

pytestmark = pytest.mark.skipif(not pool_tiles.AVAILABLE,
                                reason="the compiled max-pool routing needs numba (ember[fast])")


def _case(rng, shape, k, dtype, special: bool):
    x = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # relu: many tied zeros
    x[0, :k[0], :k[1], 0] = 1.5  # a whole window tied at its maximum
    if special:
        x[1, 0, 0, 1] = np.nan  # a NaN window
    n, h, w, c = shape
    ho, wo = h // k[0], w // k[1]
    out = x[:, :ho * k[0], :wo * k[1]].reshape(n, ho, k[0], wo, k[1], c).max(axis=(2, 4))
    g = rng.standard_normal((n, ho, wo, c)).astype(dtype)
    if special:
        g[0, 1, 1, 0] = np.inf
        g[1, 1, 0, 2] = -0.0
    return x, out, g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, k", [((3, 8, 8, 4), (2, 2)), ((2, 7, 9, 3), (2, 2)),
                                      ((2, 9, 9, 5), (3, 3)), ((2, 6, 8, 3), (2, 4))],
                         ids=["2x2", "2x2, cells left over", "3x3", "2x4"])
@pytest.mark.parametrize("special", [False, True], ids=["finite", "nan and inf"])
def test_compiled_routing_is_bitwise_the_numpy_routing(shape, k, dtype, special, monkeypatch):
    x, out, g = _case(np.random.default_rng(2), shape, k, dtype, special)
    results = []
    for compiled in (True, False):
        monkeypatch.setattr(pool_tiles, "AVAILABLE", compiled)
        with np.errstate(invalid="ignore"):  # NumPy warns on inf * 0 (both write NaN there)
            results.append(mpb.max_pool_backward(x, out, g, k, k, None, None, False))
    fast, numpy_routing = results
    assert fast.dtype == dtype
    n, h, w, c = shape
    rows, cols = out.shape[1] * k[0], out.shape[2] * k[1]
    # cells past the last window are the caller's (zeros here, as the op allocates them)
    np.testing.assert_array_equal(fast[:, :rows, :cols], numpy_routing[:, :rows, :cols])
    assert np.array_equal(np.signbit(fast[:, :rows, :cols]),
                          np.signbit(numpy_routing[:, :rows, :cols]))


def test_max_pool2d_backward_runs_the_loop_on_tiling_windows(monkeypatch):
    calls = []
    real = pool_tiles.route_tiles
    monkeypatch.setattr(pool_tiles, "route_tiles",
                        lambda *a: (calls.append(1), real(*a))[1])
    x = em.from_numpy(np.random.default_rng(0).standard_normal((2, 6, 6, 3))) \
        .requires_grad_(True)
    max_pool2d(x, 2).sum().backward()
    assert calls == [1]
    grad = x.grad.numpy()
    assert grad.sum() == 2 * 3 * 3 * 3  # one cell per window gets the 1
    calls.clear()
    max_pool2d(x, 3, strides=2).sum().backward()  # overlapping windows: the NumPy path
    assert calls == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [(2, 2), (3, 3), (2, 4)])
def test_compiled_max_is_bitwise_np_maximum_over_the_offsets(k, dtype):
    from ember.ops.pool import _combine

    rng = np.random.default_rng(3)
    x = np.maximum(rng.standard_normal((2, 9, 9, 4)), 0).astype(dtype)
    x[0, 0, 0, 0], x[0, 0, 1, 0] = -0.0, 0.0  # equal values: the earlier offset is kept
    x[0, 0, 0, 1], x[0, 0, 1, 1] = 0.0, -0.0
    x[1, 1, 1, 2] = np.nan  # NaN wins its window
    ho, wo = 9 // k[0], 9 // k[1]
    parts = [x[:, i:i + (ho - 1) * k[0] + 1:k[0], j:j + (wo - 1) * k[1] + 1:k[1]]
             for i in range(k[0]) for j in range(k[1])]
    expected = _combine(parts, "max", np)
    got = pool_tiles.max_tiles(x, k, (ho, wo))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
