"""The ops under the new pooling layers: ``pool_nd`` (3-D max/average pooling) and
``adaptive_pool``, against direct NumPy loops, with gradients by ``em.gradcheck`` (float64
central differences)."""

import itertools

import numpy as np
import pytest

import ember as em
from ember.ops.adaptive_pool import adaptive_pool, windows
from ember.ops.pool_nd import avg_pool3d, max_pool3d, pool_nd

rng = np.random.default_rng(0)


def _loop_pool(x, k, s, kind):
    """Valid pooling by explicit loops over every output cell."""
    n, *sizes, c = x.shape
    outs = [(size - kk) // ss + 1 for size, kk, ss in zip(sizes, k, s)]
    y = np.zeros((n, *outs, c), x.dtype)
    for idx in itertools.product(*[range(o) for o in outs]):
        box = x[(slice(None),) + tuple(slice(i * ss, i * ss + kk)
                                       for i, kk, ss in zip(idx, k, s))]
        red = box.reshape(n, -1, c)
        y[(slice(None),) + idx] = red.max(1) if kind == "max" else red.mean(1)
    return y


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s", [((2, 2, 2), (2, 2, 2)), ((3, 2, 1), (1, 2, 1)),
                                 ((2, 3, 2), (2, 1, 3))])
def test_pool_nd_matches_loops(kind, k, s):
    x = rng.standard_normal((2, 5, 6, 7, 3)).astype("float32")
    got = pool_nd(em.tensor(x), k, s, "valid", kind).numpy()
    np.testing.assert_allclose(got, _loop_pool(x, k, s, kind), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn", [max_pool3d, avg_pool3d])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool3d_gradcheck(fn, padding):
    x = rng.standard_normal((1, 3, 4, 5, 2))
    em.gradcheck(lambda t: fn(t, (2, 3, 2), (1, 2, 2), padding), [x])


def test_adaptive_windows_and_values_match_loops():
    assert windows(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert windows(2, 5) == [(0, 1), (0, 1), (0, 2), (1, 2), (1, 2)]
    x = rng.standard_normal((2, 7, 5, 3)).astype("float32")
    for kind in ("avg", "max"):
        got = adaptive_pool(em.tensor(x), (3, 4), kind).numpy()
        want = np.zeros((2, 3, 4, 3), "float32")
        for i, (a, b) in enumerate(windows(7, 3)):
            for j, (c, d) in enumerate(windows(5, 4)):
                box = x[:, a:b, c:d].reshape(2, -1, 3)
                want[:, i, j] = box.max(1) if kind == "max" else box.mean(1)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_adaptive_pool_gradcheck(kind, fmt):
    x = rng.standard_normal((2, 5, 4, 3))
    em.gradcheck(lambda t: adaptive_pool(t, (3, 6), kind, fmt), [x])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="max_pool3d: x must be 5-D"):
        max_pool3d(em.ones((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="pool_nd: padding"):
        pool_nd(em.ones((1, 4, 4, 4, 1)), 2, padding="full")
    with pytest.raises(ValueError, match="adaptive_pool: output_size"):
        adaptive_pool(em.ones((1, 4, 4, 1)), (2, 2, 2))
