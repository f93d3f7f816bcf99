"""Activation layers with Keras 3's arguments: ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``
(``ReLU`` lives in ``layers/depthwise.py`` beside MobileNet's convolution).

Example:
    >>> import ember as em
    >>> em.layers.LeakyReLU(0.5)(em.tensor([-2.0, 3.0])).tolist()
    [-1.0, 3.0]
    >>> em.layers.Softmax()(em.tensor([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.ops.activation_ops import elu, leaky_relu, relu
from ember.ops.elementwise import exp, where
from ember.ops.nn import softmax
from ember.ops.reduction import logsumexp
from ember.serialization import register


class _Elementwise(Layer):
    """Shape-preserving, mask-passing layers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)


def _float(value: Any, name: str, who: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{who}: {name} must be a float{bound}; got {value!r}")
    return float(value)


@register()
class LeakyReLU(_Elementwise):
    """``x`` for x > 0, else ``negative_slope * x`` (Keras' default slope 0.3; the deprecated
    ``alpha=`` spelling is accepted)."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2's name for it
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _float(negative_slope, "negative_slope", "LeakyReLU", 0.0)

    def call(self, inputs: Tensor) -> Tensor:
        return leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register()
class ELU(_Elementwise):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = _float(alpha, "alpha", "ELU")

    def call(self, inputs: Tensor) -> Tensor:
        return elu(inputs, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@register()
class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope per value: ``relu(x) - alpha * relu(-x)``.

    ``alpha`` has the sample's shape (batch axis excluded), with size 1 along the
    ``shared_axes`` (counted from 1, as Keras: ``shared_axes=[1, 2]`` shares one slope per
    channel of an image).
    """

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = _config.get_initializer(alpha_initializer)
        self.alpha_regularizer = _config.get_regularizer(alpha_regularizer)
        self.alpha_constraint = _config.get_constraint(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)
            if any(isinstance(a, bool) or not isinstance(a, int) or a < 1 for a in axes):
                raise ValueError(f"PReLU: shared_axes are input axes counted from 1 (the batch "
                                 f"axis 0 is always shared); got {shared_axes!r}")
            self.shared_axes = axes

    def build(self, input_shape: tuple) -> None:
        shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a > len(shape):
                raise ValueError(f"PReLU '{self.name}': shared axis {a} is out of range for "
                                 f"inputs of shape {tuple(input_shape)}")
            shape[a - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}': every non-shared axis must be known; got "
                             f"input shape {tuple(input_shape)} with shared_axes "
                             f"{self.shared_axes}")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer,
                                     self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, inputs: Tensor) -> Tensor:
        return relu(inputs) - self.alpha * relu(-inputs)

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "alpha_initializer": s(self.alpha_initializer),
                "alpha_regularizer": s(self.alpha_regularizer),
                "alpha_constraint": s(self.alpha_constraint), "shared_axes": self.shared_axes}


@register()
class Softmax(_Elementwise):
    """Softmax along ``axis`` (an int or a list of axes).

    ``mask`` (True, or > 0.5, where a value counts; broadcast to the inputs) sets the masked
    logits to -1e9 before the softmax and their outputs to 0 after, as Keras.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = [int(a) for a in axis]
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Softmax: axis must be an int or a list of ints; got {axis!r}")
        self.axis = axis

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        if mask is not None:
            m = mask.data if isinstance(mask, Tensor) else mask
            if getattr(m, "ndim", 0) > inputs.ndim:
                raise ValueError(f"Softmax '{self.name}': the mask {tuple(m.shape)} must be "
                                 f"broadcastable to the inputs {tuple(inputs.shape)}")
            mask = m if m.dtype == bool else m > 0.5
        return masked_softmax(inputs, mask, self.axis)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return previous_mask

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def masked_softmax(x: Tensor, keep: Any, axis: Any = -1) -> Tensor:
    """Keras' masked softmax: logits where ``keep`` is False become -1e9 (-3e4 in float16),
    and so do their outputs 0 (a fully masked row gives zeros, not a uniform row)."""
    if keep is not None:
        x = where(keep, x, -3e4 if x.data.dtype.itemsize == 2 else -1e9)
    if isinstance(axis, (list, tuple)) and len(axis) > 1:
        out = exp(x - logsumexp(x, axis=tuple(axis), keepdims=True))
    else:
        out = softmax(x, axis[0] if isinstance(axis, (list, tuple)) else axis)
    return out if keep is None else where(keep, out, 0.0)
