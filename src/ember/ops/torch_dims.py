"""PyTorch's spellings of reduction arguments: ``dim`` for ``axis``, ``keepdim`` for
``keepdims``, ``correction`` / ``unbiased`` for NumPy's ``ddof``.

The reductions take them as ``**torch_kw`` and call ``torch_dims`` only when some were given,
so the NumPy-style call pays nothing. ``x.max(dim=1)`` returns (values, indices), as PyTorch;
``x.max(axis=1)`` and ``x.max(1)`` return the values, as NumPy.
"""

from __future__ import annotations

from typing import Any


def torch_dims(op: str, axis: Any, keepdims: bool, kw: dict) -> tuple[Any, bool]:
    """(axis, keepdims) after reading ``dim`` / ``keepdim`` from ``kw``; other keys raise."""
    kw = dict(kw)
    dim = kw.pop("dim", None)
    keepdim = kw.pop("keepdim", None)
    if kw:
        raise TypeError(f"{op}: unexpected keyword argument(s) {sorted(kw)} (accepted: axis / "
                        "dim, keepdims / keepdim)")
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give `axis` or `dim`, not both")
        axis = tuple(dim) if isinstance(dim, list) else dim
    if keepdim is not None:
        keepdims = bool(keepdim)
    return axis, keepdims


def torch_ddof(op: str, ddof: int | None, kw: dict) -> tuple[int, dict]:
    """NumPy's ``ddof`` from PyTorch's ``correction`` or ``unbiased`` (removed from ``kw``).

    Without any of the three: PyTorch's correction=1 when the call names ``dim`` or
    ``keepdim`` (a PyTorch-style call), else NumPy's and Keras' ddof=0.
    """
    kw = dict(kw)
    correction = kw.pop("correction", None)
    unbiased = kw.pop("unbiased", None)
    if correction is not None and unbiased is not None:
        raise TypeError(f"{op}: give `correction` or `unbiased`, not both")
    if correction is not None:
        ddof = int(correction)
    elif unbiased is not None:
        ddof = 1 if unbiased else 0
    elif ddof is None:
        ddof = 1 if ("dim" in kw or "keepdim" in kw) else 0
    return ddof, kw


def values_and_indices(x: Any, axis: Any, keepdims: bool, op: str) -> Any:
    """PyTorch's ``max(dim=...)`` / ``min(dim=...)``: (values, indices) along one axis."""
    from ember.ops.reduction import _extreme, argmax, argmin
    from ember.ops.sorting import ValuesIndices

    if not isinstance(axis, int):
        raise TypeError(f"{op}(dim=...): dim must be one int to return (values, indices); got "
                        f"{axis!r}")
    pick = argmax if op == "max" else argmin
    return ValuesIndices(_extreme(x, axis, keepdims, op), pick(x, axis, keepdims))
