"""Activation functions by name, as ``keras.activations``: ``Dense(64, activation="relu")``.

Each function takes a Tensor and returns a Tensor; most are the ops of ``ember.ops`` under their
Keras names and defaults. ``get(identifier)`` turns a name, a function or None (linear) into the
function a layer calls; ``serialize(fn)`` gives the name a saved model stores.

Example:
    >>> import ember as em
    >>> act = em.activations.get("relu")
    >>> act(em.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    >>> em.activations.serialize(act)
    'relu'
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from ember import ops, serialization
from ember.activations.more import MORE as _MORE
from ember.autograd.tensor import Tensor, as_tensor, record_op
from ember.backend import xp_of
from ember.ops.activation_names import known_as


@serialization.register()
def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit, with Keras' options.

    Default: ``max(x, 0)``. ``threshold`` zeroes values at or below it (values between 0 and a
    negative threshold pass through), ``max_value`` caps the output, and ``negative_slope``
    adds ``-negative_slope * relu(threshold - x)`` below the threshold.

    Example:
        >>> import ember as em
        >>> x = em.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
        >>> em.activations.relu(x, negative_slope=0.5)
        tensor([-5. , -2.5,  0. ,  5. , 10. ])
        >>> em.activations.relu(x, max_value=5.0)
        tensor([0., 0., 0., 5., 5.])
        >>> em.activations.relu(x, threshold=5.0)
        tensor([ 0.,  0.,  0.,  0., 10.])
    """
    x = as_tensor(x)
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            return ops.relu(x)
        return ops.leaky_relu(x, negative_slope)
    if negative_slope != 0:
        negative_part = ops.relu(threshold - x) if threshold != 0 else ops.relu(-x)
    if threshold != 0:
        y = ops.where(x.data > threshold, x, 0.0)  # x above the threshold, 0 elsewhere
    else:
        y = ops.relu(x)
    if max_value is not None:
        y = ops.clip(y, 0.0, max_value)
    if negative_slope != 0:
        y = y - negative_part * negative_slope
    return y


@serialization.register()
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for x > 0, ``negative_slope * x`` otherwise (Keras' default slope is 0.2)."""
    return ops.leaky_relu(x, negative_slope)


@serialization.register()
def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``; the gradient is 1 strictly between 0 and 6 (as PyTorch)."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    data = xp.clip(x.data, 0, 6).astype(x.data.dtype, copy=False)
    return record_op(data, (x,), lambda g: (g * ((x.data > 0) & (x.data < 6)),), "relu6", (x,))


@serialization.register()
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return ops.elu(x, alpha)


@serialization.register()
def selu(x: Any) -> Tensor:
    """Scaled ELU (scale 1.0507, alpha 1.6733): self-normalizing with ``lecun_normal`` weights."""
    return ops.selu(x)


@serialization.register()
def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate=True`` uses the tanh formula."""
    return ops.gelu(x, approximate=approximate)


@serialization.register()
def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + exp(-x))``. The output remembers ``x``, so a following binary
    cross-entropy works from the logits (stable for confident predictions)."""
    return ops.sigmoid(x)


@serialization.register()
def hard_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid (Keras 3): 0 for x <= -3, 1 for x >= 3, ``x / 6 + 0.5`` between.

    Example:
        >>> import ember as em
        >>> em.activations.hard_sigmoid(em.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.  , 0.5 , 0.75, 1.  ])
    """
    x = as_tensor(x)
    xp = xp_of(x.data)
    data = xp.clip(x.data * (1 / 6) + 0.5, 0.0, 1.0).astype(x.data.dtype, copy=False)

    def backward(g: Tensor) -> tuple:
        return (g * (((x.data > -3) & (x.data < 3)) * (1 / 6)).astype(g.data.dtype),)

    return record_op(data, (x,), backward, "hard_sigmoid", (x,))


@serialization.register()
def hard_silu(x: Any) -> Tensor:
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    x = as_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


@serialization.register()
def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(x)


@serialization.register()
def softplus(x: Any) -> Tensor:
    """``log(1 + exp(x))``, computed without overflow."""
    return ops.softplus(x)


@serialization.register()
def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``.

    Example:
        >>> import ember as em
        >>> em.activations.softsign(em.tensor([-3.0, 0.0, 1.0]))
        tensor([-0.75,  0.  ,  0.5 ])
    """
    x = as_tensor(x)
    xp = xp_of(x.data)
    data = x.data / (1 + xp.abs(x.data))

    def backward(g: Tensor) -> tuple:
        return (g / ops.square(ops.abs(x) + 1),)  # tensor ops: twice differentiable

    return record_op(data, (x,), backward, "softsign", (x,))


