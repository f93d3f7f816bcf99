"""The deterministic initializers: zeros, ones, a constant, the identity."""

from __future__ import annotations

from typing import Any

import numpy

from ember import backend, serialization
from ember.initializers.base import Initializer, _shape


@serialization.register()
class Zeros(Initializer):
    """All zeros (Keras' default bias initializer)."""

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        return numpy.zeros(_shape(shape, "Zeros"), dtype=dtype or backend.floatx())


@serialization.register()
class Ones(Initializer):
    """All ones (BatchNormalization's default gamma)."""

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        return numpy.ones(_shape(shape, "Ones"), dtype=dtype or backend.floatx())


@serialization.register()
class Constant(Initializer):
    """Every value equal to ``value`` (a number, or an array broadcastable to the shape)."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value.tolist() if hasattr(value, "tolist") else value

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        shape = _shape(shape, "Constant")
        value = numpy.asarray(self.value, dtype=dtype or backend.floatx())
        try:
            return numpy.broadcast_to(value, shape).copy()
        except ValueError:
            raise ValueError(f"Constant: a value of shape {value.shape} does not broadcast to "
                             f"the weight shape {shape}") from None

    def get_config(self) -> dict:
        return {"value": self.value}


@serialization.register()
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        shape = _shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity: only 2-D shapes are supported; got {shape}")
        return (self.gain * numpy.eye(*shape)).astype(dtype or backend.floatx())

    def get_config(self) -> dict:
        return {"gain": self.gain}
