"""Pooling of channels-last volumes of any rank: ``max_pool3d`` / ``avg_pool3d`` on
(N, D, H, W, C), and ``pool_nd`` under them for any number of spatial axes.

As ``ember.ops.pool``, the forward loops over the offsets of the window (8 for 2x2x2): each
offset is one strided slice of the (padded) input holding that corner of every window; the
max or the sum of those slices is the output. Backward is written beside it: max-pool sends
each output gradient to the first window cell (row-major) holding the maximum, as TensorFlow
and PyTorch on ties; average-pool spreads it evenly over the real (unpadded) cells.
"same" pads as TensorFlow/Keras (the odd cell at the end) and the average counts only real
cells, as Keras does.

Example:
    >>> import ember as em
    >>> em.ops.pool_nd.max_pool3d(em.ones((1, 4, 5, 6, 2))).shape
    (1, 2, 2, 3, 2)
"""

from __future__ import annotations

import itertools
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of


def _ints(v: Any, rank: int, name: str, what: str) -> tuple:
    vals = (v,) * rank if isinstance(v, int) else tuple(v)
    if len(vals) != rank or not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1
                                    for a in vals):
        raise ValueError(f"{name}: {what} must be a positive int or {rank} of them; got {v!r}")
    return vals


def _same(size: int, k: int, s: int) -> tuple[int, int]:
    # TensorFlow/Keras: output ceil(size / stride), the odd padded cell at the end.
    total = max((-(-size // s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _real_cells(size: int, k: int, s: int, before: int, n_out: int) -> list[int]:
    """Real (unpadded) cells of each window along one axis, for the "same" average."""
    return [min(o * s - before + k, size) - max(o * s - before, 0) for o in range(n_out)]


def pool_nd(x: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
            kind: str = "max", name: str = "pool_nd") -> Tensor:
    """Max (``kind="max"``) or average (``"avg"``) pooling of (N, *spatial, C) data.

    Example:
        >>> import ember as em
        >>> em.ops.pool_nd.pool_nd(em.ones((1, 4, 4, 4, 1)), 2, kind="avg").shape
        (1, 2, 2, 2, 1)
    """
    x = as_tensor(x)
    rank = x.ndim - 2
    if rank < 1:
        raise ValueError(f"{name}: x must be (batch, *spatial, channels); got shape {x.shape}")
    k = _ints(pool_size, rank, name, "pool_size")
    s = k if strides is None else _ints(strides, rank, name, "strides")
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{name}: padding must be 'valid' or 'same'; got {padding!r}")
    if kind not in ("max", "avg"):
        raise ValueError(f"{name}: kind must be 'max' or 'avg'; got {kind!r}")
    xd = x.data if x.data.dtype.kind == "f" else x.data.astype(backend.floatx())
    xp = xp_of(xd)
    sizes = xd.shape[1:-1]
    pads = [_same(n, kk, ss) if mode == "same" else (0, 0) for n, kk, ss in zip(sizes, k, s)]
    padded = any(a or b for a, b in pads)
    if padded:
        fill = -xp.inf if kind == "max" else 0  # padding never wins a max
        big = (xd.shape[0],) + tuple(n + a + b for n, (a, b) in zip(sizes, pads)) + \
            (xd.shape[-1],)
        xpad = xp.full(big, fill, dtype=xd.dtype)
        xpad[(slice(None),) + tuple(slice(a, a + n) for n, (a, _) in zip(sizes, pads))] = xd
    else:
        xpad = xd
    outs = []
    for axis, (n, kk, ss) in enumerate(zip(xpad.shape[1:-1], k, s)):
        if kk > n:
            raise ValueError(f"{name}: the pool window {k} is larger than the "
                             f"{'padded ' if padded else ''}input along spatial axis {axis} "
                             f"(input {tuple(x.shape)}); use padding='same' or a smaller "
                             "pool_size")
        outs.append((n - kk) // ss + 1)
    index = [(slice(None),) + tuple(slice(o, o + (no - 1) * ss + 1, ss)
                                    for o, no, ss in zip(off, outs, s))
             for off in itertools.product(*[range(kk) for kk in k])]  # row-major: ties go first
    parts = [xpad[ix] for ix in index]
    if kind == "max":
        out = parts[0].copy()
        for p in parts[1:]:
            xp.maximum(out, p, out=out)
    else:
        out = parts[0].copy()
        for p in parts[1:]:
            out += p
        if padded:
            scale = xp.ones(out.shape[1:-1], dtype=out.dtype)
            for axis, (n, kk, ss, (a, _), no) in enumerate(zip(sizes, k, s, pads, outs)):
                cnt = xp.asarray(_real_cells(n, kk, ss, a, no), dtype=out.dtype)
                shape = [1] * rank
                shape[axis] = no
                scale = scale / cnt.reshape(shape)
            scale = scale[..., None]
        else:
            scale = 1.0 / float(xp.prod(xp.asarray(k)))  # a Python float keeps float32
        out *= scale

    def backward(g: Tensor) -> tuple:
        gd = g.data
        dx = xp.zeros(xpad.shape, dtype=gd.dtype)
        if kind == "max":
            taken = xp.zeros(out.shape, dtype=bool)  # windows whose maximum got the gradient
            for ix, part in zip(index, parts):
                first = (part == out) & ~taken
                taken |= first
                dx[ix] += gd * first
        else:
            share = gd * scale
            for ix in index:
                dx[ix] += share
        if padded:
            dx = xp.ascontiguousarray(
                dx[(slice(None),) + tuple(slice(a, a + n) for n, (a, _) in zip(sizes, pads))])
        return (wrap_array(dx),)

    saved = (x,) if kind == "max" else ()  # the max masks read x's values
    return record_op(out, (x,), backward, name, saved, fused=True)


def _check5(x: Any, name: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 5:
        raise ValueError(f"{name}: x must be 5-D (batch, depth, height, width, channels), "
                         f"channels last; got shape {tuple(x.shape)}")
    return x


def max_pool3d(x: Any, pool_size: Any = (2, 2, 2), strides: Any = None,
               padding: str = "valid") -> Tensor:
    """Maximum over each window of (N, D, H, W, C) volumes (Keras' ``MaxPooling3D``).

    Example:
        >>> import ember as em
        >>> em.ops.pool_nd.max_pool3d(em.arange(8.0).reshape(1, 2, 2, 2, 1)).reshape(-1)
        tensor([7.])
    """
    return pool_nd(_check5(x, "max_pool3d"), pool_size, strides, padding, "max", "max_pool3d")


def avg_pool3d(x: Any, pool_size: Any = (2, 2, 2), strides: Any = None,
               padding: str = "valid") -> Tensor:
    """Mean over each window of (N, D, H, W, C) volumes (Keras' ``AveragePooling3D``); with
    "same" padding over the real cells only, as Keras.

    Example:
        >>> import ember as em
        >>> em.ops.pool_nd.avg_pool3d(em.arange(8.0).reshape(1, 2, 2, 2, 1)).reshape(-1)
        tensor([3.5])
    """
    return pool_nd(_check5(x, "avg_pool3d"), pool_size, strides, padding, "avg", "avg_pool3d")


__all__ = ["avg_pool3d", "max_pool3d", "pool_nd"]
