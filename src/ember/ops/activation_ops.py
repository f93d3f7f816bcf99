"""Activation-shaped elementwise ops: relu, leaky_relu, elu, selu, softplus, silu, erf, gelu.

Kept apart from ``elementwise.py`` (arithmetic and the classic functions) so each file stays
small; both follow the same rule: forward and backward side by side, backward rules written
with tensor ops when recording (create_graph), so higher-order gradients work.
"""

from __future__ import annotations

import contextvars
import math
from typing import Any

from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.activation_names import known_as
from ember.ops.elementwise import _ft, exp, sigmoid, tanh, where

# Guided backpropagation (ember.explain.guided_backprop) switches relu's backward to the guided
# rule while it runs, so a relu called anywhere (a layer, em.relu in a custom call) is guided.
# A ContextVar: only the thread (or task) running the explanation sees it.
GUIDED_BACKWARD = contextvars.ContextVar("relu_guided_backward", default=False)


def relu(x: Any) -> Tensor:
    """max(x, 0); the gradient at 0 is 0."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    data = xp.maximum(x.data, 0)

    def backward(g: Tensor) -> tuple:
        keep = x.data > 0
        if GUIDED_BACKWARD.get():  # Springenberg et al.: only positive gradients pass back
            keep = keep & (g.data > 0)
        if STATE.enabled:  # recording: the mask is a constant, so relu'' = 0 comes out right
            return (g * keep,)
        return (wrap_array(g.data * keep),)

    return record_op(data, (x,), backward, "relu", (x,))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, negative_slope * x otherwise (Keras' default slope 0.2)."""
    x = _ft(x)
    xp = xp_of(x.data)
    pos = x.data > 0
    data = xp.where(pos, x.data, x.data * negative_slope)
    return record_op(data, (x,), lambda g: (where(pos, g, g * negative_slope),), "leaky_relu", (x,))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha * (e ** x - 1) otherwise."""
    x = _ft(x)
    xp = xp_of(x.data)
    pos = x.data > 0
    data = xp.where(pos, x.data, alpha * xp.expm1(xp.minimum(x.data, 0)))

    def backward(g: Tensor) -> tuple:
        return (where(pos, g, g * (out + alpha)),)

    out = record_op(data, (x,), backward, "elu", keep_output=True)
    return out


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> Tensor:
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def softplus(x: Any) -> Tensor:
    """log(1 + e ** x), stable for large |x|."""
    x = _ft(x)
    xp = xp_of(x.data)
    data = xp.log1p(xp.exp(-xp.abs(x.data))) + xp.maximum(x.data, 0)
    return record_op(data, (x,), lambda g: (g * sigmoid(x),), "softplus", (x,))


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = _ft(x)
    s = sigmoid(x.detach())

    def backward(g: Tensor) -> tuple:
        sg = sigmoid(x)
        return (g * sg * (1 + x * (1 - sg)),)

    return record_op(x.data * s.data, (x,), backward, "silu", (x,))


def erf(x: Any) -> Tensor:
    """The error function (rational approximation, relative error below 1.2e-7)."""
    x = _ft(x)
    data = _erf_array(x.data)
    scale = 2 / math.sqrt(math.pi)
    return record_op(data, (x,), lambda g: (g * scale * exp(-x * x),), "erf", (x,))


def _erf_array(a: Any) -> Any:
    # Numerical Recipes' erfc fit (Chebyshev-like, |relative error| < 1.2e-7): one exp, no loop
    xp = xp_of(a)
    z = xp.abs(a)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -0.82215223 + t * 0.17087277
    for c in (1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
              1.00002368, -1.26551223):
        poly = c + t * poly
    erfc = t * xp.exp(-z * z + poly)
    return xp.where(a >= 0, 1.0 - erfc, erfc - 1.0).astype(a.dtype, copy=False)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: Any, approximate: bool | str = False) -> Tensor:
    """x * Phi(x) (Gaussian CDF). ``approximate=True`` (Keras) or ``'tanh'`` (PyTorch) uses
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3))); False or ``'none'`` is exact."""
    x = _ft(x)
    if approximate not in (True, False, "tanh", "none"):
        raise ValueError(f"gelu: approximate must be True/False, 'tanh' or 'none'; got "
                         f"{approximate!r}")
    if approximate is True or approximate == "tanh":
        inner = (x + 0.044715 * x * x * x) * _SQRT_2_OVER_PI
        return 0.5 * x * (1 + tanh(inner))
    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    return x * cdf


# the activations an op can fuse, under their names (see ember.ops.activation_names)
for _name, _fn in (("relu", relu), ("sigmoid", sigmoid), ("tanh", tanh)):
    known_as(_name, _fn)
