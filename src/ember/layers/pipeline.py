"""``Pipeline``: Keras 3's layer that applies a list of layers one after the other — a
preprocessing chain usable in a data pipeline's ``map`` as well as inside a model.

Like Keras' it calls its layers with ``training=True`` unless told otherwise (so random
augmentations run when it maps a dataset) and passes each output's mask on to the next layer.
Its config lists the layers; its weights are theirs.

Example:
    >>> import ember as em
    >>> prep = em.layers.Pipeline([em.layers.Rescaling(1 / 255), em.layers.Flatten()])
    >>> prep(em.ones((2, 4, 4, 3))).shape
    (2, 48)
"""

from __future__ import annotations

from typing import Any

from ember import serialization
from ember.layers.base import Layer
from ember.serialization import register


@register()
class Pipeline(Layer):
    """Apply ``layers`` in order: ``Pipeline([RandomFlip(), Rescaling(1 / 255)])``."""

    def __init__(self, layers: list, name: str | None = None, **kwargs: Any) -> None:
        if not isinstance(layers, (list, tuple)) or not all(isinstance(x, Layer)
                                                           for x in layers):
            raise ValueError(f"Pipeline: layers must be a list of Layer instances; got "
                             f"{layers!r}")
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list:
        return list(self._pipeline_layers)

    def build(self, input_shape: Any = None) -> None:
        shape = input_shape
        for layer in self._pipeline_layers:
            if not layer.built and shape is not None:
                layer._build_from_shape(shape)
            shape = layer.compute_output_shape(shape) if shape is not None else None

    def call(self, inputs: Any, training: Any = True, mask: Any = None) -> Any:
        if training is None:  # called outside fit/predict: Keras' default, True
            training = True
        out = inputs
        for layer in self._pipeline_layers:
            out = layer(out, training=training, mask=mask)
            mask = getattr(out, "_mask", None)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = input_shape
        for layer in self._pipeline_layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def get_config(self) -> dict:
        return {"layers": [serialization.serialize(x) for x in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"Pipeline: the config must hold a list of serialized layers "
                             f"under 'layers'; got {layers!r}")
        config = {**config, "layers": [serialization.deserialize(x) for x in layers]}
        return cls(**config)