@serialization.register()
def silu(x: Any) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return ops.silu(x)


swish = silu


@serialization.register()
def mish(x: Any) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    x = as_tensor(x)
    return x * ops.tanh(ops.softplus(x))


@serialization.register()
def exponential(x: Any) -> Tensor:
    """``exp(x)``."""
    return ops.exp(x)


@serialization.register()
def linear(x: Any) -> Any:
    """The identity: returns ``x`` unchanged (the activation of a layer given None)."""
    return x


@serialization.register()
def softmax(x: Any, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``. Along the last axis the output remembers ``x``,
    so a following cross-entropy works from the logits."""
    return ops.softmax(x, axis=axis)


@serialization.register()
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``."""
    return ops.log_softmax(x, axis=axis)


@serialization.register()
def step(x: Any, threshold: float = 0.0) -> Tensor:
    """Heaviside step: 1 where ``x >= threshold``, else 0 (the perceptron's activation).

    Its gradient is 0 everywhere (undefined at the jump), so gradient descent cannot train
    through it: the perceptron learning rule (``em.models.Perceptron``) does instead.

    Example:
        >>> import ember as em
        >>> em.activations.step(em.tensor([-0.5, 0.0, 2.0]))
        tensor([0., 1., 1.])
    """
    x = as_tensor(x)
    data = (x.data >= threshold).astype(x.data.dtype if x.data.dtype.kind == "f" else "float32")
    return record_op(data, (x,), lambda g: (g * 0,), "step", (x,))


_BY_NAME: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (relu, leaky_relu, relu6, elu, selu, gelu, sigmoid, hard_sigmoid, hard_silu, tanh,
               softplus, softsign, silu, mish, exponential, linear, softmax, log_softmax, step)
}
_BY_NAME.update(_MORE)  # celu, glu, the shrinks, sparsemax, ... (activations/more.py)
# em.activations.celu etc.: set here, not imported by name, because `threshold` is also the
# name of relu's and step's parameter
globals().update(_MORE)
for _fn in _MORE.values():  # their public home (what a saved file and help() name)
    _fn.__module__ = __name__
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu
for _name, _fn in _BY_NAME.items():  # so that an op given one of them knows which it is
    known_as(_name, _fn)


def names() -> list[str]:
    """The names ``get`` accepts."""
    return sorted(_BY_NAME)


def get(identifier: Any) -> Callable:
    """The activation function for ``identifier``: None (linear), a name such as ``"relu"``,
    a serialized ``{"class_name": ..., "config": ...}`` dict, or a callable (returned as is).

    Example:
        >>> import ember as em
        >>> em.activations.get(None) is em.activations.linear
        True
        >>> em.activations.get("swish") is em.activations.silu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier) or _BY_NAME.get(identifier.lower())
        if fn is not None:
            return fn
        if ">" in identifier:  # a user's function registered with register_serializable
            return serialization.lookup(identifier)
        close = difflib.get_close_matches(identifier.lower(), _BY_NAME, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown activation {identifier!r}.{hint} Valid names: "
                         f"{', '.join(names())} (or pass a callable)")
    if isinstance(identifier, dict):
        if isinstance(identifier.get("config"), str):  # Keras' {"class_name": "function", ...}
            return get(identifier["config"])
        obj = serialization.lookup(identifier.get("class_name", ""))
        return obj if not isinstance(obj, type) else serialization.deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"activation must be None, a name such as 'relu', or a callable; got "
                    f"{type(identifier).__name__} {identifier!r}")


def serialize(activation: Callable) -> Any:
    """The name a saved model stores for ``activation`` (built-in or registered)."""
    return serialization.serialize(activation)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable:
    """The activation named by ``config`` (what ``serialize`` returned)."""
    if isinstance(config, str) and custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)


__all__ = [*names(), "get", "serialize", "deserialize", "names"]
