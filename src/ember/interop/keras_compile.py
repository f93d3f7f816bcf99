"""The training configuration of a ``.keras`` file (``config.json``'s ``compile_config``:
optimizer, loss, metrics, loss weights), translated both ways as Keras 3 writes it, so that
``keras.models.load_model`` on an ember file, and ``em.models.load_model`` on a Keras file,
give a compiled model.

ember's optimizers, losses and metrics take Keras' arguments, so a config mostly passes
through; Keras adds ``module`` / ``registered_name`` and arguments ember lacks (EMA, loss
scaling, gradient accumulation), which are dropped only at the values that mean "off" and
refused by name otherwise.

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    >>> model.compile(em.optimizers.SGD(0.1, momentum=0.9), "mse", metrics=["mae"])
    >>> cfg = keras_compile_config(model)
    >>> cfg["optimizer"]["class_name"], cfg["optimizer"]["config"]["momentum"], cfg["loss"]
    ('SGD', 0.9, 'mse')
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from ember.interop.keras_config import KerasConfigError

# The optimizers Keras 3 and ember share (same class name, same arguments).
OPTIMIZERS = {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion",
              "Lamb", "Ftrl", "Adafactor", "ScheduleFreeAdamW", "Muon"}
# Keras optimizer arguments ember has no parameter for, with the values that mean "off"
_KERAS_OPTIMIZER_DEFAULTS: dict[str, tuple] = {
    "use_ema": (False,), "ema_momentum": (0.99,), "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,), "gradient_accumulation_steps": (None,),
}
# compile arguments Keras writes that change nothing in ember (how Keras runs its step)
_KERAS_RUN_ONLY = {"run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"}


# ------------------------------------------------------------------ ember -> Keras
def keras_compile_config(model: Any) -> dict:
    """``compile_config`` for ``config.json``: {} for a model not compiled (Keras' value),
    and {} with a warning when the optimizer has no Keras equivalent."""
    from ember.serialization import serialize

    cfg = getattr(model, "_compile_config", None)
    if not cfg or getattr(model, "optimizer", None) is None:
        return {}
    optimizer = model.optimizer
    if getattr(model, "_loss_scaled_by_compile", False):
        # compile wrapped it for mixed_float16: Keras writes the optimizer the user passed,
        # and compile wraps it again when the file is loaded
        optimizer = optimizer.inner_optimizer
    opt = serialize(optimizer)
    if opt["class_name"] not in OPTIMIZERS:
        warnings.warn(f"save: the optimizer {opt['class_name']} has no Keras 3 equivalent; "
                      "the .keras file is written without its training configuration "
                      "(Keras loads it uncompiled)", stacklevel=3)
        return {}
    return {"optimizer": _keras_entry(opt, "keras.optimizers"),
            "loss": _keras_tree(cfg["loss"], "keras.losses"),
            "loss_weights": cfg.get("loss_weights"),
            "metrics": _keras_tree(cfg["metrics"], "keras.metrics"),
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}


def _keras_entry(entry: dict, module: str) -> dict:
    config = dict(entry.get("config") or {})
    lr = config.get("learning_rate")
    if isinstance(lr, dict) and "class_name" in lr:
        config["learning_rate"] = _keras_entry(lr, "keras.optimizers.schedules")
    name = entry["class_name"].removeprefix("metrics.")  # ember's registry prefix
    return {"module": module, "class_name": name, "config": config, "registered_name": None}


def _keras_tree(value: Any, module: str) -> Any:
    """A loss/metric (a string, an object, a function) or a list/dict of them, as Keras
    writes it."""
    from ember.serialization import serialize

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_keras_tree(v, module) for v in value]
    if isinstance(value, dict):
        return {k: _keras_tree(v, module) for k, v in value.items()}
    if inspect.isfunction(value):
        return value.__name__  # a built-in loss/metric function, by name as Keras does
    return _keras_entry(serialize(value), module)


# ------------------------------------------------------------------ Keras -> ember
def compile_from_keras(model: Any, config: dict, who: str) -> None:
    """Compile ``model`` as ``config`` (a Keras ``compile_config``) says; {} leaves it as
    it is. Unsupported optimizers, losses, metrics or arguments are refused by name."""
    if not config:
        return
    extra = set(config) - {"optimizer", "loss", "loss_weights", "metrics",
                           "weighted_metrics"} - _KERAS_RUN_ONLY
    if extra:
        raise KerasConfigError(f"{who}: compile_config has {sorted(extra)}, which ember's "
                               "compile does not take")
    if config.get("weighted_metrics"):
        raise KerasConfigError(f"{who}: compile_config has weighted_metrics="
                               f"{config['weighted_metrics']!r}; ember's compile has none "
                               "(pass sample weights to the metrics instead)")
    model.compile(optimizer=_ember_optimizer(config.get("optimizer"), who),
                  loss=_ember_tree(config.get("loss"), "loss", who),
                  metrics=_ember_tree(config.get("metrics"), "metric", who),
                  loss_weights=config.get("loss_weights"))


def _ember_optimizer(entry: Any, who: str) -> Any:
    from ember.serialization import deserialize

    if entry is None or isinstance(entry, str):
        return entry or "rmsprop"
    kind = entry.get("class_name")
    if kind not in OPTIMIZERS:
        raise KerasConfigError(f"{who}: the file's optimizer is {kind!r}; ember reads "
                               f"{sorted(OPTIMIZERS)}")
    config = dict(entry.get("config") or {})
    for key, allowed in _KERAS_OPTIMIZER_DEFAULTS.items():
        if key in config:
            value = config.pop(key)
            if value not in allowed:
                raise KerasConfigError(f"{who}: the optimizer {kind} has {key}={value!r}, "
                                       "which ember's optimizers do not support")
    lr = config.get("learning_rate")
    if isinstance(lr, dict) and "class_name" in lr:
        config["learning_rate"] = {"class_name": lr["class_name"],
                                   "config": lr.get("config") or {}}
    return deserialize({"class_name": kind, "config": config})


def _ember_tree(value: Any, what: str, who: str) -> Any:
    from ember.serialization import deserialize

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_ember_tree(v, what, who) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _ember_tree(v, what, who) for k, v in value.items()}
    if not isinstance(value, dict):
        raise KerasConfigError(f"{who}: compile_config has the {what} {value!r}, which "
                               "ember cannot read")
    kind = value["class_name"]
    names = [f"metrics.{kind}", kind] if what == "metric" else [kind]
    try:
        for name in names[:-1]:
            try:
                return deserialize({"class_name": name, "config": value.get("config") or {}})
            except (KeyError, ValueError):
                continue
        return deserialize({"class_name": names[-1], "config": value.get("config") or {}})
    except (KeyError, ValueError, TypeError) as exc:
        raise KerasConfigError(f"{who}: compile_config has the {what} {kind}, which ember "
                               f"cannot rebuild ({exc})") from None
