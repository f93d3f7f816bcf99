"""Adaptive pooling: ``adaptive_pool`` shrinks (or grows) the spatial axes of (N, *spatial, C)
data to a given output size, by mean or max (Keras 3's ``AdaptiveAveragePooling*D`` /
``AdaptiveMaxPooling*D`` and PyTorch's ``adaptive_*_pool``).

Output cell i along an axis of length L pools the input cells
``floor(i * L / out) <= j < ceil((i + 1) * L / out)``, Keras' and PyTorch's windows: 7 -> 3 pools
[0, 3), [2, 5), [4, 7) (windows overlap where L does not divide). The box of a cell is the
product of its per-axis windows, and both the mean and the max over a box are the same taken
one axis after the other, so the op pools one axis at a time (``adaptive_pool_axis``, forward
and backward written side by side); the chain of them is differentiated by autograd.

Example:
    >>> import ember as em
    >>> x = em.arange(7.0).reshape(1, 7, 1)
    >>> em.ops.adaptive_pool.adaptive_pool(x, 3, "avg").reshape(-1)
    tensor([1., 3., 5.])
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of


def windows(size: int, out: int) -> list[tuple[int, int]]:
    """The [start, end) of each of the ``out`` windows along an axis of length ``size``."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def adaptive_pool_axis(x: Any, axis: int, out: int, kind: str = "avg",
                       name: str = "adaptive_pool") -> Tensor:
    """Pool axis ``axis`` of ``x`` to length ``out`` over the adaptive windows (mean or max).

    Example:
        >>> import ember as em
        >>> em.ops.adaptive_pool.adaptive_pool_axis(em.arange(4.0), 0, 2, "max")
        tensor([1., 3.])
    """
    x = as_tensor(x)
    xd = x.data if x.data.dtype.kind == "f" else x.data.astype(backend.floatx())
    xp = xp_of(xd)
    axis = axis % xd.ndim
    size = xd.shape[axis]
    if size < 1:
        raise ValueError(f"{name}: cannot pool an empty axis {axis} (input {tuple(x.shape)})")
    spans = windows(size, out)

    def cut(a: int, b: int) -> tuple:
        return (slice(None),) * axis + (slice(a, b),)

    if kind == "avg":
        parts = [xd[cut(a, b)].mean(axis=axis, keepdims=True) for a, b in spans]
    elif kind == "max":
        parts = [xd[cut(a, b)].max(axis=axis, keepdims=True) for a, b in spans]
    else:
        raise ValueError(f"{name}: kind must be 'avg' or 'max'; got {kind!r}")
    out_data = xp.concatenate(parts, axis=axis)

    def backward(g: Tensor) -> tuple:
        gd = g.data
        dx = xp.zeros(xd.shape, dtype=gd.dtype)
        for i, (a, b) in enumerate(spans):
            gi = gd[cut(i, i + 1)]
            if kind == "avg":
                dx[cut(a, b)] += gi / (b - a)
            else:  # the first cell (along the axis) holding the maximum takes the gradient
                window = xd[cut(a, b)]
                hit = window == out_data[cut(i, i + 1)]
                first = hit & (xp.cumsum(hit, axis=axis) == 1)
                dx[cut(a, b)] += gi * first
        return (wrap_array(dx),)

    saved = (x,) if kind == "max" else ()
    return record_op(out_data, (x,), backward, name, saved, fused=True)


def adaptive_pool(x: Any, output_size: Any, kind: str = "avg",
                  data_format: str = "channels_last", name: str = "adaptive_pool") -> Tensor:
    """Pool every spatial axis of ``x`` to ``output_size`` (an int or one per axis).

    ``data_format`` "channels_last" is (N, *spatial, C); "channels_first" is (N, C, *spatial).

    Example:
        >>> import ember as em
        >>> em.ops.adaptive_pool.adaptive_pool(em.ones((2, 7, 9, 3)), (3, 4), "max").shape
        (2, 3, 4, 3)
    """
    x = as_tensor(x)
    rank = x.ndim - 2
    if rank < 1:
        raise ValueError(f"{name}: x must be (batch, *spatial, channels); got shape "
                         f"{tuple(x.shape)}")
    sizes = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != rank or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                                     for s in sizes):
        raise ValueError(f"{name}: output_size must be a positive int or {rank} of them for "
                         f"{rank}-D pooling; got {output_size!r}")
    first = 2 if data_format == "channels_first" else 1
    y = x
    for i, s in enumerate(sizes):
        y = adaptive_pool_axis(y, first + i, s, kind, name)
    return y


__all__ = ["adaptive_pool", "adaptive_pool_axis", "windows"]
