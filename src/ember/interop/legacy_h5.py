"""Keras 2's h5 weights layout (the one Keras' published ImageNet files use): the root lists
``layer_names``; each layer's group lists ``weight_names``, whose datasets are the layer's
weights in order. Layers are matched by name; every shape is checked before any is copied.

Example:
    >>> import ember as em, os, tempfile
    >>> h5py = __import__("pytest").importorskip("h5py")
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2, name="fc")])
    >>> path = os.path.join(tempfile.mkdtemp(), "legacy.h5")
    >>> with h5py.File(path, "w") as f:
    ...     f.attrs["layer_names"] = [b"fc"]
    ...     g = f.create_group("fc")
    ...     g.attrs["weight_names"] = [b"fc/kernel:0", b"fc/bias:0"]
    ...     g["fc/kernel:0"] = [[1.0, 2.0]] * 3
    ...     g["fc/bias:0"] = [0.5, 0.5]
    >>> load_legacy_h5(model, path)
    >>> model.weights[1].numpy().tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ember.interop.keras_h5 import _assign, require_h5py
from ember.safe_io import FileFormatError


def _text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _leaf_layers(model: Any) -> list:
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers") and type(layer).__name__ != "Bidirectional":
            out += _leaf_layers(layer)
        else:
            out.append(layer)
    return out


def load_legacy_h5(model: Any, filepath: str | os.PathLike) -> None:
    """Read a Keras 2 by-name h5 weights file into ``model``."""
    filepath = os.fspath(filepath)
    who = f"load_weights {filepath}"
    h5py = require_h5py(who)
    layers = {layer.name: layer for layer in _leaf_layers(model) if layer.weights}
    planned = []
    with h5py.File(filepath, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        names = [_text(n) for n in root.attrs.get("layer_names", [])]
        for name in names:
            group = root.get(name)
            weight_names = [_text(n) for n in group.attrs.get("weight_names", [])]
            if not weight_names:
                continue
            layer = layers.pop(name, None)
            if layer is None:
                raise FileFormatError(f"{who}: the file holds weights for layer '{name}', "
                                      "which the model lacks; the architecture differs")
            variables = list(layer.weights)
            if len(variables) != len(weight_names):
                raise FileFormatError(f"{who}: layer '{name}' has {len(weight_names)} weights "
                                      f"in the file and {len(variables)} in the model")
            for w, wname in zip(variables, weight_names):
                ds = group[wname]
                if tuple(ds.shape) != tuple(w.shape):
                    raise FileFormatError(f"{who}: '{name}/{wname}' has shape "
                                          f"{tuple(ds.shape)}; '{w.path}' has {tuple(w.shape)}")
                planned.append((w, ds))
        if layers:
            raise FileFormatError(f"{who}: the file has no weights for layers "
                                  f"{sorted(layers)[:6]}")
        arrays = [(w, np.asarray(ds[()])) for w, ds in planned]
    _assign(arrays)
