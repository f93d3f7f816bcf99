"""Optimizers with Keras 3's names, defaults and update rules, updating ember Tensors in place.

``em.optimizers.get("adam")`` (or ``model.compile(optimizer="adam")``) gives a fresh optimizer
with Keras' defaults; ``em.optimizers.schedules`` holds the learning-rate schedules.

Example:
    >>> import ember as em
    >>> w = em.tensor([3.0], requires_grad=True)
    >>> opt = em.optimizers.get("sgd")
    >>> for _ in range(100):
    ...     opt.zero_grad([w])
    ...     (w * w).sum().backward()
    ...     opt.step([w])
    >>> round(w.item(), 3)          # 3 * (1 - 2 * 0.01) ** 100
    0.398
"""

from __future__ import annotations

from typing import Any

from ember import serialization as _serialization
from ember.optimizers import schedules
from ember.optimizers.adadelta import Adadelta
from ember.optimizers.adafactor import Adafactor
from ember.optimizers.adagrad import Adagrad
from ember.optimizers.adam import Adam
from ember.optimizers.adamax import Adamax
from ember.optimizers.adamw import AdamW
from ember.optimizers.base import Optimizer
from ember.optimizers.ftrl import Ftrl
from ember.optimizers.lamb import Lamb
from ember.optimizers.lion import Lion
from ember.optimizers.loss_scale import LossScaleOptimizer
from ember.optimizers.multi import MultiOptimizer, OptimizerMap
from ember.optimizers.muon import Muon
from ember.optimizers.nadam import Nadam
from ember.optimizers.rmsprop import RMSprop
from ember.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from ember.optimizers.sgd import SGD

# Saved models name their optimizer and schedule classes; ember.serialization's registry is
# the only place a loader looks them up.
for _cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Lamb, Ftrl,
             Adafactor, ScheduleFreeAdamW, Muon, LossScaleOptimizer, MultiOptimizer,
             OptimizerMap, *schedules._SCHEDULES.values()):
    _serialization.register()(_cls)

_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
            "adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam, "lion": Lion, "lamb": Lamb,
            "ftrl": Ftrl, "adafactor": Adafactor, "muon": Muon,
            "schedulefreeadamw": ScheduleFreeAdamW}
# by class name only (they wrap other optimizers, so have no default form)
_WRAPPERS = {"LossScaleOptimizer": LossScaleOptimizer, "MultiOptimizer": MultiOptimizer}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name (``"adam"``, ``"SGD"``, ...), a ``serialize`` dictionary, or an
    ``Optimizer`` (returned as is).

    Example:
        >>> import ember as em
        >>> em.optimizers.get("RMSprop")
        RMSprop(name='rmsprop', learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False)
    """  # noqa: E501
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"optimizers.get: unknown optimizer {identifier!r}; valid names: "
                             f"{', '.join(_BY_NAME)}")
        return cls()
    raise TypeError(f"optimizers.get: expected an optimizer name ({', '.join(_BY_NAME)}), an "
                    f"Optimizer or a config dict; got {type(identifier).__name__}")


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": ..., "config": ...}``, a JSON-ready description (no state)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer; got {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """A new optimizer from ``serialize``'s dictionary; ``custom_objects`` maps class names of
    user-defined optimizers or schedules to their classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("optimizers.deserialize: expected {'class_name': ..., 'config': {...}};"
                         f" got {config!r}")
    custom = custom_objects or {}
    name = config["class_name"]
    cls = custom.get(name) or {c.__name__: c for c in _BY_NAME.values()}.get(name) \
        or _WRAPPERS.get(name) or _BY_NAME.get(str(name).lower())
    if cls is None:
        raise ValueError(f"optimizers.deserialize: unknown optimizer {name!r}; valid: "
                         f"{', '.join(c.__name__ for c in _BY_NAME.values())}")
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom)


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Lion", "Lamb", "Ftrl", "Adafactor", "ScheduleFreeAdamW", "Muon",
           "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap", "schedules", "get",
           "serialize", "deserialize"]
