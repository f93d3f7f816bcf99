"""The Tensor methods a PyTorch user reaches for, bound in one place (``bind``).

Most are the ops of ``shape_extra``, ``indexing``, ``sorting``, ``matrix_ops`` and
``elementwise_extra`` as methods; the rest describe or convert a tensor: ``size()``,
``numel()``, ``dim()``, ``to(dtype)``, ``long()``, ``int()``, ``type_as``, ``contiguous``.
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, record_op
from ember.ops import elementwise_extra as _ex
from ember.ops import indexing as _ix
from ember.ops import matrix_ops as _mx
from ember.ops import misc as _misc
from ember.ops import shape_extra as _sx
from ember.ops import sorting as _so


class Size(int):
    """``t.size``: the element count (an int, as NumPy's ``a.size``) that can also be called
    as PyTorch's ``t.size()`` (the shape) or ``t.size(dim)`` (one axis' length)."""

    shape: tuple = ()

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self.shape[dim]


_new_int = int.__new__


def _to(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, **_: Any) -> Tensor:
    """``t.to("cuda")``, ``t.to(em.float64)``, ``t.to(other)`` or ``t.to(device, dtype)``."""
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "gpu"):
            device = a
        elif a is not None:
            try:
                dtype = backend.numpy_module().dtype(a)
            except TypeError:
                device = a  # an em.device object
    out = self
    if device is not None:
        out = _misc.to(out, device)
    if dtype is not None:
        out = _misc.astype(out, dtype)
    return out


def contiguous(self: Tensor) -> Tensor:
    """The tensor itself when its memory is C-contiguous, else a compact copy."""
    xp = backend.xp_of(self.data)
    if self.data.flags.c_contiguous:
        return self
    return record_op(xp.ascontiguousarray(self.data), (self,), lambda g: (g,), "contiguous")


def _split(self: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    return _sx.split_torch(self, split_size_or_sections, dim)


def _max_min(fn: Any) -> Any:
    def method(self: Tensor, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        if isinstance(axis, Tensor):  # torch's t.max(other): the elementwise maximum
            from ember.ops import elementwise as ew

            return (ew.maximum if fn.__name__ == "max" else ew.minimum)(self, axis)
        return fn(self, axis, keepdims, **kw)

    return method


def _trace(self: Tensor, offset: int = 0) -> Tensor:
    from ember.ops.linalg import trace

    return trace(self, offset)


def _norm(self: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """``t.norm()``: the 2-norm of all elements (any rank), or the p-norm over ``dim``."""
    from ember.ops.linalg import norm

    order = None if p == "fro" else p
    if dim is None:
        out = norm(self.reshape(-1), ord=order if order is not None else 2)
        return out.reshape((1,) * self.ndim) if keepdim else out
    return norm(self, ord=order, axis=dim, keepdims=keepdim)


def _outer(self: Tensor, other: Any) -> Tensor:
    from ember.ops.matmul import outer

    return outer(self, other)


def _logsumexp(self: Tensor, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    from ember.ops.reduction import logsumexp
    from ember.ops.torch_dims import torch_dims

    if kw:
        axis, keepdims = torch_dims("logsumexp", axis, keepdims, kw)
    return logsumexp(self, axis, keepdims)


def bind(T: type) -> None:
    from ember.ops import reduction as _red

    def size(self: Tensor) -> Size:
        out = _new_int(Size, self.data.size)
        out.shape = self.data.shape
        return out

    T.size = property(size)
    T.numel = lambda self: self.data.size
    T.nelement = T.numel
    T.dim = lambda self: self.data.ndim
    T.ndimension = T.dim
    T.element_size = lambda self: self.data.itemsize
    T.to = _to
    T.type_as = lambda self, other: _misc.astype(self, other.dtype)
    T.long = lambda self: _misc.astype(self, "int64")
    T.int = lambda self: _misc.astype(self, "int32")
    T.bool = lambda self: _misc.astype(self, "bool")
    T.half = lambda self: _misc.astype(self, "float16")
    T.contiguous = contiguous
    T.is_contiguous = lambda self: bool(self.data.flags.c_contiguous)
    T.split = _split
    T.trace = _trace
    T.logsumexp = _logsumexp
    T.norm = _norm
    T.outer = _outer
    T.max = _max_min(_red.max)
    T.min = _max_min(_red.min)
    methods = {
        "unsqueeze": _sx.unsqueeze, "expand": _sx.expand, "expand_as": _sx.expand_as,
        "repeat": _sx.repeat, "repeat_interleave": _sx.repeat_interleave, "tile": _sx.tile,
        "flatten": _sx.flatten, "unflatten": _sx.unflatten, "chunk": _sx.chunk,
        "unbind": _sx.unbind, "flip": _sx.flip, "roll": _sx.roll, "moveaxis": _sx.moveaxis,
        "movedim": _sx.movedim,
        "gather": _ix.gather, "scatter": _ix.scatter, "scatter_add": _ix.scatter_add,
        "index_select": _ix.index_select, "masked_fill": _ix.masked_fill,
        "masked_select": _ix.masked_select, "nonzero": _ix.nonzero, "argwhere": _ix.argwhere,
        "unique": _ix.unique, "bincount": _ix.bincount, "histc": _ix.histc,
        "sort": _so.sort, "argsort": _so.argsort, "topk": _so.topk, "median": _so.median,
        "quantile": _so.quantile, "mode": _so.mode, "cumsum": _so.cumsum,
        "cumprod": _so.cumprod, "diff": _so.diff,
        "tril": _mx.tril, "triu": _mx.triu, "diagonal": _mx.diagonal, "diag": _mx.diag,
        "kron": _mx.kron,
        "floor": _ex.floor, "ceil": _ex.ceil, "round": _ex.round, "trunc": _ex.trunc,
        "isnan": _ex.isnan, "isinf": _ex.isinf, "isfinite": _ex.isfinite,
        "nan_to_num": _ex.nan_to_num, "clamp": _ex.clamp, "lerp": _ex.lerp, "dist": _ex.dist,
        "eq": _ex.eq, "ne": _ex.ne, "gt": _ex.gt, "ge": _ex.ge, "lt": _ex.lt, "le": _ex.le,
        "logical_and": _ex.logical_and, "logical_or": _ex.logical_or,
        "logical_xor": _ex.logical_xor, "logical_not": _ex.logical_not,
        "bitwise_and": _ex.bitwise_and, "bitwise_or": _ex.bitwise_or,
        "bitwise_xor": _ex.bitwise_xor, "bitwise_not": _ex.bitwise_not,
        "allclose": _ex.allclose, "isclose": _ex.isclose, "equal": _ex.equal,
    }
    for name, fn in methods.items():
        setattr(T, name, fn)
    T.__xor__ = lambda self, o: _ex.bitwise_xor(self, o)
    T.__round__ = lambda self, n=None: _ex.round(self, n or 0)
