"""ember.ops.resize against PyTorch's interpolate (half-pixel centers) and finite
differences."""

import numpy as np
import pytest

import ember as em
from ember.ops.resize import resize

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("size", [(7, 9), (3, 2), (5, 4), (10, 3)])
@pytest.mark.parametrize("method,mode", [("bilinear", "bilinear"),
                                         ("nearest", "nearest-exact")])
def test_matches_torch(size, method, mode):
    x = np.random.default_rng(0).standard_normal((2, 5, 4, 3)).astype("float32")
    got = resize(em.tensor(x), size, method).numpy()
    want = torch.nn.functional.interpolate(torch.from_numpy(x).permute(0, 3, 1, 2), size=size,
                                           mode=mode, **({"align_corners": False}
                                                         if mode == "bilinear" else {}))
    np.testing.assert_allclose(got, want.permute(0, 2, 3, 1).numpy(), atol=1e-5)
    assert got.dtype == np.float32


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_gradient_by_finite_differences(method):
    x = em.tensor(np.random.default_rng(1).standard_normal((1, 3, 4, 2)), requires_grad=True)
    assert em.gradcheck(lambda t: resize(t, (5, 3), method), [x])


def test_bad_arguments():
    with pytest.raises(NotImplementedError, match="interpolation"):
        resize(em.ones((1, 2, 2, 1)), (3, 3), "bicubic")
    with pytest.raises(ValueError, match="batch, height, width, channels"):
        resize(em.ones((2, 2)), (3, 3))
