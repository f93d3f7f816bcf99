"""``Wrapper``, Keras' base class of layers that wrap one layer (``TimeDistributed``,
``Bidirectional``), and ``TimeDistributed``: apply one layer to every time step of
(batch, timesteps, ...).

The steps are folded into the batch axis, (batch * timesteps, ...), run through the wrapped
layer in one call and unfolded: the same result as Keras' step-by-step loop for any layer that
treats samples independently (Dense, Conv2D, pooling, ...), and one call instead of T. The
wrapped layer's weights are shared by every step.

Example:
    >>> import ember as em
    >>> td = em.layers.TimeDistributed(em.layers.Dense(8))
    >>> td(em.ones((2, 10, 16))).shape, td.layer.kernel.shape
    ((2, 10, 8), (16, 8))
"""

from __future__ import annotations

from typing import Any

from ember import serialization
from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.layers.layer_call import CALL_TAKES_MASK, CALL_TAKES_TRAINING, call_arguments
from ember.ops.shape import reshape
from ember.serialization import register


class Wrapper(Layer):
    """Base class of a layer around another one (``self.layer``), Keras' ``Wrapper``: it builds
    the wrapped layer on its own build and (de)serializes it under the "layer" config key.
    Subclasses write ``call``.

    Example:
        >>> import ember as em
        >>> class Twice(em.layers.Wrapper):
        ...     def call(self, x):
        ...         return self.layer(self.layer(x))
        >>> Twice(em.layers.Dense(3))(em.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if isinstance(layer, dict):
            layer = serialization.deserialize(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__}: wrap a Layer instance; got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer._build_from_shape(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialization.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict) -> Wrapper:
        config = dict(config)
        return cls(serialization.deserialize(config.pop("layer")), **config)


@register()
class TimeDistributed(Wrapper):
    """Applies ``layer`` to every slice along axis 1 of its input."""

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: wrap a Layer instance; got {layer!r}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    @staticmethod
    def _child_shape(input_shape: Any, who: str) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"{who}: inputs must have at least 3 axes (batch, timesteps, "
                             f"...); got shape {input_shape}")
        b, t = input_shape[0], input_shape[1]
        return (None if b is None or t is None else b * t,) + tuple(input_shape[2:])

    def build(self, input_shape: tuple) -> None:
        if not self.layer.built:
            self.layer._build_from_shape(self._child_shape(input_shape,
                                                           f"TimeDistributed '{self.name}'"))

    def call(self, inputs: Tensor, training: Any = None, mask: Any = None) -> Tensor:
        shape = tuple(inputs.shape)
        self._child_shape(shape, f"TimeDistributed '{self.name}'")
        b, t = shape[0], shape[1]
        folded = reshape(inputs, (b * t,) + shape[2:])
        kwargs = {}
        if call_arguments(type(self.layer)) & CALL_TAKES_TRAINING:
            kwargs["training"] = training
        if call_arguments(type(self.layer)) & CALL_TAKES_MASK and mask is not None:
            m = mask.data if isinstance(mask, Tensor) else mask
            kwargs["mask"] = m.reshape((b * t,) + tuple(m.shape[2:]))
        out = self.layer(folded, **kwargs)
        return reshape(out, (b, t) + tuple(out.shape[1:]))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        child = self.layer.compute_output_shape(self._child_shape(
            input_shape, f"TimeDistributed '{self.name}'"))
        return (input_shape[0], input_shape[1]) + tuple(child[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialization.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict) -> TimeDistributed:
        config = dict(config)
        return cls(serialization.deserialize(config.pop("layer")), **config)
