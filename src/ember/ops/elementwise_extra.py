"""Elementwise ops PyTorch and NumPy users expect beside ember's arithmetic: rounding, NaN
tests, comparisons and logic as functions, lerp, dist, allclose / equal, meshgrid.

Rounding has a zero gradient (as in PyTorch); tests, comparisons and logic return boolean
tensors with no gradient.

Example:
    >>> import ember as em
    >>> em.floor(em.tensor([1.5, -1.5])).tolist(), em.isnan(em.tensor([0.0, float("nan")])).tolist()
    ([1.0, -2.0], [False, True])
"""  # noqa: E501

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.elementwise import _pair, clip, where


def _rounding(name: str, fn: Any) -> Any:
    def op(x: Any) -> Tensor:
        x = as_tensor(x)
        return record_op(fn(xp_of(x.data))(x.data), (x,), lambda g: (g * 0,), name)

    op.__name__ = name
    op.__doc__ = f"``{name}`` of each element; the gradient is zero (as in PyTorch)."
    return op


floor = _rounding("floor", lambda xp: xp.floor)
ceil = _rounding("ceil", lambda xp: xp.ceil)
trunc = _rounding("trunc", lambda xp: xp.trunc)
fix = trunc


def round(x: Any, decimals: int = 0) -> Tensor:
    """Round half to even (as NumPy and PyTorch) to ``decimals`` places; zero gradient."""
    x = as_tensor(x)
    return record_op(xp_of(x.data).round(x.data, decimals), (x,), lambda g: (g * 0,), "round")


def _test(name: str) -> Any:
    def op(x: Any) -> Tensor:
        x = as_tensor(x)
        return wrap_array(getattr(xp_of(x.data), name)(x.data))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (a boolean tensor)."
    return op


isnan, isinf, isfinite, signbit = (_test(n) for n in ("isnan", "isinf", "isfinite", "signbit"))


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> ``nan``, +inf / -inf -> ``posinf`` / ``neginf`` (the dtype's extremes when
    None); the gradient passes where x was finite."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    data = xp.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    finite = xp.isfinite(x.data)
    return record_op(data, (x,), lambda g: (where(finite, g, 0.0),), "nan_to_num")


def clamp(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """Limit to [min, max] (``clip`` under PyTorch's name)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of `min` and `max` must be given")
    return clip(x, min, max)


def lerp(start: Any, end: Any, weight: Any) -> Tensor:
    """start + weight * (end - start), differentiable in all three."""
    start, end = _pair(start, end, "lerp")
    return start + weight * (end - start)


def dist(a: Any, b: Any, p: float = 2) -> Tensor:
    """The p-norm of a - b (all elements)."""
    from ember.ops.linalg import norm

    a, b = _pair(a, b, "dist")
    return norm((a - b).reshape(-1), ord=p)


def _compare(name: str, ufunc: str) -> Any:
    def op(a: Any, b: Any) -> Tensor:
        a, b = _pair(a, b, name)
        return wrap_array(getattr(xp_of(a.data), ufunc)(a.data, b.data))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{ufunc}`` (a boolean tensor, PyTorch's ``{name}``)."
    return op


eq, ne, gt, ge, lt, le = (_compare(n, u) for n, u in (
    ("eq", "equal"), ("ne", "not_equal"), ("gt", "greater"), ("ge", "greater_equal"),
    ("lt", "less"), ("le", "less_equal")))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _logic(name: str, ufunc: str, kinds: str) -> Any:
    def op(a: Any, b: Any) -> Tensor:
        a, b = as_tensor(a), as_tensor(b)
        for t in (a, b):
            if t.data.dtype.kind not in kinds:
                raise TypeError(f"{name}: expects {'integer or boolean' if 'i' in kinds else 'any'}"
                                f" tensors; got {t.data.dtype.name}")
        return wrap_array(getattr(xp_of(a.data), ufunc)(a.data, b.data))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{ufunc}``."
    return op


logical_and, logical_or, logical_xor = (_logic(n, n, "biuf") for n in (
    "logical_and", "logical_or", "logical_xor"))
bitwise_and, bitwise_or, bitwise_xor = (_logic(n, n, "biu") for n in (
    "bitwise_and", "bitwise_or", "bitwise_xor"))


def logical_not(x: Any) -> Tensor:
    """Elementwise not (True where x is 0 / False)."""
    x = as_tensor(x)
    return wrap_array(xp_of(x.data).logical_not(x.data))


def bitwise_not(x: Any) -> Tensor:
    """Elementwise ~ on an integer or boolean tensor."""
    x = as_tensor(x)
    if x.data.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: expects an integer or boolean tensor; got "
                        f"{x.data.dtype.name}")
    return wrap_array(xp_of(x.data).invert(x.data))


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """True when |a - b| <= atol + rtol * |b| everywhere (a Python bool)."""
    a, b = _pair(a, b, "allclose")
    return bool(xp_of(a.data).allclose(a.data, b.data, rtol=rtol, atol=atol,
                                       equal_nan=equal_nan))


def isclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    """Elementwise |a - b| <= atol + rtol * |b| (a boolean tensor)."""
    a, b = _pair(a, b, "isclose")
    return wrap_array(xp_of(a.data).isclose(a.data, b.data, rtol=rtol, atol=atol,
                                      equal_nan=equal_nan))


def equal(a: Any, b: Any) -> bool:
    """True when a and b have the same shape and the same values (``torch.equal``)."""
    a, b = as_tensor(a), as_tensor(b)
    return a.shape == b.shape and bool((a.data == b.data).all())


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors; ``indexing="ij"`` (PyTorch's default) or ``"xy"``
    (NumPy's). Differentiable (each grid is a broadcast of its input)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [as_tensor(t) for t in tensors]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy'; got {indexing!r}")
    if any(t.ndim != 1 for t in ts):
        raise ValueError("meshgrid: expects 1-D tensors")
    shape = [t.shape[0] for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        axis = i if indexing == "ij" or len(ts) < 2 else {0: 1, 1: 0}.get(i, i)
        view = [1] * len(ts)
        view[axis] = -1
        out.append(t.reshape(tuple(view)).broadcast_to(tuple(shape)))
    return tuple(out)


__all__ = ["floor", "ceil", "trunc", "fix", "round", "isnan", "isinf", "isfinite", "signbit",
           "nan_to_num", "clamp", "lerp", "dist", "eq", "ne", "gt", "ge", "lt", "le",
           "greater", "greater_equal", "less", "less_equal", "not_equal", "logical_and",
           "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "allclose", "isclose", "equal", "meshgrid"]
