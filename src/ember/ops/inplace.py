"""In-place updates: ``+=``, ``-=``, ``*=``, ``/=``, ``@=`` ... and PyTorch's ``add_``, ``zero_``.

They change ``t.data`` itself (every view of that memory sees it) and bump ``t._version``, so
an op that saved ``t`` for its backward raises instead of returning a wrong gradient. Under
``no_grad`` they are the hand-written weight update::

    with em.no_grad():
        for p in model.parameters():
            p -= lr * p.grad          # changes the model's weights, as in PyTorch

Where an update would have to be recorded (recording is on and the tensor or the operand needs
a gradient) PyTorch's rules apply: a leaf that requires grad refuses (RuntimeError, PyTorch's
message). An operator on a graph tensor (``loss += term``) returns the out-of-place result,
which Python binds to the name: the graph stays correct, only other names for the old tensor
keep the old values. The trailing-underscore methods must return the tensor itself, so on a
graph tensor they raise and point to the out-of-place op.

``p.data`` stays the escape hatch: ``p.data -= ...`` is a plain array update, never checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import backend
from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor
from ember.backend import xp_of

_LEAF = ("a leaf Variable that requires grad is being used in an in-place operation (PyTorch's "
         "error; here: in-place change of a leaf tensor that requires grad). Update it inside "
         "`with em.no_grad():` as optimizers do, or change `t.data`")


def _operand(other: Any) -> Any:
    return other.data if isinstance(other, Tensor) else other


def _check(self: Tensor, what: str, other: Any = None) -> None:
    """Raise where an in-place change would lose or corrupt a gradient (recording is on)."""
    if not STATE.enabled:
        return
    if self.requires_grad and self._node is None:
        raise RuntimeError(f"{what}: {_LEAF}")
    if self._node is not None:
        raise RuntimeError(
            f"{what}: in-place change of a tensor that is part of a recorded graph is not "
            "supported; use the out-of-place op (y = y + x), or clone() it first"
        )
    if isinstance(other, Tensor) and other.requires_grad:
        raise RuntimeError(
            f"{what}: the operand requires grad, but an in-place change is not recorded and "
            "its gradient would be lost; use the out-of-place op (x = x + y)"
        )


def _recorded(self: Tensor, other: Any) -> bool:
    """Whether an operator must be recorded out of place: a graph tensor, or an operand that
    needs a gradient (a leaf that requires grad is refused by ``_check`` instead)."""
    if self.requires_grad and self._node is None:
        return False
    return self._node is not None or (isinstance(other, Tensor) and other.requires_grad)


def _ufunc_into(self: Tensor, what: str, ufunc: str, other: Any) -> Tensor:
    """``self.data = ufunc(self.data, other)`` in the same memory, with a clear error."""
    data = self.data
    try:
        getattr(xp_of(data), ufunc)(data, _operand(other), out=data)
    except TypeError as exc:  # NumPy's UFuncTypeError: the result type does not fit
        raise TypeError(f"{what}: the result cannot be stored in place in this "
                        f"{data.dtype.name} tensor ({exc}); convert it first, e.g. "
                        "t = t.float()") from None
    except ValueError as exc:
        shape = getattr(_operand(other), "shape", ())
        raise ValueError(f"{what}: an operand of shape {tuple(shape)} does not broadcast to "
                         f"the tensor's shape {self.shape} ({exc})") from None
    self._version += 1
    return self


def _operator(name: str, ufunc: str, out_of_place: Callable) -> Callable:
    what = f"{name} (in-place operator)"

    def op(self: Tensor, other: Any) -> Tensor:
        if STATE.enabled and _recorded(self, other):
            return out_of_place(self, other)  # recorded: a new tensor that Python binds
        _check(self, what, other)
        return _ufunc_into(self, what, ufunc, other)

    op.__name__ = name
    op.__doc__ = f"``t {name}`` in place (see ember.ops.inplace)."
    return op


def _imatmul(self: Tensor, other: Any) -> Tensor:
    """``t @= m``: in place when the product has t's shape (as NumPy and PyTorch)."""
    from ember.ops.matmul import matmul

    if STATE.enabled and _recorded(self, other):
        return matmul(self, other)
    _check(self, "@=", other)
    product = self.data @ _operand(other)
    if product.shape != self.shape:
        raise ValueError(f"@=: the product has shape {product.shape}, the tensor {self.shape}; "
                         "in place it must keep the shape (use t = t @ m)")
    self.data[...] = product
    self._version += 1
    return self


