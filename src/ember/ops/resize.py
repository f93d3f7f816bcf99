"""Image resizing, as Keras' ``ops.image.resize`` (``antialias=False``) and PyTorch's
``interpolate(align_corners=False)``: half-pixel centers, edges clamped.

Each spatial axis is resized by a constant (out, in) interpolation matrix — two nonzeros per
row for "bilinear", one for "nearest" — applied with one matrix product per axis, so the op
is two GEMMs and its gradient (the transposed matrices) comes from the products'.

Example:
    >>> import ember as em
    >>> from ember.ops.resize import resize
    >>> resize(em.ones((1, 4, 6, 3)), (8, 3)).shape
    (1, 8, 3, 3)
    >>> resize(em.tensor([[[[0.0], [1.0]]]]), (1, 4)).numpy().ravel().tolist()
    [0.0, 0.25, 0.75, 1.0]
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.ops.elementwise import _ft
from ember.ops.linalg import einsum

METHODS = ("bilinear", "nearest")


def interpolation_matrix(n_in: int, n_out: int, method: str, dtype: Any = "float32") -> Any:
    """The (n_out, n_in) matrix that resamples one axis (rows sum to 1), as a NumPy array."""
    np = backend.numpy_module()
    scale = n_in / n_out
    rows = np.arange(n_out)
    m = np.zeros((n_out, n_in), dtype="float64")
    if method == "nearest":  # the input pixel whose cell holds the output pixel's center
        src = np.minimum(np.floor((rows + 0.5) * scale).astype(int), n_in - 1)
        m[rows, src] = 1.0
    else:
        src = np.clip((rows + 0.5) * scale - 0.5, 0.0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = src - lo
        np.add.at(m, (rows, lo), 1.0 - frac)
        np.add.at(m, (rows, hi), frac)
    return m.astype(dtype)


def resize(images: Any, size: tuple, interpolation: str = "bilinear") -> Tensor:
    """Resize a channels-last batch (N, H, W, C) to ``size`` = (height, width)."""
    x = _ft(images)
    if interpolation not in METHODS:
        raise NotImplementedError(f"resize: interpolation must be one of {METHODS}; got "
                                  f"{interpolation!r}")
    if x.ndim != 4:
        raise ValueError(f"resize: expects (batch, height, width, channels); got shape "
                         f"{tuple(x.shape)}")
    out_h, out_w = (int(s) for s in size)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"resize: the size must be positive; got {tuple(size)}")
    _, h, w, _ = x.shape
    xp = backend.xp_of(x.data)
    dt = x.data.dtype
    if (out_h, out_w) == (h, w):
        return x
    y = x
    if out_h != h:
        mh = wrap_array(xp.asarray(interpolation_matrix(h, out_h, interpolation, dt)))
        y = einsum("oh,bhwc->bowc", mh, y)
    if out_w != w:
        mw = wrap_array(xp.asarray(interpolation_matrix(w, out_w, interpolation, dt)))
        y = einsum("pw,bhwc->bhpc", mw, y)
    return y
