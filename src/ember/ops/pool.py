"""Pooling and upsampling of channels-last data: ``max_pool2d``, ``avg_pool2d`` (N, H, W, C),
``max_pool1d``, ``avg_pool1d`` (N, L, C), ``upsample2d`` and ``upsample1d``.

Pooling loops over the offsets of the pool window only (4 iterations for 2x2): each offset is
one strided slice of the input holding that corner of every window, and the max (or sum) of
those slices is the output. For 2x2 windows this is 5x faster than a reshape + max over axes.
Max-pool backward sends each output gradient to the window position holding the maximum (the
first one on ties, as PyTorch and TensorFlow), using masks ``slice == output`` (the fast
kernel is ``ember.kernels.max_pool_backward``); average-pool backward spreads it evenly.
"valid" drops the rows/columns that do not fill a window (13 -> 6); "same" pads as
TensorFlow/Keras and the average counts only real cells.

Example:
    >>> import ember as em
    >>> em.ops.pool.max_pool2d(em.ones((1, 13, 13, 3))).shape
    (1, 6, 6, 3)
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.kernels import registry as kernels
from ember.ops.conv import out_size, pad_amounts, pair
from ember.ops.matmul import matmul
from ember.ops.shape import broadcast_to, reshape


def _float(xd: Any) -> Any:
    return xd if xd.dtype.kind == "f" else xd.astype(backend.floatx())


def _counts(size: int, k: int, s: int, before: int, n_out: int) -> list[int]:
    """Real (unpadded) cells in each window along one axis, for the "same" average."""
    return [min(o * s - before + k, size) - max(o * s - before, 0) for o in range(n_out)]


def _combine(parts: list, kind: str, xp: Any) -> Any:
    """The max or the sum of the window offsets' slices, offset by offset."""
    if len(parts) == 1:
        return parts[0].copy()
    if kind == "max":
        out = xp.maximum(parts[0], parts[1])
        for p in parts[2:]:
            xp.maximum(out, p, out=out)
        return out
    out = parts[0] + parts[1]
    for p in parts[2:]:
        out += p
    return out


def _pool(x: Tensor, xd: Any, k: tuple, s: tuple, padding: Any, kind: str, name: str,
          out_shape: Any = None) -> Tensor:
    """Max or average pooling of the NHWC array ``xd`` (x's data, maybe reshaped to 4-D)."""
    xp = xp_of(xd)
    n, h, w, c = xd.shape
    if isinstance(padding, str) and padding.lower() in ("valid", "same"):
        pads = pad_amounts(padding, (h, w), k, s, (1, 1), name)
    else:
        raise ValueError(f"{name}: padding must be 'valid' or 'same'; got {padding!r}")
    (pt, pb), (pl, pr) = pads
    padded = bool(pt or pb or pl or pr)
    if padded:
        fill = -xp.inf if kind == "max" else 0  # padding never wins a max
        xpad = xp.full((n, h + pt + pb, w + pl + pr, c), fill, dtype=xd.dtype)
        xpad[:, pt:pt + h, pl:pl + w] = xd
    else:
        xpad = xd
    hp, wp = xpad.shape[1:3]
    ho = out_size(hp, k[0], s[0], 1, name, "height", x.shape, k)
    wo = out_size(wp, k[1], s[1], 1, name, "width", x.shape, k)
    offsets = [(i, j) for i in range(k[0]) for j in range(k[1])]  # row-major: ties go first
    index = [(slice(None), slice(i, i + (ho - 1) * s[0] + 1, s[0]),
              slice(j, j + (wo - 1) * s[1] + 1, s[1])) for i, j in offsets]
    parts = [xpad[ix] for ix in index]
    # windows that tile x: the fast kernel's one compiled pass, where numba is installed
    tiles = kernels.fast("max_pool2d_tiles") if kind == "max" and s == k and not padded \
        else None
    out = None if tiles is None else tiles(xpad, k, (ho, wo))
    if out is None:
        out = _combine(parts, kind, xp)
    if kind == "avg":
        if padded:
            cnt = [_counts(size, kk, ss, before, no) for size, kk, ss, before, no in
                   zip((h, w), k, s, (pt, pl), (ho, wo))]
            scale = 1.0 / xp.asarray(cnt[0], dtype=out.dtype)[:, None, None] \
                / xp.asarray(cnt[1], dtype=out.dtype)[None, :, None]
            out *= scale
        else:
            scale = 1.0 / (k[0] * k[1])  # a Python float keeps float32 float32
            out *= scale
    max_backward = (kernels.fast("max_pool2d") or _max_backward) if kind == "max" else None

    def backward(g: Tensor) -> tuple:
        gd = g.data.reshape(out.shape)
        if max_backward is not None:
            dxp = max_backward(xpad, out, gd, k, s, index, parts, padded)
        else:  # average: every cell of a window gets an equal share
            dxp = xp.zeros(xpad.shape, dtype=gd.dtype)
            gs = gd * scale
            for ix in index:
                dxp[ix] += gs
        if padded:
            dxp = xp.ascontiguousarray(dxp[:, pt:pt + h, pl:pl + w])
        return (wrap_array(dxp.reshape(x.shape)),)

    shape = out.shape if out_shape is None else out_shape(out.shape)
    saved = (x,) if kind == "max" else ()  # the max masks read x's values
    return record_op(out.reshape(shape), (x,), backward, name, saved, fused=True)


