"""``InputLayer`` and ``em.Input``: the entry point of a functional model.

Example:
    >>> import ember as em
    >>> x = em.Input(shape=(28, 28), name="pixels")
    >>> x.shape, type(x.node.layer).__name__, x.node.layer.name
    ((None, 28, 28), 'InputLayer', 'pixels')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.layers.base import Layer
from ember.layers.symbolic import Node, SymbolicTensor, inbound_nodes
from ember.serialization import register


@register()
class InputLayer(Layer):
    """The entry point of a functional model; ``em.Input(shape)`` makes one and returns its
    symbolic output."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 batch_shape: Any = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: pass shape= (without the batch axis), e.g. (28, 28)")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(batch_shape)
        from ember.backend import floatx

        # Keras spells a text input dtype="string"; NumPy holds text as Python objects
        text = isinstance(dtype, str) and dtype in ("string", "str")
        self.input_dtype = "object" if text else np.dtype(dtype or floatx()).name
        self.built = True
        node = Node(self, None, [], {})
        node.outputs = [SymbolicTensor(self.batch_shape, self.input_dtype, node, 0)]
        inbound_nodes(self).append(node)  # `self.output` is that tensor

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.batch_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.input_dtype,
                "name": self.name}


def Input(shape: Any = None, batch_size: int | None = None, name: str | None = None,
          dtype: Any = None, batch_shape: Any = None, **kwargs: Any) -> SymbolicTensor:
    """A symbolic input of the given per-sample ``shape`` (the batch axis is added as None).

    Example:
        >>> import ember as em
        >>> em.Input(shape=(28, 28)).shape
        (None, 28, 28)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                      name=name, **kwargs).output
