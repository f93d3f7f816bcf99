"""Whole models in Keras' legacy ``.h5`` format (what ``model.save("m.h5")`` and
``ModelCheckpoint("best.h5")`` write in Keras 3, with its "legacy" warning): the model's
config in the ``model_config`` attribute and the weights under ``model_weights``, one group
per layer holding ``weight_names`` datasets (Keras 2's by-name layout). Keras 3's
``load_model`` reads what this writes, and ember reads it back. The training configuration
is not written (Keras then warns that the loaded model is not compiled).

Example:
    >>> import ember as em, os, tempfile
    >>> _ = __import__("pytest").importorskip("h5py")
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2, name="fc")])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.h5")
    >>> save_legacy_h5_model(model, path)
    >>> again = load_legacy_h5_model(path)
    >>> bool((again.predict(em.ones((1, 3)).numpy(), verbose=0)
    ...       == model.predict(em.ones((1, 3)).numpy(), verbose=0)).all())
    True
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import numpy as np

from ember.interop.keras_config import keras_model_config
from ember.interop.keras_h5 import require_h5py
from ember.interop.keras_layout import model_layers
from ember.safe_io import FileFormatError

KERAS_VERSION = "3.15.1"


def save_legacy_h5_model(model: Any, filepath: str | os.PathLike) -> None:
    """Write ``model`` (Sequential or functional, without nested models) as Keras' legacy
    ``.h5`` model file."""
    from ember.atomic_file import atomic_write
    from ember.backend import to_numpy

    who = f"save {os.fspath(filepath)}"
    h5py = require_h5py(who)
    if not model.built:
        raise ValueError("save: the model is not built yet (call it on data, fit it, or "
                         "build(input_shape)) so it has no weights to save")
    layers = model_layers(model)
    nested = [layer for layer in layers if hasattr(layer, "layers")]
    if nested:
        raise NotImplementedError(f"{who}: the legacy .h5 format is written for models "
                                  f"without nested models ('{nested[0].name}'); save to "
                                  "'.keras' instead")
    config = keras_model_config(model)  # raises, naming a layer Keras does not share
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = "ember"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        root = f.create_group("model_weights")
        root.attrs["layer_names"] = [layer.name.encode("utf8") for layer in layers]
        root.attrs["backend"] = b"ember"
        root.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        for layer in sorted(layers, key=lambda layer: layer.name):
            group = root.create_group(layer.name)
            weights = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            names = [f"{layer.name}/{w.name}".encode() for w in weights]
            group.attrs["weight_names"] = names
            for name, w in zip(names, weights):
                group.create_dataset(name.decode("utf8"), data=np.asarray(to_numpy(w.data)))
        root.create_group("top_level_model_weights").attrs["weight_names"] = []
    atomic_write(filepath, buf.getvalue())


def load_legacy_h5_model(filepath: str | os.PathLike) -> Any:
    """An ember model rebuilt from a legacy ``.h5`` model file (Keras' or ember's)."""
    from ember.interop.keras_config import ember_model_config
    from ember.interop.legacy_h5 import load_legacy_h5
    from ember.serialization import deserialize

    filepath = os.fspath(filepath)
    who = f"load {filepath}"
    h5py = require_h5py(who)
    with h5py.File(filepath, "r") as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise FileFormatError(f"{who}: the file has no model_config attribute: it holds "
                                  "weights only (use model.load_weights)")
        config = json.loads(raw.decode("utf8") if isinstance(raw, bytes) else raw)
    model = deserialize(ember_model_config(config, who))
    load_legacy_h5(model, filepath)
    return model