def _max_backward(xpad: Any, out: Any, g: Any, k: tuple, s: tuple, index: list, parts: list,
                  padded: bool) -> Any:
    """The reference max-pool backward: each window's gradient goes to the first position
    (row-major) holding its maximum, as PyTorch and TensorFlow do on ties. ``parts[m]`` is
    the window offset ``index[m]`` of every window (a strided slice of the padded input).
    The fast kernel is ``ember.kernels.max_pool_backward``."""
    xp = xp_of(xpad)
    dx = xp.zeros(xpad.shape, dtype=g.dtype)
    taken = xp.zeros(out.shape, dtype=bool)  # windows whose maximum got the gradient
    for ix, part in zip(index, parts):
        first = (part == out) & ~taken
        taken |= first
        dx[ix] += g * first
    return dx


def _check4(x: Tensor, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name}: x must be 4-D (batch, height, width, channels), channels "
                         f"last; got shape {x.shape}")


def _check3(x: Tensor, name: str) -> None:
    if x.ndim != 3:
        raise ValueError(f"{name}: x must be 3-D (batch, length, channels), channels last; "
                         f"got shape {x.shape}")


def _pool2d(x: Any, pool_size: Any, strides: Any, padding: str, kind: str, name: str) -> Tensor:
    x = as_tensor(x)
    _check4(x, name)
    k = pair(pool_size, name, "pool_size")
    s = k if strides is None else pair(strides, name, "strides")
    return _pool(x, _float(x.data), k, s, padding, kind, name)


def _pool1d(x: Any, pool_size: Any, strides: Any, padding: str, kind: str, name: str) -> Tensor:
    x = as_tensor(x)
    _check3(x, name)
    k = pair((1, *_one(pool_size)), name, "pool_size")
    s = k if strides is None else pair((1, *_one(strides)), name, "strides")
    xd = _float(x.data)
    x4 = xd.reshape(xd.shape[0], 1, xd.shape[1], xd.shape[2])
    return _pool(x, x4, k, s, padding, kind, name, lambda sh: (sh[0], sh[2], sh[3]))


