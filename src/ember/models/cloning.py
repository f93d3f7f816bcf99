"""``clone_model``, ``model.to_json`` / ``model_from_json``: a model's architecture copied
through its config (fresh weights, not compiled), as in Keras.

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    >>> twin = em.models.model_from_json(model.to_json())
    >>> twin.count_params() == model.count_params(), twin is model
    (True, False)
    >>> em.models.clone_model(model).output_shape
    (None, 2)
"""

from __future__ import annotations

import json
from typing import Any


def to_json(model: Any, **kwargs: Any) -> str:
    """The model's architecture as a JSON string (``json.dumps`` keywords pass through)."""
    from ember.serialization import serialize

    return json.dumps(serialize(model), **kwargs)


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """A new, uncompiled model with fresh weights from ``to_json``'s string."""
    from ember.serialization import custom_object_scope, deserialize

    with custom_object_scope(custom_objects or {}):
        return deserialize(json.loads(json_string), custom_objects)


def clone_model(model: Any, input_tensors: Any = None, clone_function: Any = None,
                **kwargs: Any) -> Any:
    """A copy of a Sequential or functional model's architecture with fresh weights (not
    compiled). ``clone_function(layer) -> layer`` may replace the default
    ``layer.__class__.from_config(layer.get_config())`` per layer (Sequential models)."""
    from ember.models.sequential import Sequential

    if input_tensors is not None:
        raise NotImplementedError("clone_model: input_tensors= is not supported; clone the "
                                  "model, then call it on the new inputs")
    if clone_function is not None and isinstance(model, Sequential):
        clone = Sequential([clone_function(layer) for layer in model.layers], name=model.name)
        shape = getattr(model, "_build_input_shape", None)
        if shape is not None:
            clone.build(shape)
        return clone
    if clone_function is not None:
        raise NotImplementedError("clone_model: clone_function= is supported for Sequential "
                                  "models only")
    config = model.get_config()
    clone = type(model).from_config(config)
    if not clone.built and getattr(model, "_build_input_shape", None) is not None:
        clone.build(model._build_input_shape)
    return clone
