"""Layer configuration helpers: resolving identifiers (initializers, regularizers,
constraints, activations) and turning them into JSON-able values and back."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from ember import serialization


def get_initializer(identifier: Any) -> Any:
    from ember import initializers

    return initializers.get(identifier)


def get_regularizer(identifier: Any) -> Any:
    if identifier is None:
        return None
    from ember import regularizers

    return regularizers.get(identifier)


def get_activation(identifier: Any) -> Any:
    from ember import activations

    return activations.get(identifier)


def is_linear(fn: Any) -> bool:
    """True for the identity activation (so that layers can skip calling it)."""
    from ember import activations

    return fn is getattr(activations, "linear", None)


def get_constraint(identifier: Any) -> Any:
    """None, a callable ``c(weight) -> weight``, or a name / config for ``ember.constraints``."""
    if identifier is None or callable(identifier) and not isinstance(identifier, (str, dict)):
        return identifier
    try:
        constraints = importlib.import_module("ember.constraints")
    except ModuleNotFoundError:
        raise ValueError(f"constraint {identifier!r}: ember has no constraints by name; pass a "
                         "callable that maps a weight Tensor to its constrained value") from None
    return constraints.get(identifier)


def serialize(obj: Any) -> Any:
    """A JSON-able stand-in for ``obj``: its registered name or ``{"class_name", "config"}``.

    An unregistered function falls back to its ``__name__`` (enough for built-in names)."""
    if obj is None or isinstance(obj, (str, int, float, bool, dict)):
        return obj
    try:
        return serialization.serialize(obj)
    except ValueError:
        name = getattr(obj, "__name__", None)
        if name is None:
            raise
        return name


def deserialize_values(config: dict) -> dict:
    """``config`` with nested ``{"class_name": ..., "config": ...}`` values rebuilt."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict) and "class_name" in value:
            value = serialization.deserialize(value)
        out[key] = value
    return out


def jsonable_shape(shape: Any) -> Any:
    if shape is None:
        return None
    if isinstance(shape, dict):
        return {k: jsonable_shape(v) for k, v in shape.items()}
    if any(isinstance(s, (tuple, list, dict)) for s in shape):  # one shape per input
        return [jsonable_shape(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def shape_from_json(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {k: shape_from_json(v) for k, v in shape.items()}
    if any(isinstance(s, (list, dict)) for s in shape):
        return [shape_from_json(s) for s in shape]
    return tuple(shape)


_SIMPLE = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> bool:
    if isinstance(value, _SIMPLE):
        return True
    if isinstance(value, (list, tuple)):
        return all(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def auto_config(layer: Any) -> dict:
    """The constructor arguments of a custom layer that does not define ``get_config``."""
    cls = type(layer)
    args, kwargs = layer.__dict__.get("_init_args", ((), {}))
    try:
        bound = inspect.signature(cls.__init__).bind(layer, *args, **kwargs)
    except TypeError:
        return {}
    bound.apply_defaults()
    params = inspect.signature(cls.__init__).parameters
    config: dict = {}
    for name, value in list(bound.arguments.items())[1:]:
        param = params[name]
        if param.kind is param.VAR_KEYWORD:
            config.update(value)
        elif param.kind is not param.VAR_POSITIONAL:
            config[name] = value
    bad = [k for k, v in config.items() if not _jsonable(serialize(v) if callable(v) else v)]
    if bad:
        raise NotImplementedError(
            f"{cls.__name__}.get_config: the constructor argument(s) {bad} are not plain "
            "values, so the layer cannot be saved automatically; define get_config() returning "
            "{**super().get_config(), ...} with serializable values"
        )
    return {k: serialize(v) if callable(v) else v for k, v in config.items()}


_KERNEL_BIAS_OPTIONS = (("kernel_initializer", get_initializer), ("bias_initializer",
                        get_initializer), ("kernel_regularizer", get_regularizer),
                        ("bias_regularizer", get_regularizer), ("kernel_constraint",
                        get_constraint), ("bias_constraint", get_constraint))


def set_kernel_bias_options(layer: Any, **options: Any) -> None:
    """Resolve and store the kernel/bias initializers, regularizers and constraints that Dense
    and the convolutions share (names, objects or None, as Keras accepts them)."""
    for name, resolve in _KERNEL_BIAS_OPTIONS:
        setattr(layer, name, resolve(options.pop(name)))
    if options:
        raise TypeError(f"unexpected kernel/bias option(s) {sorted(options)}")


def kernel_bias_config(layer: Any) -> dict:
    """Those six options, serialized for ``get_config``."""
    return {name: serialize(getattr(layer, name)) for name, _ in _KERNEL_BIAS_OPTIONS}