def _one(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def max_pool2d(x: Any, pool_size: Any = (2, 2), strides: Any = None,
               padding: str = "valid") -> Tensor:
    """Maximum over each pool window of (N, H, W, C) images (Keras' ``MaxPooling2D``).

    ``strides`` defaults to ``pool_size``. "valid" drops incomplete windows (13 -> 6 for 2x2);
    "same" pads as TensorFlow (output ceil(H / stride)).

    Example:
        >>> import ember as em
        >>> x = em.arange(16.0).reshape(1, 4, 4, 1)
        >>> em.ops.pool.max_pool2d(x).reshape(2, 2)
        tensor([[ 5.,  7.],
                [13., 15.]])
    """
    return _pool2d(x, pool_size, strides, padding, "max", "max_pool2d")


def avg_pool2d(x: Any, pool_size: Any = (2, 2), strides: Any = None,
               padding: str = "valid") -> Tensor:
    """Mean over each pool window of (N, H, W, C) images (Keras' ``AveragePooling2D``); with
    "same" padding the mean is over the real cells only, as Keras.

    Example:
        >>> import ember as em
        >>> x = em.arange(16.0).reshape(1, 4, 4, 1)
        >>> em.ops.pool.avg_pool2d(x).reshape(2, 2)
        tensor([[ 2.5,  4.5],
                [10.5, 12.5]])
    """
    return _pool2d(x, pool_size, strides, padding, "avg", "avg_pool2d")


def max_pool1d(x: Any, pool_size: int = 2, strides: Any = None, padding: str = "valid"
               ) -> Tensor:
    """Maximum over windows of (N, L, C) sequences (Keras' ``MaxPooling1D``).

    Example:
        >>> import ember as em
        >>> em.ops.pool.max_pool1d(em.arange(6.0).reshape(1, 6, 1)).reshape(-1)
        tensor([1., 3., 5.])
    """
    return _pool1d(x, pool_size, strides, padding, "max", "max_pool1d")


def avg_pool1d(x: Any, pool_size: int = 2, strides: Any = None, padding: str = "valid"
               ) -> Tensor:
    """Mean over windows of (N, L, C) sequences (Keras' ``AveragePooling1D``).

    Example:
        >>> import ember as em
        >>> em.ops.pool.avg_pool1d(em.arange(6.0).reshape(1, 6, 1)).reshape(-1)
        tensor([0.5, 2.5, 4.5])
    """
    return _pool1d(x, pool_size, strides, padding, "avg", "avg_pool1d")


def _bilinear_matrix(n_in: int, factor: int, xp: Any, dtype: Any) -> Any:
    """(n_in * factor, n_in) interpolation weights with half-pixel centres, edges clamped
    (TensorFlow's ``resize(..., "bilinear")`` and PyTorch's ``align_corners=False``)."""
    np = backend.numpy_module()
    n_out = n_in * factor
    src = np.maximum((np.arange(n_out) + 0.5) / factor - 0.5, 0.0)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    a = np.zeros((n_out, n_in))
    np.add.at(a, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(a, (np.arange(n_out), hi), frac)
    return xp.asarray(a, dtype=dtype)


def upsample2d(x: Any, size: Any = (2, 2), interpolation: str = "nearest") -> Tensor:
    """Enlarge (N, H, W, C) images by integer factors (Keras' ``UpSampling2D``).

    "nearest" repeats each pixel size[0] x size[1] times; "bilinear" interpolates with
    half-pixel centres (as Keras/TensorFlow and PyTorch's ``align_corners=False``). Both are
    compositions of reshape/broadcast/matmul, so gradients of any order work.

    Example:
        >>> import ember as em
        >>> em.ops.pool.upsample2d(em.tensor([[1.0, 2.0]]).reshape(1, 1, 2, 1)).reshape(2, 4)
        tensor([[1., 1., 2., 2.],
                [1., 1., 2., 2.]])
    """
    x = as_tensor(x)
    _check4(x, "upsample2d")
    sh, sw = pair(size, "upsample2d", "size")
    n, h, w, c = x.shape
    if x.data.dtype.kind != "f":
        x = x.astype(backend.floatx())
    if interpolation == "nearest":
        wide = broadcast_to(reshape(x, (n, h, 1, w, 1, c)), (n, h, sh, w, sw, c))
        return reshape(wide, (n, h * sh, w * sw, c))
    if interpolation == "bilinear":
        xp, dt = xp_of(x.data), x.data.dtype
        rows = matmul(wrap_array(_bilinear_matrix(h, sh, xp, dt)), reshape(x, (n, h, w * c)))
        cols = matmul(wrap_array(_bilinear_matrix(w, sw, xp, dt)),
                      reshape(rows, (n * h * sh, w, c)))
        return reshape(cols, (n, h * sh, w * sw, c))
    raise ValueError(f"upsample2d: interpolation must be 'nearest' or 'bilinear'; got "
                     f"{interpolation!r}")


def upsample1d(x: Any, size: int = 2) -> Tensor:
    """Repeat each step of (N, L, C) sequences ``size`` times (Keras' ``UpSampling1D``).

    Example:
        >>> import ember as em
        >>> em.ops.pool.upsample1d(em.tensor([[[1.0], [2.0]]]), 2).reshape(-1)
        tensor([1., 1., 2., 2.])
    """
    x = as_tensor(x)
    _check3(x, "upsample1d")
    (k,) = pair((size, size), "upsample1d", "size")[:1]
    n, length, c = x.shape
    wide = broadcast_to(reshape(x, (n, length, 1, c)), (n, length, k, c))
    return reshape(wide, (n, length * k, c))


__all__ = ["avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d", "upsample1d", "upsample2d"]
