"""Batched affine resampling of NHWC images: the op behind the geometric augmentation
layers (RandomRotation, RandomTranslation, RandomZoom) and ``ember.data.augment``.

Each image ``b`` has a 2x3 matrix ``A[b]`` that maps an *output* pixel (x, y) to the *input*
point it is read from: ``(x_in, y_in) = A[b] @ (x, y, 1)``, in pixel coordinates with pixel
centres on integers, x along the width and y down the height. The source coordinates of the
whole batch are computed at once by broadcasting, then sampled with a gather (``take`` with
integer index arrays) per neighbouring pixel — 1 for nearest, 4 for bilinear interpolation —
and a weighted sum. Points outside the image follow ``fill_mode``:

- ``"reflect"``: ``(d c b a | a b c d | d c b a)``, reflected about the edge of the last pixel;
- ``"constant"``: ``(k k k k | a b c d | k k k k)`` with ``k = fill_value``;
- ``"wrap"``: ``(a b c d | a b c d | a b c d)``;
- ``"nearest"``: ``(a a a a | a b c d | d d d d)``.

The sampling is one graph node whose backward (a scatter-add of the weighted gradient) is
written in ops, so gradients flow back to the images and can be differentiated again.
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.elementwise import add, mul
from ember.ops.shape import index_add, reshape

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
    x = images if isinstance(images, Tensor) else wrap_array(xp_of(images).asarray(images))
    if x.ndim != 4 or x.data.dtype.kind != "f":
        raise ValueError(f"affine_transform: expected a float batch (N, H, W, C); got shape "
                         f"{tuple(x.shape)} dtype {x.data.dtype}")
    n, h, w, c = x.shape
    if x.data.size == 0:
        return x
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

    # Per axis: the neighbouring pixels' flat offsets (mapped by fill_mode) and weights.
    bilinear = interpolation == "bilinear"
    cols, wx = _axis_taps(xp, src_x, w, 1, fill_mode, bilinear, dt)
    rows, wy = _axis_taps(xp, src_y, h, w, fill_mode, bilinear, dt)
    first_pixel = xp.arange(n, dtype=xp.int64).reshape(n, 1, 1) * (h * w)
    rows = [r + first_pixel for r in rows]
    taps = [(r, cx, _times(a, b)) for r, a in zip(rows, wy) for cx, b in zip(cols, wx)]
    out = _sample(x, taps)
    if fill_mode == "constant" and fill_value != 0:
        # Whatever weight fell outside the image goes to the fill value.
        inside = _times(_total(wy), _total(wx))
        if inside is not None:  # None: every tap inside the image
            out = add(out, wrap_array(((1 - inside) * dt.type(fill_value))[..., None]))
    return out


def _total(wts: list) -> Any:
    return wts[0] if len(wts) == 1 else sum(wts)


def _times(a: Any, b: Any) -> Any:
    """a * b where None stands for a weight of exactly 1."""
    return b if a is None else a if b is None else a * b


def _axis_taps(xp: Any, coord: Any, size: int, stride: int, mode: str, bilinear: bool,
               dt: Any) -> tuple[list, list]:
    """Along one axis: the neighbouring pixels' offsets (index * stride; 1 pixel for nearest,
    2 for bilinear) and their weights (None: exactly 1).

    Indices are mapped through a small lookup table over the range of indices in use
    (cheaper than applying clip / mod / reflection to every pixel's index)."""
    base = xp.floor(coord) if bilinear else xp.floor(coord + 0.5)
    wts: list = [None]
    if bilinear:
        frac = (coord - base).astype(dt)
        wts = [1 - frac, frac]
    lo, hi = int(base.min()), int(base.max()) + (1 if bilinear else 0)
    rel = (base - lo).astype(xp.int64)
    raw = xp.arange(lo, hi + 1, dtype=xp.int64)
    if mode in ("constant", "nearest"):
        mapped = xp.clip(raw, 0, size - 1)
    elif mode == "wrap":
        mapped = xp.mod(raw, size)
    else:  # reflect: ... d c b a | a b c d | d c b a ...
        mapped = xp.mod(raw, 2 * size)
        mapped = xp.where(mapped >= size, 2 * size - 1 - mapped, mapped)
    table = mapped * stride
    offsets = [xp.take(table[k:], rel) for k in range(len(wts))]  # table[1:]: the index + 1
    if mode == "constant" and (lo < 0 or hi >= size):
        inside = ((raw >= 0) & (raw < size)).astype(dt)  # out-of-range neighbours weigh 0
        wts = [_times(wt, xp.take(inside[k:], rel)) for k, wt in enumerate(wts)]
    return offsets, wts


def _sample(x: Tensor, taps: list) -> Tensor:
    """``sum over taps (row, col, weight) of weight * x_flat[row + col]``: a gather per tap
    (``take``, much faster than fancy indexing) and a weighted sum. The backward scatters
    ``g * weight`` back with ``index_add``, written in ops so it is differentiable again."""
    n, h, w, c = x.shape
    xp = xp_of(x.data)
    src = x.data.reshape(n * h * w, c)
    out = None
    indices = []
    for row, col, wt in taps:
        index = row + col
        indices.append(index)
        v = xp.take(src, index, axis=0)
        if wt is not None:
            v *= wt[..., None]
        out = v if out is None else out.__iadd__(v)

    def backward(g: Tensor) -> tuple:
        ones = None
        weights = []
        for _, _, wt in taps:
            if wt is None:
                ones = xp.ones(g.shape[:3], dtype=g.data.dtype) if ones is None else ones
                wt = ones
            weights.append(wt)
        vals = mul(reshape(g, (1, n, h, w, c)), wrap_array(xp.stack(weights)[..., None]))
        flat = index_add(reshape(vals, (-1, c)), xp.stack(indices).reshape(-1), (n * h * w, c))
        return (reshape(flat, (n, h, w, c)),)

    return record_op(out, (x,), backward, "affine_sample")


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

