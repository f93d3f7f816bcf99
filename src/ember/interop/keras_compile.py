"""The ``compile_config`` entry of a ``.keras`` file: what ``model.compile`` was given
(optimizer, loss, metrics), written as Keras 3 writes it and applied again on loading, so a
reloaded model evaluates and trains as Keras' does.

Only names and the built-in optimizers, losses and metrics go into the file; an argument
one side lacks is left out (its default applies), never guessed.

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.Input((2,)), em.layers.Dense(1)])
    >>> model.compile(optimizer=em.optimizers.Adam(0.01), loss="mae")
    >>> cfg = keras_compile_config(model)
    >>> cfg["optimizer"]["class_name"], cfg["loss"]
    ('Adam', 'mae')
"""

from __future__ import annotations

import inspect
from typing import Any

_MODULES = {"optimizer": "keras.optimizers", "loss": "keras.losses", "metrics": "keras.metrics"}


def _object(value: Any, kind: str) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_object(v, kind) for v in value]
    if isinstance(value, dict):
        return {k: _object(v, kind) for k, v in value.items()}
    if hasattr(value, "get_config") and not isinstance(value, type):
        config = {k: v for k, v in value.get_config().items()
                  if isinstance(v, (str, int, float, bool, type(None)))}
        return {"module": _MODULES[kind], "class_name": type(value).__name__,
                "config": config, "registered_name": None}
    return getattr(value, "__name__", None)  # a plain function: its name


def keras_compile_config(model: Any) -> dict | None:
    """Keras' ``compile_config`` for ``model`` (None when it was not compiled)."""
    cfg = getattr(model, "_compile_config", None)
    if not cfg or model.optimizer is None:
        return None
    return {"optimizer": _object(model.optimizer, "optimizer"),
            "loss": _object(cfg.get("loss"), "loss"),
            "loss_weights": cfg.get("loss_weights"),
            "metrics": _object(cfg.get("metrics"), "metrics"),
            "weighted_metrics": _object(cfg.get("weighted_metrics"), "metrics"),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _ember_object(value: Any, kind: str) -> Any:
    """A name stays a name; a Keras object dict becomes ember's object of the same class,
    given the arguments its constructor takes."""
    from ember.serialization import lookup

    if isinstance(value, list):
        return [_ember_object(v, kind) for v in value]
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    name = value.get("registered_name") or value["class_name"]
    if kind == "metrics":  # metric classes live in ember.metrics' own table
        from ember import metrics

        cls = type(metrics.get(name))
    else:
        cls = lookup(name)
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    config = value.get("config") or {}
    return cls(**{k: v for k, v in config.items() if k in accepted})


def apply_compile_config(model: Any, config: Any, who: str) -> None:
    """``model.compile(...)`` from a file's ``compile_config`` (nothing when absent)."""
    if not isinstance(config, dict) or config.get("optimizer") is None:
        return
    try:
        model.compile(optimizer=_ember_object(config["optimizer"], "optimizer"),
                      loss=_ember_object(config.get("loss"), "loss"),
                      metrics=_ember_object(config.get("metrics"), "metrics"),
                      loss_weights=config.get("loss_weights"),
                      weighted_metrics=_ember_object(config.get("weighted_metrics"),
                                                     "metrics"))
    except (TypeError, ValueError) as exc:
        import warnings

        warnings.warn(f"{who}: the model's compile configuration could not be applied "
                      f"({exc}); compile it again to train or evaluate it", stacklevel=3)