# ----------------------------------------------------------------- PyTorch's methods
def add_(self: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """``self += alpha * other`` in place; returns ``self``."""
    _check(self, "add_", other)
    return _ufunc_into(self, "add_", "add", other if alpha == 1.0 else alpha * _operand(other))


def sub_(self: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """``self -= alpha * other`` in place; returns ``self``."""
    _check(self, "sub_", other)
    return _ufunc_into(self, "sub_", "subtract",
                       other if alpha == 1.0 else alpha * _operand(other))


def mul_(self: Tensor, other: Any) -> Tensor:
    """``self *= other`` in place; returns ``self``."""
    _check(self, "mul_", other)
    return _ufunc_into(self, "mul_", "multiply", other)


def div_(self: Tensor, other: Any) -> Tensor:
    """``self /= other`` in place (true division; integer tensors refuse); returns ``self``."""
    _check(self, "div_", other)
    return _ufunc_into(self, "div_", "true_divide", other)


def pow_(self: Tensor, exponent: Any) -> Tensor:
    """``self **= exponent`` in place; returns ``self``."""
    _check(self, "pow_", exponent)
    return _ufunc_into(self, "pow_", "power", exponent)


def neg_(self: Tensor) -> Tensor:
    """``self = -self`` in place; returns ``self``."""
    _check(self, "neg_")
    xp_of(self.data).negative(self.data, out=self.data)
    self._version += 1
    return self


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0; returns ``self``."""
    return fill_(self, 0, _what="zero_")


def fill_(self: Tensor, value: Any, _what: str = "fill_") -> Tensor:
    """Set every element to ``value``; returns ``self``."""
    _check(self, _what, value)
    self.data[...] = _operand(value)
    self._version += 1
    return self


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy ``src``'s values (broadcast, cast to this dtype) into ``self``; returns ``self``."""
    _check(self, "copy_", src)
    src = _operand(src)
    if hasattr(src, "shape") and backend.device_of(src) != self.device:
        src = backend.to_device(src, self.device)
    try:
        self.data[...] = src
    except ValueError as exc:
        raise ValueError(f"copy_: a source of shape {tuple(getattr(src, 'shape', ()))} does not "
                         f"broadcast to the tensor's shape {self.shape} ({exc})") from None
    self._version += 1
    return self


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit the values to [min, max] in place (either bound may be None); returns ``self``."""
    if min is None and max is None:
        raise ValueError("clamp_: at least one of `min` and `max` must be given")
    _check(self, "clamp_")
    xp_of(self.data).clip(self.data, _operand(min), _operand(max), out=self.data)
    self._version += 1
    return self


def masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
    """Set the elements where ``mask`` (broadcast to self's shape) is True to ``value``."""
    _check(self, "masked_fill_", value)
    m = _operand(mask)
    if getattr(m, "dtype", None) is None or m.dtype.kind != "b":
        raise TypeError(f"masked_fill_: mask must be a boolean tensor; got "
                        f"{getattr(getattr(m, 'dtype', None), 'name', type(m).__name__)}")
    xp = xp_of(self.data)
    xp.putmask(self.data, xp.broadcast_to(m, self.shape), _operand(value))
    self._version += 1
    return self


def _draw_dtype(t: Tensor) -> str:
    """float32 draws for float32 (and non-float) tensors, float64 for float64: no upcast."""
    return "float64" if t.data.dtype.name == "float64" else "float32"


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with draws from U[a, b) (ember's seeded generator); returns ``self``."""
    _check(self, "uniform_")
    u = backend.rng(xp_of(self.data)).random(self.shape, dtype=_draw_dtype(self))
    self.data[...] = u * (b - a) + a
    self._version += 1
    return self


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with draws from N(mean, std^2) (ember's seeded generator); returns ``self``."""
    _check(self, "normal_")
    z = backend.rng(xp_of(self.data)).standard_normal(self.shape, dtype=_draw_dtype(self))
    self.data[...] = z * std + mean
    self._version += 1
    return self


def bind(T: type) -> None:
    """Attach the in-place operators and methods to ``Tensor``."""
    from ember.ops import elementwise as ew

    T.__iadd__ = _operator("+=", "add", ew.add)
    T.__isub__ = _operator("-=", "subtract", ew.sub)
    T.__imul__ = _operator("*=", "multiply", ew.mul)
    T.__itruediv__ = _operator("/=", "true_divide", ew.div)
    T.__ifloordiv__ = _operator("//=", "floor_divide", ew.floordiv)
    T.__imod__ = _operator("%=", "remainder", ew.remainder)
    T.__ipow__ = _operator("**=", "power", ew.pow)
    T.__imatmul__ = _imatmul
    T.__iand__ = _operator("&=", "bitwise_and", T.__and__)
    T.__ior__ = _operator("|=", "bitwise_or", T.__or__)
    for fn in (add_, sub_, mul_, div_, pow_, neg_, zero_, fill_, copy_, clamp_, masked_fill_,
               uniform_, normal_):
        setattr(T, fn.__name__, fn)
    T.clip_ = clamp_
