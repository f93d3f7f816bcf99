"""Broadcasting and its reverse: ``broadcast_to`` repeats size-1 axes, ``sum_to`` sums them back.

These two belong to autograd, not to the ops: the engine un-broadcasts every gradient with
``sum_to`` (``a + b`` with ``a`` of shape (3, 1) and ``b`` of shape (4,) gives a (3, 4) result
whose gradient must come back to (3, 1) and (4,)). Each is the other's backward, so gradients of
gradients work. ``ember.ops.shape`` re-exports both as ``em.broadcast_to`` / ``em.sum_to``.

Example:
    >>> import ember as em
    >>> g = em.ones((3, 4))
    >>> sum_to(g, (3, 1)).shape, sum_to(g, (4,)).shape
    ((3, 1), (4,))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op
from ember.backend import xp_of


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Repeat size-1 (or missing leading) axes to reach ``shape``; backward sums them back."""
    x = as_tensor(x)
    shape = tuple(shape)
    xp = xp_of(x.data)
    try:
        data = xp.broadcast_to(x.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    in_shape = x.shape
    return record_op(data, (x,), lambda g: (sum_to(g, in_shape),), "broadcast_to")


def sum_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Sum a broadcast result back to ``shape`` (the reverse of ``broadcast_to``)."""
    x = as_tensor(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot reduce shape {x.shape} to the larger {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    for i, n in enumerate(shape):
        if n != 1 and x.shape[lead + i] != n:
            raise ValueError(f"sum_to: shape {x.shape} does not broadcast from {shape}")
    data = x.data.sum(axis=axes, keepdims=True) if axes else x.data
    if lead:
        data = data.reshape(shape)
    return record_op(data, (x,), lambda g: (broadcast_to(g, x.shape),), "sum_to")
