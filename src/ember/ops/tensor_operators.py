"""Tensor's operators and methods: where ``a + b``, ``a @ b``, ``t[i]`` and ``t.sum()`` go.

``Tensor`` (``ember/autograd/tensor.py``) sits below the ops, so it cannot import them; instead
``bind(Tensor)`` below, run once when ``ember.ops`` is imported, attaches each operator to the
op that computes it. To follow an operator, look it up here:

==================  ======================================  =================================
``a + b``           ``Tensor.__add__``                      ``ember.ops.elementwise.add``
``a - b``, ``-a``   ``__sub__``, ``__neg__``                ``elementwise.sub``, ``neg``
``a * b``           ``__mul__``                             ``elementwise.mul``
``a / b``           ``__truediv__``                         ``elementwise.div``
``a // b``, ``%``   ``__floordiv__``, ``__mod__``           ``elementwise.floordiv``, ``remainder``
``a ** b``          ``__pow__``                             ``elementwise.pow``
``a @ b``           ``__matmul__``                          ``ember.ops.matmul.matmul``
``a[i]``            ``__getitem__``                         ``ember.ops.shape.getitem``
``a < b``, ``==``   ``__lt__``, ``__eq__``, ...             compared arrays, not recorded
``t.sum()``, ...    the ``methods`` table in ``bind``       ``ember.ops.reduction.sum``, ...
``t.add_(1)``       in-place methods                        ``ember.ops.inplace.bind``
``t.unsqueeze(0)``  PyTorch-named methods                   ``ember.ops.torch_methods.bind``
==================  ======================================  =================================

Example:
    >>> import ember as em
    >>> from ember.ops import elementwise
    >>> em.Tensor.__add__ is elementwise.add
    True
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


def _compare(name: str):
    def op(self: Tensor, other: Any) -> Tensor:
        a, b = _ew._pair(self, other)
        return Tensor(getattr(a.data, name)(b.data))

    op.__name__ = name
    return op


def bind(T: type) -> None:
    """Attach the operators and methods to ``T`` (Tensor); ember.ops calls it once."""
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

