"""Models: ``Sequential``, the functional ``Model(inputs, outputs)``, subclassed ``Model``;
and saving / loading."""

from ember.layers.input_layer import Input, InputLayer
from ember.models.model import Model
from ember.models.nonfinite_loss import NonFiniteLossError
from ember.models.perceptron import Perceptron
from ember.models.sequential import Sequential


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True):
    """Load a model written by ``model.save`` (architecture, weights, optimizer state).

    Loading only looks class names up in ember's registry: it never unpickles and never runs
    code from the file.
    """
    from ember.saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile)


__all__ = ["Input", "InputLayer", "Model", "NonFiniteLossError", "Sequential", "load_model",
           "Perceptron"]
