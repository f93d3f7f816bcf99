"""Elementwise ops: each forward and its backward side by side.

Backward rules are written with tensor ops, so with ``create_graph=True`` they are recorded and
can be differentiated again (higher-order gradients). Broadcasting is undone by the engine.
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of


def _ft(x: Any) -> Tensor:
    """``x`` as a floating-point tensor: integers and booleans become the default float type
    (as PyTorch's exp(int) is float32), never NumPy's float64."""
    x = x if isinstance(x, Tensor) else as_tensor(x)
    if x.data.dtype.kind != "f":
        x = wrap_array(x.data.astype(_default_float()))  # integer tensors never require grad
    return x


def _pair(a: Any, b: Any, op: str = "binary op") -> tuple[Tensor, Tensor]:
    """Two tensors; a Python number or array takes the other side's dtype (no float64 creep).
    Tensors on different devices are refused with an error naming ``op``."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    if type(a.data) is not type(b.data):  # the one cheap test on the hot path
        _check_same_device(op, a, b)
    ka, kb = a.data.dtype.kind, b.data.dtype.kind
    if ka != kb and (ka == "f") != (kb == "f"):  # int/bool with float: float wins, like PyTorch
        if ka == "f":
            b = _cast(b, a.data.dtype)
        else:
            a = _cast(a, b.data.dtype)
    return a, b


def _check_same_device(op: str, a: Tensor, b: Tensor) -> None:
    da, db = backend.device_of(a.data), backend.device_of(b.data)
    if da != db:
        raise RuntimeError(f"{op}: operands are on different devices ({da} and {db}): move one "
                           f"with .to('{db}') / .to('{da}')")


def _cast(x: Tensor, dtype: Any) -> Tensor:
    return record_op(x.data.astype(dtype), (x,), lambda g: (g,), "astype")


def _shape_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(
        f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together (trailing axes must "
        "be equal or 1)"
    )


# ------------------------------------------------------------------ binary arithmetic
def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    a, b = _pair(a, b, "add")
    try:
        data = a.data + b.data
    except ValueError:
        raise _shape_error("add", a, b) from None
    return record_op(data, (a, b), _add_backward, "add")


def _add_backward(g: Tensor) -> tuple:
    return g, g


def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    a, b = _pair(a, b, "sub")
    try:
        data = a.data - b.data
    except ValueError:
        raise _shape_error("sub", a, b) from None
    return record_op(data, (a, b), lambda g: (g, -g if b.requires_grad else None), "sub")


def mul(a: Any, b: Any) -> Tensor:
    """a * b, broadcasting."""
    a, b = _pair(a, b, "mul")
    try:
        data = a.data * b.data
    except ValueError:
        raise _shape_error("mul", a, b) from None
    # a gradient nobody needs (x * constant) is not computed: this is the hot path
    return record_op(data, (a, b), lambda g: (g * b if a.requires_grad else None,
                                         g * a if b.requires_grad else None), "mul", (a, b))


def div(a: Any, b: Any) -> Tensor:
    """a / b, broadcasting (true division)."""
    a, b = _pair(a, b, "div")
    try:
        data = a.data / b.data
    except ValueError:
        raise _shape_error("div", a, b) from None
    if a.data.dtype.kind != "f":  # int / int -> the default float type (as PyTorch)
        data = data.astype(_default_float())

    def backward(g: Tensor) -> tuple:
        gb = -g * a / (b * b) if b.requires_grad else None
        return g / b if a.requires_grad else None, gb

    return record_op(data, (a, b), backward, "div", (a, b))


def _default_float() -> str:
    from ember.backend import floatx

    return floatx()


def floordiv(a: Any, b: Any) -> Tensor:
    """a // b (not differentiable: the result is piecewise constant)."""
    a, b = _pair(a, b, "floordiv")
    return Tensor(xp_of(a.data).floor_divide(a.data, b.data))


def remainder(a: Any, b: Any) -> Tensor:
    """a % b with the sign of b, as NumPy and PyTorch; d/da = 1."""
    a, b = _pair(a, b, "remainder")
    xp = xp_of(a.data)
    data = xp.remainder(a.data, b.data)

    def backward(g: Tensor) -> tuple:
        gb = -g * wrap_array(xp.floor_divide(a.data, b.data)) if b.requires_grad else None
        return g, gb

    return record_op(data, (a, b), backward, "remainder", (a, b))


def pow(a: Any, b: Any) -> Tensor:
    """a ** b, broadcasting. As PyTorch: d/da is 0 where b == 0 (even at a == 0); d/db is
    a ** b * log(a), 0 where a == 0 and b >= 0, NaN where a < 0."""
    a, b = _pair(a, b, "pow")
    try:
        data = a.data ** b.data
    except ValueError:
        raise _shape_error("pow", a, b) from None

    def backward(g: Tensor) -> tuple:
        return (_pow_grad_base(g, a, b) if a.requires_grad else None,
                _pow_grad_exponent(g, a, b, out) if b.requires_grad else None)

    # the output is read only for d/db (x ** 2 does not need it kept)
    out = record_op(data, (a, b), backward, "pow", (a, b), keep_output=b.requires_grad)
    return out


def _pow_grad_base(g: Tensor, a: Tensor, b: Tensor) -> Tensor:
    zero = b.data == 0
    if not zero.any():  # the usual case (x ** 2, x ** 0.5): one expression
        return g * b * a ** (b - 1)
    return where(zero, 0.0, g * b * where(zero, 1.0, a) ** (b - 1))  # no 0 ** -1 there


def _pow_grad_exponent(g: Tensor, a: Tensor, b: Tensor, out: Tensor) -> Tensor:
    pos = a.data > 0
    if pos.all():
        return g * out * log(a)
    xp = xp_of(pos)
    other = xp.where((a.data == 0) & (b.data >= 0), 0.0, xp.nan).astype(g.data.dtype)
    return g * where(pos, out * log(where(pos, a, 1.0)), wrap_array(other))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; at ties the gradient is split evenly (as PyTorch)."""
    return _extremum(a, b, "maximum")


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; at ties the gradient is split evenly (as PyTorch)."""
    return _extremum(a, b, "minimum")


def _extremum(a: Any, b: Any, op: str) -> Tensor:
    a, b = _pair(a, b, op)
    xp = xp_of(a.data)
    try:
        data = getattr(xp, op)(a.data, b.data)
    except ValueError:
        raise _shape_error(op, a, b) from None

    def backward(g: Tensor) -> tuple:
        wins = (a.data > b.data) if op == "maximum" else (a.data < b.data)
        wa = wins.astype(g.data.dtype) + 0.5 * (a.data == b.data).astype(g.data.dtype)
        return g * wa, g * (1 - wa)

    return record_op(data, (a, b), backward, op, (a, b))


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """x where condition is true, else y (differentiable in x and y); ``where(condition)``
    alone gives the indices of the true entries, one tensor per axis (NumPy, PyTorch)."""
    if x is None and y is None:
        from ember.ops.indexing import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition.data if isinstance(condition, Tensor) else condition
    x, y = _pair(x, y, "where")
    xp = xp_of(x.data)
    cond = xp.asarray(cond, dtype=bool)
    data = xp.where(cond, x.data, y.data)

    def backward(g: Tensor) -> tuple:
        return where(cond, g, 0.0), where(cond, 0.0, g)

    return record_op(data, (x, y), backward, "where")


# ------------------------------------------------------------------ unary
def neg(x: Any) -> Tensor:
    """-x."""
    x = as_tensor(x)
    return record_op(-x.data, (x,), _neg_backward, "neg")


def _neg_backward(g: Tensor) -> tuple:
    return (-g,)


def abs(x: Any) -> Tensor:
    """|x|; the gradient at 0 is 0 (as PyTorch)."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    return record_op(xp.abs(x.data), (x,), lambda g: (g * xp.sign(x.data),), "abs", (x,))


def sign(x: Any) -> Tensor:
    """-1, 0 or 1; its gradient is zero everywhere."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    return record_op(xp.sign(x.data), (x,), lambda g: (g * 0,), "sign")


def exp(x: Any) -> Tensor:
    """e ** x."""
    x = _ft(x)
    out = record_op(xp_of(x.data).exp(x.data), (x,), lambda g: (g * out,), "exp", keep_output=True)
    return out


def expm1(x: Any) -> Tensor:
    """e ** x - 1, accurate for small x."""
    x = _ft(x)
    out = record_op(xp_of(x.data).expm1(x.data), (x,), lambda g: (g * (out + 1),), "expm1",
               keep_output=True)
    return out


def log(x: Any) -> Tensor:
    """Natural logarithm."""
    x = _ft(x)
    return record_op(xp_of(x.data).log(x.data), (x,), lambda g: (g / x,), "log", (x,))


def log1p(x: Any) -> Tensor:
    """log(1 + x), accurate for small x."""
    x = _ft(x)
    return record_op(xp_of(x.data).log1p(x.data), (x,), lambda g: (g / (x + 1),), "log1p", (x,))


def sqrt(x: Any) -> Tensor:
    """Square root."""
    x = _ft(x)
    out = record_op(xp_of(x.data).sqrt(x.data), (x,), lambda g: (g * 0.5 / out,), "sqrt",
               keep_output=True)
    return out


def square(x: Any) -> Tensor:
    """x * x."""
    x = as_tensor(x)
    return record_op(x.data * x.data, (x,), lambda g: (g * 2 * x,), "square", (x,))


def sin(x: Any) -> Tensor:
    """Sine."""
    x = _ft(x)
    return record_op(xp_of(x.data).sin(x.data), (x,), lambda g: (g * cos(x),), "sin", (x,))


def cos(x: Any) -> Tensor:
    """Cosine."""
    x = _ft(x)
    return record_op(xp_of(x.data).cos(x.data), (x,), lambda g: (-g * sin(x),), "cos", (x,))


def tan(x: Any) -> Tensor:
    """Tangent."""
    x = _ft(x)
    out = record_op(xp_of(x.data).tan(x.data), (x,), lambda g: (g * (1 + out * out),), "tan",
               keep_output=True)
    return out


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    x = _ft(x)
    out = record_op(xp_of(x.data).tanh(x.data), (x,), lambda g: (g * (1 - out * out),), "tanh",
               keep_output=True)
    return out


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + e ** -x), computed without overflow for large |x|."""
    x = _ft(x)
    xp = xp_of(x.data)
    # tanh form: no overflow warning for large negative x, one transcendental call
    data = xp.tanh(x.data * 0.5)
    data *= 0.5
    data += 0.5
    out = record_op(data, (x,), lambda g: (g * out * (1 - out),), "sigmoid", keep_output=True)
    return out


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit values to [min, max]; the gradient passes where min <= x <= max (as PyTorch)."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    min = min.data if isinstance(min, Tensor) else min  # bounds are constants (no gradient)
    max = max.data if isinstance(max, Tensor) else max
    data = xp.clip(x.data, min, max)
    if data.dtype != x.data.dtype:
        data = data.astype(x.data.dtype)

    def backward(g: Tensor) -> tuple:
        inside = xp.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x.data >= min
        if max is not None:
            inside &= x.data <= max
        return (g * inside,)

    return record_op(data, (x,), backward, "clip", (x,))
