"""Batched affine resampling of NHWC images: the kernel behind the geometric augmentation
layers (RandomRotation, RandomTranslation, RandomZoom) and ``ember.data.augment``.

Each image ``b`` has a 2x3 matrix ``A[b]`` that maps an *output* pixel (x, y) to the *input*
point it is read from: ``(x_in, y_in) = A[b] @ (x, y, 1)``, in pixel coordinates with pixel
centres on integers, x along the width and y down the height. The source coordinates of the
whole batch are computed at once by broadcasting, then sampled with one gather (integer index
arrays) and a weighted sum over the 1 (nearest) or 4 (bilinear) neighbouring pixels. Points
outside the image follow ``fill_mode``:

- ``"reflect"``: ``(d c b a | a b c d | d c b a)``, reflected about the edge of the last pixel;
- ``"constant"``: ``(k k k k | a b c d | k k k k)`` with ``k = fill_value``;
- ``"wrap"``: ``(a b c d | a b c d | a b c d)``;
- ``"nearest"``: ``(a a a a | a b c d | d d d d)``.

The sampling is built from differentiable ops (a gather and a weighted sum), so gradients flow
back to the images (a scatter-add of the weights).
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, _new
from ember.backend import xp_of
from ember.ops.elementwise import add, mul
from ember.ops.reduction import sum as _sum
from ember.ops.shape import getitem, reshape

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def affine_transform(images: Any, matrices: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0.0) -> Tensor:
    """Resample a float batch (N, H, W, C) through per-image output->input 2x3 ``matrices``
    (shape (N, 2, 3)); returns a Tensor of the same shape and dtype."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"affine_transform: interpolation must be one of {INTERPOLATIONS}; "
                         f"got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_transform: fill_mode must be one of {FILL_MODES}; got "
                         f"{fill_mode!r}")
    x = images if isinstance(images, Tensor) else _new(xp_of(images).asarray(images))
    if x.ndim != 4 or x.data.dtype.kind != "f":
        raise ValueError(f"affine_transform: expected a float batch (N, H, W, C); got shape "
                         f"{tuple(x.shape)} dtype {x.data.dtype}")
    n, h, w, c = x.shape
    xp = xp_of(x.data)
    dt = x.data.dtype
    coord_dt = "float64" if dt.name == "float64" else "float32"
    m = xp.asarray(matrices, dtype=coord_dt)
    if m.shape != (n, 2, 3):
        raise ValueError(f"affine_transform: matrices must have shape ({n}, 2, 3) for {n} "
                         f"images; got {tuple(m.shape)}")
    xs = xp.arange(w, dtype=coord_dt).reshape(1, 1, w)
    ys = xp.arange(h, dtype=coord_dt).reshape(1, h, 1)
    col = m[:, :, :, None, None]  # (N, 2, 3, 1, 1) broadcasts against the (H, W) grid
    src_x = col[:, 0, 0] * xs + col[:, 0, 1] * ys + col[:, 0, 2]  # (N, H, W)
    src_y = col[:, 1, 0] * xs + col[:, 1, 1] * ys + col[:, 1, 2]

    if interpolation == "nearest":
        iy = [xp.floor(src_y + 0.5).astype(xp.int64)]
        ix = [xp.floor(src_x + 0.5).astype(xp.int64)]
        weights = [xp.ones(src_x.shape, dtype=dt)]
    else:
        x0, y0 = xp.floor(src_x), xp.floor(src_y)
        fx, fy = (src_x - x0).astype(dt), (src_y - y0).astype(dt)
        x0, y0 = x0.astype(xp.int64), y0.astype(xp.int64)
        iy = [y0, y0, y0 + 1, y0 + 1]
        ix = [x0, x0 + 1, x0, x0 + 1]
        weights = [(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx]

    batch = xp.arange(n, dtype=xp.int64).reshape(n, 1, 1)
    flat, wts, fill_w = [], [], None
    for ty, tx, wt in zip(iy, ix, weights):
        ty, valid_y = _fill_index(xp, ty, h, fill_mode)
        tx, valid_x = _fill_index(xp, tx, w, fill_mode)
        if valid_y is not None:
            valid = valid_y & valid_x
            outside = wt * (~valid)
            fill_w = outside if fill_w is None else fill_w + outside
            wt = wt * valid
        flat.append((batch * h + ty) * w + tx)
        wts.append(wt)

    src = reshape(x, (n * h * w, c))
    index = xp.stack(flat)  # (taps, N, H, W)
    taps = getitem(src, index)  # (taps, N, H, W, C): one gather for every tap
    if len(flat) == 1 and fill_w is None:
        out = reshape(taps, (n, h, w, c))
    else:
        out = _sum(mul(taps, _new(xp.stack(wts)[..., None])), axis=0)
    if fill_w is not None and fill_value != 0:
        out = add(out, _new((fill_w * dt.type(fill_value))[..., None]))
    return out


def _fill_index(xp: Any, i: Any, size: int, mode: str) -> tuple[Any, Any]:
    """Map integer pixel indices into [0, size); for "constant", also the in-range mask."""
    if mode == "constant":
        return xp.clip(i, 0, size - 1), (i >= 0) & (i < size)
    if mode == "nearest":
        return xp.clip(i, 0, size - 1), None
    if mode == "wrap":
        return xp.mod(i, size), None
    period = 2 * size  # reflect: ... d c b a | a b c d | d c b a ...
    r = xp.mod(i, period)
    return xp.where(r >= size, period - 1 - r, r), None


# ---------------------------------------------------------------------- matrices
def rotation_matrices(xp: Any, angles: Any, height: int, width: int) -> Any:
    """Output->input matrices rotating each image by ``angles`` radians about its centre,
    counter-clockwise as displayed for positive angles (as ``numpy.rot90``)."""
    angles = xp.asarray(angles, dtype="float64")
    cos, sin = xp.cos(angles), xp.sin(angles)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    m = xp.zeros((angles.shape[0], 2, 3), dtype="float64")
    # The output point p reads from c + R (p - c), with R the inverse (clockwise) rotation
    # in image coordinates, whose y axis points down.
    m[:, 0, 0], m[:, 0, 1] = cos, -sin
    m[:, 1, 0], m[:, 1, 1] = sin, cos
    m[:, 0, 2] = cx - cos * cx + sin * cy
    m[:, 1, 2] = cy - sin * cx - cos * cy
    return m


def translation_matrices(xp: Any, dx: Any, dy: Any) -> Any:
    """Output->input matrices shifting each image right by ``dx`` and down by ``dy`` pixels."""
    dx = xp.asarray(dx, dtype="float64")
    m = xp.zeros((dx.shape[0], 2, 3), dtype="float64")
    m[:, 0, 0] = m[:, 1, 1] = 1.0
    m[:, 0, 2] = -dx
    m[:, 1, 2] = -xp.asarray(dy, dtype="float64")
    return m


def zoom_matrices(xp: Any, zx: Any, zy: Any, height: int, width: int) -> Any:
    """Output->input matrices reading a region ``zx`` x ``zy`` times the image size about
    the centre: a zoom > 1 zooms out (the image shrinks), < 1 zooms in (as Keras)."""
    zx = xp.asarray(zx, dtype="float64")
    zy = xp.asarray(zy, dtype="float64")
    m = xp.zeros((zx.shape[0], 2, 3), dtype="float64")
    m[:, 0, 0], m[:, 1, 1] = zx, zy
    m[:, 0, 2] = (width - 1) / 2.0 * (1.0 - zx)
    m[:, 1, 2] = (height - 1) / 2.0 * (1.0 - zy)
    return m

