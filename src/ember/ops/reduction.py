"""Reductions over axes: sum, mean, var, std, max, min, prod, logsumexp, argmax, argmin.

``axis`` is None (all axes), an int or a tuple; ``keepdims`` as in NumPy. Backward rules are
tensor ops (reshape + broadcast), so higher-order gradients work.
"""

from __future__ import annotations

import builtins
from typing import Any

from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import numpy_module, xp_of
from ember.ops.shape import broadcast_to, reshape
from ember.ops.torch_dims import torch_ddof, torch_dims, values_and_indices

_NP = numpy_module()


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    if not ndim:
        return ()
    out = tuple(sorted(a % ndim for a in axes))
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} names the same axis twice")
    return out


_SHORT_LAST_AXIS = 32


def max_kept(a: Any, axis: int) -> Any:
    """``a.max(axis=axis, keepdims=True)`` on an array, for one axis (a softmax's shift).

    NumPy reduces a short last axis slowly, one tiny inner loop per row: (10000, 10) takes
    0.6 ms, 11x a transposed copy reduced row against row, and (32, 10), the logits of a batch,
    2.7 us against 1.6. So a last axis of at most 32 entries is transposed first (one copy).
    """
    ax = axis % a.ndim
    n = a.shape[ax]
    if n == 0:  # an empty axis has no max; a zero shift keeps softmax of it empty, as PyTorch
        return xp_of(a).zeros(a.shape[:ax] + (1,) + a.shape[ax + 1:], dtype=a.dtype)
    if ax == a.ndim - 1 and a.ndim > 1 and 1 < n <= _SHORT_LAST_AXIS and a.size > n \
            and type(a) is _NP.ndarray:
        columns = _NP.ascontiguousarray(a.reshape(-1, n).T)  # (n, rows)
        return _NP.maximum.reduce(columns, axis=0).reshape(a.shape[:-1] + (1,))
    return a.max(axis=ax, keepdims=True)


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(g: Tensor, in_shape: tuple, axes: tuple, keepdims: bool, scale: float = 1.0
            ) -> Tensor:
    """Bring a reduced gradient back to the input's shape (times ``scale``).

    Recording (create_graph) uses the tensor ops; a plain backward does the same on the arrays
    directly, which at batch 32 saves more time than the arithmetic costs.
    """
    if STATE.enabled:
        if not keepdims:
            g = reshape(g, _kept_shape(in_shape, axes))
        out = broadcast_to(g, in_shape)
        return out if scale == 1.0 else out * scale
    gd = g.data if keepdims else g.data.reshape(_kept_shape(in_shape, axes))
    if scale != 1.0:
        gd = gd * scale
    return wrap_array(xp_of(gd).broadcast_to(gd, in_shape))


