"""The differentiable operations, and the Tensor operators and methods that call them.

Binding the methods here (one place) keeps ``autograd/tensor.py`` free of op code and avoids
import cycles: ops import Tensor; Tensor learns its methods when ember.ops is imported.
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor
from ember.ops import activation_ops as _act
from ember.ops import elementwise as _ew
from ember.ops import inplace as _inplace
from ember.ops import matmul as _mm
from ember.ops import misc as _misc
from ember.ops import reduction as _red
from ember.ops import shape as _sh
from ember.ops import torch_methods as _torch_methods
from ember.ops.activation_ops import (
    elu,
    erf,
    gelu,
    leaky_relu,
    relu,
    selu,
    silu,
    softplus,
)
from ember.ops.elementwise import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    expm1,
    floordiv,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    remainder,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    where,
)
from ember.ops.elementwise_extra import *  # noqa: F403
from ember.ops.elementwise_extra import __all__ as _ex_all
from ember.ops.indexing import *  # noqa: F403
from ember.ops.indexing import __all__ as _ix_all
from ember.ops.matmul import dot, matmul, outer
from ember.ops.matrix_ops import *  # noqa: F403
from ember.ops.matrix_ops import __all__ as _mx_all
from ember.ops.misc import astype, clone, to
from ember.ops.nn import (
    dropout,
    log_softmax,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
)
from ember.ops.reduction import (
    all,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from ember.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    index_add,
    one_hot,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    take,
    take_along_axis,
    transpose,
)
from ember.ops.shape_extra import *  # noqa: F403
from ember.ops.shape_extra import __all__ as _sx_all
from ember.ops.shape_extra import flatten  # noqa: F811 - flatten(x, start, end)
from ember.ops.sorting import *  # noqa: F403
from ember.ops.sorting import __all__ as _so_all

_TORCH_NAMES = [*_ex_all, *_ix_all, *_mx_all, *_sx_all, *_so_all]

__all__ = [
    *_TORCH_NAMES,
    "abs", "add", "clip", "cos", "div", "elu", "erf", "exp", "expm1", "floordiv", "gelu",
    "leaky_relu", "log", "log1p", "maximum", "minimum", "mul", "neg", "pow", "relu",
    "remainder", "selu", "sigmoid", "sign", "silu", "sin", "softplus", "sqrt", "square", "sub",
    "tan", "tanh", "where", "dot", "matmul", "outer", "astype", "clone", "to", "dropout",
    "log_softmax", "sigmoid_cross_entropy", "softmax", "softmax_cross_entropy", "all", "any",
    "argmax", "argmin", "logsumexp", "max", "mean", "min", "prod", "std", "sum", "var",
    "broadcast_to", "concatenate", "expand_dims", "flatten", "getitem", "index_add", "one_hot",
    "pad", "permute", "reshape", "split", "squeeze", "stack", "sum_to", "swapaxes", "take",
    "take_along_axis", "transpose",
]


def _compare(name: str):
    def op(self: Tensor, other: Any) -> Tensor:
        a, b = _ew._pair(self, other)
        return Tensor(getattr(a.data, name)(b.data))

    op.__name__ = name
    return op


def _bind() -> None:
    T = Tensor
    T.__add__ = _ew.add
    T.__radd__ = lambda self, other: _ew.add(other, self)
    T.__sub__ = _ew.sub
    T.__rsub__ = lambda self, other: _ew.sub(other, self)
    T.__mul__ = _ew.mul
    T.__rmul__ = lambda self, other: _ew.mul(other, self)
    T.__truediv__ = _ew.div
    T.__rtruediv__ = lambda self, other: _ew.div(other, self)
    T.__floordiv__ = _ew.floordiv
    T.__rfloordiv__ = lambda self, other: _ew.floordiv(other, self)
    T.__mod__ = _ew.remainder
    T.__rmod__ = lambda self, other: _ew.remainder(other, self)
    T.__pow__ = _ew.pow
    T.__rpow__ = lambda self, other: _ew.pow(other, self)
    T.__matmul__ = _mm.matmul
    T.__rmatmul__ = lambda self, other: _mm.matmul(other, self)
    T.__neg__ = _ew.neg
    T.__pos__ = lambda self: self
    T.__abs__ = _ew.abs
    T.__getitem__ = _sh.getitem
    for name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        setattr(T, name, _compare(name))
    T.__invert__ = lambda self: Tensor(~self.data)
    T.__and__ = lambda self, o: Tensor(self.data & as_tensor(o, self).data)
    T.__or__ = lambda self, o: Tensor(self.data | as_tensor(o, self).data)

    methods = {
        "exp": _ew.exp, "log": _ew.log, "log1p": _ew.log1p, "expm1": _ew.expm1,
        "sqrt": _ew.sqrt, "square": _ew.square, "sin": _ew.sin, "cos": _ew.cos, "tan": _ew.tan,
        "tanh": _ew.tanh, "sigmoid": _ew.sigmoid, "relu": _act.relu, "abs": _ew.abs,
        "sign": _ew.sign, "clip": _ew.clip, "maximum": _ew.maximum, "minimum": _ew.minimum,
        "sum": _red.sum, "mean": _red.mean, "var": _red.var, "std": _red.std, "max": _red.max,
        "min": _red.min, "prod": _red.prod, "logsumexp": _red.logsumexp,
        "argmax": _red.argmax, "argmin": _red.argmin, "all": _red.all, "any": _red.any,
        "transpose": _transpose_method, "permute": _sh.permute, "swapaxes": _sh.swapaxes,
        "expand_dims": _sh.expand_dims, "squeeze": _sh.squeeze, "flatten": _sh.flatten,
        "broadcast_to": _sh.broadcast_to, "take": _sh.take, "matmul": _mm.matmul,
        "dot": _mm.dot, "astype": _misc.astype, "to": _misc.to, "clone": _misc.clone,
        "softmax": _softmax_method, "log_softmax": _log_softmax_method,
        "pow": _ew.pow,
    }
    for name, fn in methods.items():
        setattr(T, name, fn)
    T.reshape = _sh.reshape
    T.view = _sh.reshape
    T.T = property(lambda self: _sh.transpose(self))
    T.float = lambda self: _misc.astype(self, "float32")
    T.double = lambda self: _misc.astype(self, "float64")
    T.cpu = lambda self: _misc.to(self, "cpu")
    T.cuda = lambda self: _misc.to(self, "cuda")
    _inplace.bind(T)
    _torch_methods.bind(T)


def _transpose_method(self: Tensor, *axes: Any, dim0: Any = None, dim1: Any = None) -> Tensor:
    """``t.transpose(0, 1)`` swaps two axes (PyTorch); all axes named, or a tuple, permute."""
    if len(axes) == 2 and isinstance(axes[0], int) and isinstance(axes[1], int):
        return _sh.swapaxes(self, axes[0], axes[1])
    if dim0 is not None or dim1 is not None:
        return _sh.transpose(self, dim0=dim0, dim1=dim1)
    return _sh.transpose(self, _sh._shape_arg(axes) if axes else None)


def _softmax_method(self: Tensor, axis: int = -1, dim: int | None = None) -> Tensor:
    from ember.ops.nn import softmax as _softmax

    return _softmax(self, axis if dim is None else dim)


def _log_softmax_method(self: Tensor, axis: int = -1, dim: int | None = None) -> Tensor:
    from ember.ops.nn import log_softmax as _log_softmax

    return _log_softmax(self, axis if dim is None else dim)


_bind()
