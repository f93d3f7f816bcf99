"""Turning configurable objects (layers, losses, optimizers, ...) into JSON-able dicts and back.

Every built-in class registers itself under its class name; a user's own class registers with
``@em.serialization.register_serializable()`` so that a saved model using it loads again.
Deserializing only ever looks names up in this registry: a saved file cannot run code.

The built-in classes register when their module is imported, and ``import ember`` imports few
modules (to stay fast). So a lookup that misses first imports every package that owns
built-ins (``BUILTIN_PACKAGES``), once: a file saved by one process loads in any other after a
plain ``import ember``, whatever that process has imported so far.

Example:
    >>> import ember as em
    >>> @em.serialization.register_serializable(package="demo")
    ... class Scale:
    ...     def __init__(self, factor=2.0):
    ...         self.factor = factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> cfg = em.serialization.serialize(Scale(3.0))
    >>> cfg
    {'class_name': 'demo>Scale', 'config': {'factor': 3.0}}
    >>> em.serialization.deserialize(cfg).factor
    3.0
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

_REGISTRY: dict[str, Any] = {}
# Keras' global custom objects: what register_serializable registered, plus whatever a user
# puts in ``get_custom_objects()``; and the stack of ``custom_object_scope`` dicts
_CUSTOM: dict[str, Any] = {}
_SCOPES: list[dict[str, Any]] = []

# The packages whose modules register built-in classes and functions (a test checks that
# importing these registers everything any ember module registers). The two callbacks are
# listed apart because ember.callbacks loads them on first use.
BUILTIN_PACKAGES = (
    "ember.activations", "ember.initializers", "ember.regularizers", "ember.layers",
    "ember.losses", "ember.metrics", "ember.optimizers", "ember.callbacks",
    "ember.callbacks.model_checkpoint", "ember.callbacks.backup_and_restore", "ember.models",
    "ember.distributed.sync_batchnorm", "ember.layers.text_vectorization",
    "ember.constraints",
)
_builtins_loaded = False


def load_builtins() -> None:
    """Import every package that registers built-ins (once; cheap after the first call)."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    for package in BUILTIN_PACKAGES:
        importlib.import_module(package)
    _builtins_loaded = True


def registered() -> dict[str, Any]:
    """A copy of the whole registry (built-ins loaded first): name -> class or function.

    Example:
        >>> import ember as em
        >>> em.serialization.registered()["GlorotUniform"].__name__
        'GlorotUniform'
    """
    load_builtins()
    return dict(_REGISTRY)


