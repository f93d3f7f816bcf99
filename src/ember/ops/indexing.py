"""PyTorch's indexing ops: gather, scatter, scatter_add, index_select, masked_fill,
masked_select, and the integer-valued nonzero, argwhere, unique, bincount, histc.

The differentiable ones are built on ``take_along_axis`` / ``getitem`` / ``where`` (whose
backward rules exist), so gradients and second derivatives come for free.

Example:
    >>> import ember as em
    >>> x = em.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> em.gather(x, 1, em.tensor([[1], [0]])).tolist()
    [[2.0], [3.0]]
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.elementwise import where
from ember.ops.shape import _axis, getitem, take, take_along_axis


def _ints(name: str, index: Any, like: Tensor) -> Any:
    idx = index.data if isinstance(index, Tensor) else xp_of(like.data).asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor; got {idx.dtype.name}")
    return idx


def gather(x: Any, dim: int, index: Any) -> Tensor:
    """out[i][j] = x[index[i][j]][j] along ``dim`` (torch.gather; index has x's rank)."""
    x = as_tensor(x)
    idx = _ints("gather", index, x)
    if idx.ndim != x.ndim:
        raise ValueError(f"gather: index needs as many axes as x ({x.ndim}); got shape "
                         f"{idx.shape}")
    d = _axis("gather", dim, x.ndim)
    if any(m > n for i, (m, n) in enumerate(zip(idx.shape, x.shape)) if i != d):
        raise ValueError(f"gather: index of shape {idx.shape} is larger than x {x.shape} off "
                         f"dim {d}")
    if idx.shape != x.shape:  # torch reads only the leading part of x off dim
        x = x[tuple(slice(None) if i == d else slice(m) for i, m in enumerate(idx.shape))]
    return take_along_axis(x, idx, d)


def _scatter_grid(idx: Any, d: int) -> tuple:
    xp = xp_of(idx)
    grids = xp.ogrid[tuple(slice(n) for n in idx.shape)]
    return tuple(idx if i == d else grids[i] for i in range(idx.ndim))


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Tensor:
    """x with src[i][j] added at x[index[i][j]][j] along ``dim`` (repeats accumulate).
    Differentiable in x (gradient passes) and src (gathered back)."""
    x, src = as_tensor(x), as_tensor(src)
    idx = _ints("scatter_add", index, x)
    d = _axis("scatter_add", dim, x.ndim)
    if src.shape != idx.shape:
        src = src[tuple(slice(m) for m in idx.shape)]
    full = _scatter_grid(idx, d)
    xp = xp_of(x.data)
    data = x.data.copy()
    xp.add.at(data, full, src.data.astype(data.dtype, copy=False))
    return record_op(data, (x, src), lambda g: (g, getitem(g, full)), "scatter_add")


def scatter(x: Any, dim: int, index: Any, src: Any, reduce: str | None = None) -> Tensor:
    """x with x[index[i][j]][j] = src[i][j] along ``dim`` (torch.scatter; ``src`` may be a
    number). With repeated indices the winner is unspecified (as PyTorch); the gradient goes
    to the written src entries and to the x entries not overwritten."""
    if reduce == "add":
        return scatter_add(x, dim, index, src)
    if reduce is not None:
        raise ValueError(f"scatter: reduce must be None or 'add'; got {reduce!r}")
    x = as_tensor(x)
    idx = _ints("scatter", index, x)
    d = _axis("scatter", dim, x.ndim)
    src = as_tensor(src, x) if not isinstance(src, Tensor) else src
    if src.ndim == 0:
        src = wrap_array(xp_of(x.data).broadcast_to(src.data, idx.shape)) if not src.requires_grad \
            else src.broadcast_to(idx.shape)
    elif src.shape != idx.shape:
        src = src[tuple(slice(m) for m in idx.shape)]
    full = _scatter_grid(idx, d)
    xp = xp_of(x.data)
    data = x.data.copy()
    data[full] = src.data
    kept = xp.ones(x.shape, dtype=bool)
    kept[full] = False

    def backward(g: Tensor) -> tuple:
        return where(kept, g, 0.0), getitem(g, full)

    return record_op(data, (x, src), backward, "scatter")


def index_select(x: Any, dim: int, index: Any) -> Tensor:
    """The entries at ``index`` (1-D integers) along ``dim``."""
    x = as_tensor(x)
    idx = _ints("index_select", index, x)
    if idx.ndim != 1:
        raise ValueError(f"index_select: index must be 1-D; got shape {idx.shape}")
    return take(x, idx, axis=_axis("index_select", dim, x.ndim))


def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """x with ``value`` where ``mask`` (boolean, broadcast) is True; differentiable in x."""
    x = as_tensor(x)
    m = mask.data if isinstance(mask, Tensor) else xp_of(x.data).asarray(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be boolean; got {m.dtype.name}")
    return where(m, value, x)


def masked_select(x: Any, mask: Any) -> Tensor:
    """The 1-D tensor of x's entries where ``mask`` (boolean, broadcast) is True."""
    x = as_tensor(x)
    m = mask.data if isinstance(mask, Tensor) else xp_of(x.data).asarray(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"masked_select: mask must be boolean; got {m.dtype.name}")
    xp = xp_of(x.data)
    shape = xp.broadcast_shapes(x.shape, m.shape)
    if x.shape != shape:
        x = x.broadcast_to(shape)
    return getitem(x, xp.broadcast_to(m, shape))


def nonzero(x: Any, as_tuple: bool = False) -> Any:
    """Indices of the non-zero entries: an (n, ndim) int64 tensor (torch.nonzero), or one
    1-D tensor per axis with ``as_tuple=True`` (numpy.nonzero)."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    parts = xp.nonzero(x.data)
    if as_tuple:
        return tuple(wrap_array(p.astype("int64")) for p in parts)
    return wrap_array(xp.stack(parts, axis=-1).astype("int64") if parts else
                xp.zeros((int(bool(x.data)), 0), dtype="int64"))


def argwhere(x: Any) -> Tensor:
    """``nonzero(x)``: one row of indices per non-zero entry."""
    return nonzero(x)


def unique(x: Any, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values, ascending (torch.unique); optionally the inverse indices (in x's
    shape) and the counts. Not differentiable."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    res = xp.unique(x.data, return_inverse=return_inverse, return_counts=return_counts,
                    axis=dim)
    if not (return_inverse or return_counts):
        return wrap_array(res)
    res = list(res)
    out = [wrap_array(res[0])]
    if return_inverse:
        inv = res[1]
        out.append(wrap_array(inv.reshape(x.shape if dim is None else -1).astype("int64")))
    if return_counts:
        out.append(wrap_array(res[-1].astype("int64")))
    return tuple(out)


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    """Counts of each value in a 1-D non-negative integer tensor (weighted sums if given)."""
    x = as_tensor(x)
    if x.ndim != 1 or x.data.dtype.kind not in "iu":
        raise ValueError(f"bincount: expected a 1-D integer tensor; got {x.data.dtype.name} of "
                         f"shape {x.shape}")
    w = weights.data if isinstance(weights, Tensor) else weights
    out = xp_of(x.data).bincount(x.data, weights=w, minlength=minlength)
    return wrap_array(out if w is not None else out.astype("int64"))


def histc(x: Any, bins: int = 100, min: float = 0.0, max: float = 0.0) -> Tensor:
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0),
    values outside ignored, as ``torch.histc``."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    lo, hi = float(min), float(max)
    if lo == hi == 0.0 and x.data.size:
        lo, hi = float(x.data.min()), float(x.data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = xp.histogram(x.data, bins=bins, range=(lo, hi))
    return wrap_array(counts.astype(x.data.dtype if x.data.dtype.kind == "f" else "float32"))


__all__ = ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select",
           "nonzero", "argwhere", "unique", "bincount", "histc"]