def sum(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """Sum over ``axis`` (all axes by default); ``dim`` / ``keepdim`` as PyTorch's."""
    if torch_kw:
        axis, keepdims = torch_dims("sum", axis, keepdims, torch_kw)
    x = as_tensor(x)
    axes = _axes(axis, x.ndim)
    data = x.data.sum(axis=axes, keepdims=keepdims)
    if data.dtype != x.data.dtype and x.data.dtype.kind == "f":
        data = data.astype(x.data.dtype)
    shape = x.shape
    return record_op(data, (x,), lambda g: (_expand(g, shape, axes, keepdims),), "sum")


def mean(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """Arithmetic mean over ``axis`` (NaN over an empty axis, as PyTorch)."""
    if torch_kw:
        axis, keepdims = torch_dims("mean", axis, keepdims, torch_kw)
    x = as_tensor(x)
    axes = _axes(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    if x.data.dtype.kind != "f":
        from ember.backend import floatx
        from ember.ops.elementwise import _cast

        x = _cast(x, floatx())
    if count:
        data = x.data.mean(axis=axes, keepdims=keepdims)
        scale = 1.0 / count
    else:  # NumPy would warn "mean of empty slice"; the answer is NaN either way
        data = x.data.sum(axis=axes, keepdims=keepdims) * float("nan")
        scale = float("nan")
    shape = x.shape
    return record_op(data, (x,), lambda g: (_expand(g, shape, axes, keepdims, scale),), "mean")


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int | None = None,
        **torch_kw: Any) -> Tensor:
    """Variance over ``axis`` with NumPy's ``ddof``, or PyTorch's ``correction=`` /
    ``unbiased=``. The default follows the call: ddof=0 (population, as NumPy and Keras) for
    ``var(x)`` and ``var(x, axis=...)``; correction=1 (PyTorch's) when called with ``dim=``
    or ``keepdim=``."""
    if torch_kw:
        ddof, torch_kw = torch_ddof("var", ddof, torch_kw)
        axis, keepdims = torch_dims("var", axis, keepdims, torch_kw)
    elif ddof is None:
        ddof = 0
    x = as_tensor(x)
    axes = _axes(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    centered = x - mean(x, axis=axes, keepdims=True)
    denom = count - ddof
    scale = 1.0 / denom if denom > 0 else float("nan")
    return sum(centered * centered, axis=axes, keepdims=keepdims) * scale


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int | None = None,
        **torch_kw: Any) -> Tensor:
    """Standard deviation: sqrt of ``var`` (the same ``ddof`` / ``correction`` / ``unbiased``,
    and the same default: 0, or 1 when called with ``dim=`` as in PyTorch); its gradient is 0
    where the deviation is 0 (as PyTorch), not the NaN that sqrt'(0) * 0 would give."""
    v = var(x, axis=axis, keepdims=keepdims, ddof=ddof, **torch_kw)
    xp = xp_of(v.data)
    data = xp.sqrt(v.data)

    def backward(g: Tensor) -> tuple:
        from ember.ops.elementwise import where

        pos = data > 0
        return (where(pos, g * 0.5 / where(pos, out, 1.0), 0.0),)

    out = record_op(data, (v,), backward, "std", keep_output=True)
    return out


def max(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Any:
    """Largest value over ``axis``; the gradient is split evenly between tied maxima.

    ``max(x, dim=1)`` returns (values, indices) as PyTorch; ``axis=`` returns the values.
    """
    if torch_kw:
        axis, keepdims = torch_dims("max", axis, keepdims, torch_kw)
        if "dim" in torch_kw:
            return values_and_indices(x, axis, keepdims, "max")
    return _extreme(x, axis, keepdims, "max")


def min(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Any:
    """Smallest value over ``axis``; the gradient is split evenly between tied minima.

    ``min(x, dim=1)`` returns (values, indices) as PyTorch; ``axis=`` returns the values.
    """
    if torch_kw:
        axis, keepdims = torch_dims("min", axis, keepdims, torch_kw)
        if "dim" in torch_kw:
            return values_and_indices(x, axis, keepdims, "min")
    return _extreme(x, axis, keepdims, "min")


def _extreme(x: Any, axis: Any, keepdims: bool, op: str) -> Tensor:
    x = as_tensor(x)
    axes = _axes(axis, x.ndim)
    if x.data.size == 0 and builtins.any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: reduction over an empty axis of a tensor of shape {x.shape} "
                         "has no identity")
    data = getattr(x.data, op)(axis=axes, keepdims=keepdims)
    shape = x.shape

    def backward(g: Tensor) -> tuple:
        kept = data if keepdims else data.reshape(_kept_shape(shape, axes))
        hit = (x.data == kept).astype(g.data.dtype)
        hit /= hit.sum(axis=axes, keepdims=True)
        return (_expand(g, shape, axes, keepdims) * hit,)

    return record_op(data, (x,), backward, op, (x,))


def prod(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """Product over ``axis``; exact gradients also where some factors are zero."""
    if torch_kw:
        axis, keepdims = torch_dims("prod", axis, keepdims, torch_kw)
    x = as_tensor(x)
    xp = xp_of(x.data)
    axes = _axes(axis, x.ndim)
    data = x.data.prod(axis=axes, keepdims=keepdims)
    shape = x.shape

    def backward(g: Tensor) -> tuple:
        ge = _expand(g, shape, axes, keepdims)
        if not (x.data == 0).any():
            kept = out if keepdims else reshape(out, _kept_shape(shape, axes))
            return (ge * kept / x,)
        # The products of the other factors come from an array kernel: exact first
        # derivatives; a second derivative through them refuses clearly instead of being 0.
        others = record_op(_prod_of_others(x.data, axes, xp), (x,), _refuse_prod_grad, "prod")
        return (ge * others,)

    out = record_op(data, (x,), backward, "prod", (x,), keep_output=True)
    return out


def _refuse_prod_grad(g: Tensor) -> tuple:
    raise RuntimeError("prod: second derivatives where a factor is 0 are not supported; "
                       "compute the product with exp(sum(log(abs(x)))) and signs, or avoid "
                       "exact zeros")


def _prod_of_others(a: Any, axes: tuple, xp: Any) -> Any:
    """For each element, the product of the other elements in its reduction group."""
    moved = xp.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
    lead = moved.shape[: a.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    ones = xp.ones(lead + (1,), dtype=a.dtype)
    before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], ones], axis=-1), -1),
                               axis=-1), -1)
    others = (before * after).reshape(moved.shape)
    return xp.moveaxis(others, tuple(range(a.ndim - len(axes), a.ndim)), axes)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, without overflow (-inf over an empty axis; NaN where a
    term is NaN, as PyTorch)."""
    from ember.ops.elementwise import _ft, exp

    x = _ft(x)
    xp = xp_of(x.data)
    axes = _axes(axis, x.ndim)
    if x.size:
        m = x.data.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.exp(x.data - m).sum(axis=axes, keepdims=True)
    else:
        m = s = xp.zeros(_kept_shape(x.shape, axes), dtype=x.data.dtype)
    if (s > 0).all():
        kept = xp.log(s) + m
    else:  # all terms exp(-inf) = 0: log(0) = -inf, without NumPy's divide-by-zero warning;
        # a NaN term makes the sum NaN, and NaN it stays (s > 0 is False for NaN too)
        kept = xp.where(s == 0, -xp.inf, xp.log(xp.where(s == 0, 1, s)) + m).astype(s.dtype)
    data = kept if keepdims else kept.reshape(tuple(n for i, n in enumerate(x.shape)
                                                    if i not in axes))
    shape = x.shape

    def backward(g: Tensor) -> tuple:
        o = out if keepdims else reshape(out, _kept_shape(shape, axes))
        return (_expand(g, shape, axes, keepdims) * exp(x - o),)

    out = record_op(data, (x,), backward, "logsumexp", (x,), keep_output=True)
    return out


def argmax(x: Any, axis: int | None = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """Index of the largest value (not differentiable); ``dim`` / ``keepdim`` accepted."""
    if torch_kw:
        axis, keepdims = torch_dims("argmax", axis, keepdims, torch_kw)
    x = as_tensor(x)
    xp = xp_of(x.data)
    return wrap_array(xp.asarray(xp.argmax(x.data, axis=axis, keepdims=keepdims)))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """Index of the smallest value (not differentiable); ``dim`` / ``keepdim`` accepted."""
    if torch_kw:
        axis, keepdims = torch_dims("argmin", axis, keepdims, torch_kw)
    x = as_tensor(x)
    xp = xp_of(x.data)
    return wrap_array(xp.asarray(xp.argmin(x.data, axis=axis, keepdims=keepdims)))


def all(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """True where every value over ``axis`` is non-zero."""
    if torch_kw:
        axis, keepdims = torch_dims("all", axis, keepdims, torch_kw)
    x = as_tensor(x)
    return wrap_array(xp_of(x.data).asarray(x.data.all(axis=axis, keepdims=keepdims)))


def any(x: Any, axis: Any = None, keepdims: bool = False, **torch_kw: Any) -> Tensor:
    """True where some value over ``axis`` is non-zero."""
    if torch_kw:
        axis, keepdims = torch_dims("any", axis, keepdims, torch_kw)
    x = as_tensor(x)
    return wrap_array(xp_of(x.data).asarray(x.data.any(axis=axis, keepdims=keepdims)))
