"""Ops that change what a tensor is, not its values: dtype casts, device moves, copies."""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, record_op


def astype(x: Tensor, dtype: Any) -> Tensor:
    """The values converted to ``dtype``; gradients flow back between float types."""
    dt = backend.numpy_module().dtype(dtype)
    if x.data.dtype == dt:
        return x
    src = x.data.dtype
    if dt.kind != "f":
        return record_op(x.data.astype(dt), (), None, "astype")
    return record_op(x.data.astype(dt), (x,), lambda g: (astype(g, src),), "astype")


def to(x: Tensor, device: str) -> Tensor:
    """The tensor on ``device`` ('cpu' or 'cuda'); the gradient moves back."""
    dev = backend.normalize_device(device)
    if x.device == dev:
        return x
    src = x.device
    return record_op(backend.to_device(x.data, dev), (x,), lambda g: (to(g, src),), "to")


def clone(x: Tensor) -> Tensor:
    """A copy with its own memory; gradients pass through unchanged."""
    return record_op(x.data.copy(), (x,), lambda g: (g,), "clone")
