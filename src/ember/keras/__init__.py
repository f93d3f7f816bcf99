"""``ember.keras``: the ``tf.keras`` / ``keras`` namespace on ember, so that a program's
``from tensorflow import keras`` becomes ``from ember import keras`` and
``from tensorflow.keras import layers`` becomes ``from ember.keras import layers``.

The submodules are ember's own modules under Keras' names (``ember.keras.layers`` *is*
``ember.layers``); ``ops``, ``random``, ``backend``, ``saving``, ``utils``, ``metrics``,
``config`` and ``mixed_precision`` are small modules of their own, adding Keras' signatures
and names on top of ember's.
``import ember.keras.layers`` and ``from ember.keras.layers import Dense`` work too: a
finder hands out the ember module for each alias.

Example:
    >>> from ember import keras
    >>> from ember.keras import layers
    >>> model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    >>> model.output_shape
    (None, 2)
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from typing import Any

# Keras' submodule -> the ember module that serves it
ALIASES = {
    "layers": "ember.layers", "models": "ember.models", "losses": "ember.losses",
    "optimizers": "ember.optimizers",
    "callbacks": "ember.callbacks", "activations": "ember.activations",
    "initializers": "ember.initializers", "regularizers": "ember.regularizers",
    "datasets": "ember.datasets",
    "applications": "ember.applications",
    "constraints": "ember.constraints",
}
# modules of this package (Keras signatures and names on top of ember's modules)
_OWN = {"ops", "random", "backend", "saving", "utils", "metrics", "mixed_precision", "config"}
_TOP = {"Input": "ember.models", "Model": "ember.models", "Sequential": "ember.models",
        "GradientTape": "ember.autograd", "DTypePolicy": "ember.layers.dtype_policy"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> Any:
        return importlib.import_module(self.target)

    def exec_module(self, module: Any) -> None:  # the ember module is already executed
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    """``ember.keras.<name>`` (and ``ember.keras.<name>.<sub>``) -> ``ember.<name>...``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        prefix = __name__ + "."
        if not fullname.startswith(prefix):
            return None
        head, _, rest = fullname[len(prefix):].partition(".")
        if head not in ALIASES:
            return None
        real = ALIASES[head] + ("." + rest if rest else "")
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real))


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())

__version__ = "3.0.0"  # the Keras API generation this namespace follows


def __getattr__(name: str) -> Any:
    if name in ALIASES or name in _OWN:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _TOP:
        return getattr(importlib.import_module(_TOP[name]), name)
    raise AttributeError(f"module 'ember.keras' has no attribute {name!r}; it offers "
                         f"{sorted(set(ALIASES) | _OWN | set(_TOP))}")


def __dir__() -> list[str]:
    return sorted(set(ALIASES) | _OWN | set(_TOP))
