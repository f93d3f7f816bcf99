"""Keras 3 ``.keras`` files: a zip of ``config.json``, ``metadata.json`` and
``model.weights.h5``, read and written as Keras writes them.

Reading trusts nothing: the zip is opened through ember's checked ``Archive`` (entry names,
sizes and compression ratios capped before inflating), the JSON is size- and depth-capped, the
config is translated layer by layer (an unsupported layer or argument is refused by name), the
model is built inside ``expecting(...)`` so that every weight it declares must match a dataset
shape in the file before it is allocated, and the weights are checked against the model before
any is copied in.

Example:
    >>> import ember as em, os, tempfile
    >>> _ = __import__("pytest").importorskip("h5py")
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
    >>> save_keras_model(model, path)
    >>> same = load_keras_model(path)
    >>> same.output_shape
    (None, 2)
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from typing import Any

from ember.interop.keras_compile import compile_from_keras, keras_compile_config
from ember.interop.keras_config import KerasConfigError, ember_model_config, keras_model_config
from ember.interop.keras_h5 import (
    MAX_H5_OBJECTS,
    load_weights_from_stream,
    require_h5py,
    weights_h5_bytes,
)
from ember.safe_io import FileFormatError, limiting_probes, parse_json_object
from ember.saving import limits

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
KERAS_VERSION = "3.15.1"  # the Keras these files were checked against


def save_keras_model(model: Any, filepath: str | os.PathLike) -> None:
    """Write ``model`` as a ``.keras`` file Keras 3 loads (``keras.saving.load_model``)."""
    from ember.atomic_file import atomic_write

    if not model.built:
        raise ValueError("save: the model is not built yet (call it on data, fit it, or "
                         "build(input_shape)) so it has no weights to save")
    config = keras_model_config(model)
    config["build_config"] = {"input_shape": None}
    config["compile_config"] = keras_compile_config(model)
    weights = weights_h5_bytes(model, "save")
    date = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    metadata = {"keras_version": KERAS_VERSION, "date_saved": date}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA, json.dumps(metadata))
        zf.writestr(CONFIG, json.dumps(config))
        zf.writestr(WEIGHTS, weights)
    atomic_write(filepath, buf.getbuffer())


def load_keras_model(filepath: str | os.PathLike, compile: bool = True) -> Any:
    """An ember model rebuilt from a ``.keras`` file (Keras 3's format) with its weights.

    With ``compile=True`` the model is compiled as the file's ``compile_config`` says
    (optimizer, loss, metrics, loss weights; the optimizer starts from fresh slots)."""
    from ember.saving.archive import Archive

    filepath = os.fspath(filepath)
    who = f"load {filepath}"
    with Archive(filepath, who, {CONFIG, METADATA, WEIGHTS}) as archive:
        config = parse_json_object(archive.read(CONFIG, limits.MAX_CONFIG_BYTES,
                                                "MAX_CONFIG_BYTES"), who, CONFIG,
                                   limits.MAX_JSON_DEPTH)
        parse_json_object(archive.read(METADATA, 1 << 16, "MAX_CONFIG_BYTES"), who, METADATA)
        data = archive.read(WEIGHTS, limits.MAX_WEIGHTS_BYTES, "MAX_WEIGHTS_BYTES")
    stream = io.BytesIO(bytes(data))
    model = _build(config, _dataset_shapes(stream, who), who)
    stream.seek(0)
    load_weights_from_stream(model, stream, who)
    if compile:
        compile_from_keras(model, config.get("compile_config") or {}, who)
    return model


def _dataset_shapes(stream: io.BytesIO, who: str) -> dict[str, tuple]:
    """Every dataset's path and shape (metadata only), capped in number."""
    h5py = require_h5py(who)
    shapes: dict[str, tuple] = {}
    try:
        f = h5py.File(stream, "r")
    except OSError as exc:
        raise FileFormatError(f"{who}: entry '{WEIGHTS}' is not an HDF5 file: {exc}") from None
    with f:
        stack = [("", f)]
        while stack:
            path, group = stack.pop()
            for key in group.keys():
                if len(shapes) > MAX_H5_OBJECTS:
                    raise FileFormatError(f"{who}: '{WEIGHTS}' holds more than "
                                          f"{MAX_H5_OBJECTS} objects; refusing it")
                child = group.get(key)
                child_path = f"{path}/{key}" if path else key
                if isinstance(child, h5py.Dataset):
                    shapes[child_path] = tuple(child.shape)
                elif isinstance(child, h5py.Group):
                    stack.append((child_path, child))
    return shapes


def _build(config: dict, shapes: dict[str, tuple], who: str) -> Any:
    from ember.layers.expected_weights import expecting
    from ember.serialization import deserialize

    try:
        ember_config = ember_model_config(config, who)
    except KerasConfigError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise FileFormatError(f"{who}: config.json is not a Keras model config this version "
                              f"reads ({type(exc).__name__}: {exc})") from exc
    try:
        with expecting(shapes, who), limiting_probes(limits.MAX_PROBE_ELEMENTS, who):
            model = deserialize(ember_config)
    except (FileFormatError, KerasConfigError):
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise FileFormatError(f"{who}: config.json describes a model that cannot be rebuilt "
                              f"({type(exc).__name__}: {exc})") from exc
    if not model.built:
        raise FileFormatError(f"{who}: config.json gives no input shape, so the model cannot "
                              "be built before its weights are loaded")
    return model
