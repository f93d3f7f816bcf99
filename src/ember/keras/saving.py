"""``keras.saving``: ``save_model`` / ``load_model`` and the custom-object registry
(``register_keras_serializable``, ``get_custom_objects``, ``custom_object_scope``,
``serialize_keras_object`` / ``deserialize_keras_object``) on ember's serialization.

Example:
    >>> from ember import keras
    >>> @keras.saving.register_keras_serializable(package="Demo")
    ... def cube(x):
    ...     return x ** 3
    >>> keras.saving.get_registered_name(cube)
    'Demo>cube'
    >>> keras.saving.get_registered_object("Demo>cube") is cube
    True
"""

from __future__ import annotations

from typing import Any

from ember import serialization as _ser
from ember.saving import load_model as _load_model
from ember.saving import save_model as _save_model

get_custom_objects = _ser.get_custom_objects
custom_object_scope = _ser.custom_object_scope
CustomObjectScope = _ser.custom_object_scope


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Register a custom class or function as ``package>name`` so saved models find it."""
    return _ser.register_serializable(package=package, name=name)


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is registered under (its ``__name__`` when it is not registered)."""
    key = getattr(obj, "_registered_name", None)
    return key if key is not None else getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict | None = None,
                          module_objects: dict | None = None) -> Any:
    """The class or function registered as ``name`` (None when there is none)."""
    found = _ser._custom(name, custom_objects)
    if found is None and module_objects:
        found = module_objects.get(name)
    if found is None:
        try:
            found = _ser.lookup(name)
        except ValueError:
            return None
    return found


def serialize_keras_object(obj: Any) -> Any:
    """A JSON-able config of ``obj``: ``{"module", "class_name", "config",
    "registered_name"}`` for objects, the registered name for functions."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        name = _ser.registered_name(obj)
        custom = ">" in name
        return {"module": None if custom else type(obj).__module__,
                "class_name": type(obj).__name__, "config": obj.get_config(),
                "registered_name": name if custom else None}
    return _ser.registered_name(obj)


def deserialize_keras_object(config: Any, custom_objects: dict | None = None,
                             **kwargs: Any) -> Any:
    """Rebuild what ``serialize_keras_object`` (or ember's ``serialize``) produced."""
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    return _ser.deserialize(config, custom_objects)


def save_model(model: Any, filepath: str, overwrite: bool = True, **kwargs: Any) -> None:
    """``model.save(filepath)``."""
    _save_model(model, filepath)


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Load a model saved by ``save_model`` (``.keras`` or ``.ember``)."""
    return _load_model(filepath, custom_objects=custom_objects, compile=compile)


def __getattr__(name: str) -> Any:
    import ember.saving

    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(ember.saving, name)