def register(name: str | None = None) -> Callable:
    """Register a built-in class or function under ``name`` (default: its ``__name__``)."""

    def deco(obj: Any) -> Any:
        key = name or obj.__name__
        _REGISTRY[key] = obj
        obj._registered_name = key
        return obj

    return deco


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Register a user's class or function as ``package>name`` (Keras'
    ``register_keras_serializable``), so models using it can be saved and loaded."""

    def deco(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        _REGISTRY[key] = obj
        _CUSTOM[key] = obj
        obj._registered_name = key
        return obj

    return deco


def get_custom_objects() -> dict[str, Any]:
    """Keras' global dict of custom objects (live: adding to it registers a name; the classes
    ``register_serializable`` registered are in it under ``package>name``).

    Example:
        >>> import ember as em
        >>> em.serialization.get_custom_objects()["twice"] = lambda x: 2 * x
        >>> em.serialization.lookup("twice")(3)
        6
        >>> del em.serialization.get_custom_objects()["twice"]
    """
    return _CUSTOM


class custom_object_scope:  # noqa: N801 - Keras' name
    """``with custom_object_scope({"Name": cls}):`` makes the names resolvable while loading
    (Keras' ``CustomObjectScope``).

    Example:
        >>> import ember as em
        >>> with em.serialization.custom_object_scope({"half": lambda x: x / 2}):
        ...     em.serialization.lookup("half")(3)
        1.5
    """

    def __init__(self, *objects: dict[str, Any]) -> None:
        self.objects: dict[str, Any] = {}
        for d in objects:
            self.objects.update(d or {})

    def __enter__(self) -> custom_object_scope:
        _SCOPES.append(self.objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _SCOPES.remove(self.objects)


def _custom(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """``name`` in the given custom objects, the open scopes or the global custom objects; a
    ``package>Name`` is also found under its bare ``Name`` (Keras' custom_objects use it)."""
    short = name.rsplit(">", 1)[-1]
    for table in ([custom_objects] if custom_objects else []) + _SCOPES[::-1] + [_CUSTOM]:
        for key in (name, short):
            if key in table:
                return table[key]
    return None


def registered_name(obj: Any) -> str:
    """The name ``obj`` (a class, an instance or a function) is registered under."""
    target = obj if isinstance(obj, type) or callable(obj) and not hasattr(obj, "get_config") \
        else type(obj)
    key = getattr(target, "_registered_name", None)
    if key is None or _REGISTRY.get(key) is not target:
        kind = target.__name__ if hasattr(target, "__name__") else repr(target)
        raise ValueError(
            f"{kind} is not registered, so it cannot be saved and loaded; decorate it with "
            "@em.serialization.register_serializable()"
        )
    return key


def serialize(obj: Any) -> Any:
    """``{"class_name": ..., "config": obj.get_config()}`` for objects, the name for functions."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        try:
            name = registered_name(obj)
        except ValueError:  # as Keras: the bare class name, found at load time through
            name = type(obj).__name__  # custom_objects or a custom_object_scope
        return {"class_name": name, "config": _nested(obj.get_config())}
    return registered_name(obj)


def _nested(value: Any) -> Any:
    """A config with the objects a custom ``get_config`` returned as they are (a sublayer,
    an initializer) serialized too, as Keras does."""
    if isinstance(value, dict):
        return {k: _nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_nested(v) for v in value)
    if hasattr(value, "get_config") and not isinstance(value, type):
        return serialize(value)
    return value


def lookup(name: str) -> Any:
    """The class or function registered as ``name``; a clear error listing nothing unsafe.

    A miss loads the built-in packages and looks again (see the module's docstring)."""
    obj = (_custom(name) or _REGISTRY.get(name)) if isinstance(name, str) else None
    if obj is None and isinstance(name, str) and not _builtins_loaded:
        load_builtins()
        obj = _REGISTRY.get(name)
    if obj is None:
        raise ValueError(
            f"unknown class or function {name!r}: it is not built into ember and was not "
            "registered (register custom objects with @em.serialization.register_serializable() "
            "before loading)"
        )
    return obj


def resolve(identifier: Any, by_name: dict[str, Any], kind: str, example: str,
            callable_form: str) -> Any:
    """The shared body of ``initializers.get`` / ``regularizers.get``: a name (built in or
    registered as ``package>name``), a serialized dict, a class, or a callable -> the object.
    Unknown names get a close-match hint and the list of valid ones."""
    import difflib

    if identifier is None:
        return None
    if isinstance(identifier, str):
        factory = by_name.get(identifier)
        if factory is None and ">" in identifier:
            factory = lookup(identifier)
        if factory is None:
            close = difflib.get_close_matches(identifier, by_name, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown {kind} {identifier!r}.{hint} Valid names: "
                             f"{', '.join(sorted(by_name))} (or pass a callable "
                             f"{callable_form})")
        return factory()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"{kind} must be a name such as {example!r}, a {kind.title()} or a "
                    f"callable {callable_form}; got {type(identifier).__name__} {identifier!r}")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what ``serialize`` produced, looking names up only in the registry (and
    ``custom_objects``)."""
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        return _custom(config, custom_objects) or lookup(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize: expected a name or {{'class_name', 'config'}}; got "
                         f"{config!r}")
    name = config.get("registered_name") or config["class_name"]
    cls = _custom(name, custom_objects) or _custom(config["class_name"], custom_objects) \
        or lookup(name)
    cfg = config.get("config", {})
    if hasattr(cls, "from_config"):
        return cls.from_config(cfg)
    return cls(**cfg)
