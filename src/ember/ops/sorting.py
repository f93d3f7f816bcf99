"""Order statistics and running totals: sort, argsort, topk, median, quantile, mode, cumsum,
cumprod, diff (PyTorch's names and results; values differentiable through the indices).

Example:
    >>> import ember as em
    >>> v, i = em.topk(em.tensor([1.0, 5.0, 3.0]), 2)
    >>> v.tolist(), i.tolist()
    ([5.0, 3.0], [1, 2])
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.shape import _axis, reshape, take_along_axis
from ember.ops.shape_extra import flip


class ValuesIndices(NamedTuple):
    """(values, indices), as PyTorch's sort / topk / max(dim=...) return."""

    values: Tensor
    indices: Tensor


def _order(data: Any, d: int, descending: bool) -> Any:
    """Stable argsort along ``d``: ties keep their order, ascending or descending."""
    xp = xp_of(data)
    if descending:
        key = data if data.dtype.kind in "fi" else data.astype("int64")
        return xp.argsort(-key, axis=d, kind="stable")
    return xp.argsort(data, axis=d, kind="stable")


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (int64; ties keep their order)."""
    x = as_tensor(x)
    d = _axis("argsort", dim, x.ndim) if x.ndim else 0
    if not x.ndim:
        return wrap_array(xp_of(x.data).zeros((), dtype="int64"))
    return wrap_array(_order(x.data, d, descending).astype("int64"))


def sort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False
         ) -> ValuesIndices:
    """(sorted values, their indices in x) along ``dim``; the values are differentiable."""
    x = as_tensor(x)
    idx = argsort(x, dim, descending)
    if not x.ndim:
        return ValuesIndices(x, idx)
    return ValuesIndices(take_along_axis(x, idx, _axis("sort", dim, x.ndim)), idx)


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> ValuesIndices:
    """The ``k`` largest (``largest=False``: smallest) entries along ``dim`` and their indices."""
    x = as_tensor(x)
    d = _axis("topk", dim, x.ndim)
    if not 0 <= k <= x.shape[d]:
        raise ValueError(f"topk: k={k} is out of range for axis {d} of size {x.shape[d]}")
    idx = argsort(x, d, descending=largest).data
    idx = idx[tuple(slice(None) if i != d else slice(k) for i in range(x.ndim))]
    return ValuesIndices(take_along_axis(x, idx, d), wrap_array(idx))


def _picked(x: Tensor, dim: int | None, keepdim: bool, position: Any, name: str) -> Any:
    """The ``position``-th smallest entry along ``dim`` (values differentiable, indices)."""
    flat = dim is None
    if flat:
        x, d = reshape(x, (-1,)), 0
    else:
        d = _axis(name, dim, x.ndim)
    idx = argsort(x, d).data
    pick = idx.take([position], axis=d)
    values = take_along_axis(x, pick, d)
    if flat:
        return reshape(values, ())
    if not keepdim:
        values = values.squeeze(d)
        pick = pick.squeeze(d)
    return ValuesIndices(values, wrap_array(pick.astype("int64")))


def median(x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (torch.median: the ((n - 1) // 2)-th smallest, no averaging); with
    ``dim`` a (values, indices) pair. Use ``quantile(x, 0.5)`` for the averaged median."""
    x = as_tensor(x)
    n = x.size if dim is None else x.shape[_axis("median", dim, x.ndim)]
    if n == 0:
        raise ValueError("median: the tensor (or axis) is empty")
    return _picked(x, dim, keepdim, (n - 1) // 2, "median")


def quantile(x: Any, q: Any, dim: int | None = None, keepdim: bool = False,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (q in [0, 1], a number or 1-D tensor: then a new leading axis),
    interpolating linearly between order statistics as ``torch.quantile`` / NumPy's default."""
    x = as_tensor(x)
    if interpolation not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise ValueError(f"quantile: unknown interpolation {interpolation!r}")
    xp = xp_of(x.data)
    qs = xp.asarray(q.data if isinstance(q, Tensor) else q, dtype="float64")
    if qs.ndim > 1 or bool(((qs < 0) | (qs > 1)).any()):
        raise ValueError(f"quantile: q must be a number or 1-D tensor in [0, 1]; got {q!r}")
    src = reshape(x, (-1,)) if dim is None else x
    d = 0 if dim is None else _axis("quantile", dim, x.ndim)
    n = src.shape[d]
    s = take_along_axis(src, argsort(src, d).data, d)
    pos = qs.reshape(-1) * (n - 1)
    lo = xp.floor(pos).astype("int64")
    hi = xp.minimum(lo + 1, n - 1)
    frac = pos - lo
    if interpolation == "lower":
        frac = frac * 0
    elif interpolation == "higher":
        frac = (frac > 0).astype("float64")
    elif interpolation == "nearest":
        frac = (frac > 0.5).astype("float64")  # NumPy rounds halves to even; torch too
    elif interpolation == "midpoint":
        frac = xp.where(frac > 0, 0.5, 0.0)
    a, b = _take(s, lo, d), _take(s, hi, d)
    shape = [1] * s.ndim
    shape[d] = -1
    w = wrap_array(frac.reshape(shape).astype(s.data.dtype))
    out = a + (b - a) * w  # (..., len(q), ...) along d
    if keepdim:
        if dim is None:
            out = reshape(out, (-1,) + (1,) * x.ndim)
        else:
            out = _move_front(out, d, keep=True)
    else:
        out = _move_front(out, d, keep=False)
    if qs.ndim == 0:
        out = reshape(out, out.shape[1:])
    return out


def _take(s: Tensor, idx: Any, d: int) -> Tensor:
    return s[(slice(None),) * d + (idx,)]


def _move_front(out: Tensor, d: int, keep: bool) -> Tensor:
    """(..., k at d, ...) -> (k, ...) with axis d removed, or kept as size 1."""
    from ember.ops.shape_extra import moveaxis

    moved = moveaxis(out, d, 0)
    if keep:
        return reshape(moved, (moved.shape[0],) + out.shape[:d] + (1,) + out.shape[d + 1:])
    return moved


def mode(x: Any, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """The most frequent value along ``dim`` (the smallest among ties) and the index of its
    last occurrence, as ``torch.mode`` on the CPU."""
    x = as_tensor(x)
    d = _axis("mode", dim, x.ndim)
    xp = xp_of(x.data)
    a = xp.moveaxis(x.data, d, -1)
    n = a.shape[-1]
    s = xp.sort(a, axis=-1)
    ar = xp.broadcast_to(xp.arange(n), s.shape)
    start = xp.concatenate([xp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
    # each element's run starts at the run_id-th start position (cumsum and sort, which CuPy
    # has too, instead of NumPy's maximum.accumulate)
    run_id = xp.cumsum(start, axis=-1) - 1
    starts = xp.sort(xp.where(start, ar, n), axis=-1)
    first = xp.take_along_axis(starts, run_id, -1)
    run = ar - first + 1  # length of the run so far: largest at each run's end
    best = xp.argmax(run, axis=-1)[..., None]  # the first longest run: the smallest value
    value = xp.take_along_axis(s, best, -1)
    hits = xp.where(a == value, ar, -1)
    last = hits.max(axis=-1, keepdims=True)
    idx = xp.moveaxis(last, -1, d)
    values = take_along_axis(x, idx, d)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return ValuesIndices(values, wrap_array(idx.astype("int64")))


def cumsum(x: Any, dim: int, dtype: Any = None) -> Tensor:
    """Running sums along ``dim``; backward is the reversed running sum of the gradient."""
    x = as_tensor(x)
    d = _axis("cumsum", dim, x.ndim)
    data = xp_of(x.data).cumsum(x.data, axis=d, dtype=dtype or (
        x.data.dtype if x.data.dtype.kind == "f" else "int64"))
    return record_op(data, (x,), lambda g: (flip(cumsum(flip(g, d), d), d),), "cumsum")


def cumprod(x: Any, dim: int, dtype: Any = None) -> Tensor:
    """Running products along ``dim``. Backward: reversed cumsum(g * out) / x where x has no
    zero; with zeros, each d out_j / d x_i = prod_(k<=j, k!=i) x_k is formed exactly."""
    x = as_tensor(x)
    d = _axis("cumprod", dim, x.ndim)
    xp = xp_of(x.data)
    data = xp.cumprod(x.data, axis=d, dtype=dtype or (
        x.data.dtype if x.data.dtype.kind == "f" else "int64"))

    def backward(g: Tensor) -> tuple:
        if bool((x.data != 0).all()):
            return (flip(cumsum(flip(g * out, d), d), d) / x,)
        return (wrap_array(_cumprod_grad_with_zeros(x.data, g.data, d)),)

    out = record_op(data, (x,), backward, "cumprod", (x,), keep_output=True)
    return out


def _cumprod_grad_with_zeros(a: Any, g: Any, d: int) -> Any:
    xp = xp_of(a)
    a = xp.moveaxis(a, d, -1)
    g = xp.moveaxis(g, d, -1)
    n = a.shape[-1]
    rep = xp.broadcast_to(a[..., None, :], a.shape[:-1] + (n, n)).copy()  # [..., i, k]
    eye = xp.eye(n, dtype=bool)
    rep[..., eye] = 1
    partial = xp.cumprod(rep, axis=-1)  # [..., i, j] = prod_(k<=j, k!=i) x_k
    upper = xp.triu(xp.ones((n, n), dtype=a.dtype))  # only j >= i depends on x_i
    grad = (partial * upper * g[..., None, :]).sum(-1)
    return xp.moveaxis(grad, -1, d)


def diff(x: Any, n: int = 1, dim: int = -1) -> Tensor:
    """The n-th forward difference along ``dim`` (x[1:] - x[:-1], n times)."""
    x = as_tensor(x)
    d = _axis("diff", dim, x.ndim)
    pre = (slice(None),) * d
    for _ in range(n):
        x = x[pre + (slice(1, None),)] - x[pre + (slice(None, -1),)]
    return x


__all__ = ["ValuesIndices", "sort", "argsort", "topk", "median", "quantile", "mode",
           "cumsum", "cumprod", "diff"]
