"""Saving and loading models without pickle.

A ``.ember`` file is a zip holding exactly two entries: ``config.json`` (architecture, compile
configuration, ember version) and ``model.safetensors`` (weights, and the optimizer state when
included). Loading reads JSON and raw arrays only and looks class names up in ember's registry:
it never unpickles and never runs code from the file.

A file cannot hurt the process that loads it: sizes are checked before anything is allocated
or inflated (``ember.saving.limits``), the architecture's weight shapes are checked against the
file's tensor index before any weight is created, and everything (weights, optimizer state,
step count) is checked before anything in an existing model changes. Writing goes through a
locked part-file renamed over the target (``ember.atomic_file``), so an interrupted save never
leaves a half-written file, nor a part-file for long.

Example:
    >>> import ember as em, tempfile, os
    >>> model = em.Sequential([em.layers.Dense(2, input_shape=(3,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.ember")
    >>> model.save(path)
    >>> same = em.models.load_model(path)
    >>> bool((same.predict(em.ones((1, 3)).numpy(), verbose=0)
    ...       == model.predict(em.ones((1, 3)).numpy(), verbose=0)).all())
    True
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.atomic_file import atomic_write
from ember.safe_io import FileFormatError, limiting_probes
from ember.saving import limits
from ember.saving.config_checks import check_model_config
from ember.saving.reading import CONFIG_NAME, WEIGHTS_NAME, WeightsFile, open_weights_file
from ember.saving.tensor_file import TensorIndex, write_tensors

_OPT = "optimizer/"


def weight_arrays(model: Any) -> dict[str, np.ndarray]:
    """The model's weights as NumPy arrays, keyed '<index>/<path>' in ``model.weights`` order."""
    from ember.backend import to_numpy

    out = {}
    for i, w in enumerate(model.weights):
        name = getattr(w, "path", None) or getattr(w, "name", None) or "weight"
        out[f"{i:05d}/{name}"] = np.asarray(to_numpy(w.data), order="C")
    return out


def _weight_keys(index: TensorIndex) -> list[str]:
    return sorted(t.name for t in index.tensors if not t.name.startswith(_OPT))


def check_weights(model: Any, index: TensorIndex, source: str) -> list[str]:
    """The file's weight keys in ``model.weights`` order, after checking their number and
    shapes against the model (from the index: no data read yet)."""
    keys = _weight_keys(index)
    shapes = index.shapes()
    weights = model.weights
    if len(keys) != len(weights):
        raise FileFormatError(f"{source}: the file holds {len(keys)} weights but the model has "
                              f"{len(weights)}; the architecture differs")
    for key, w in zip(keys, weights):
        if tuple(shapes[key]) != tuple(w.shape):
            raise FileFormatError(f"{source}: weight '{key.split('/', 1)[-1]}' has shape "
                                  f"{tuple(shapes[key])} in the file; the model's "
                                  f"'{getattr(w, 'path', '?')}' has {tuple(w.shape)}")
    return keys


def _assign_weights(model: Any, keys: list[str], arrays: dict[str, np.ndarray]) -> None:
    """Copy checked arrays into the weights (cannot fail: shapes were checked)."""
    from ember.backend import get_array_module

    for key, w in zip(keys, model.weights):
        xp = get_array_module(w.data)
        w.data[...] = xp.asarray(arrays[key], dtype=w.data.dtype)
        w._version += 1


def _optimizer_state(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k[len(_OPT):]: v for k, v in arrays.items() if k.startswith(_OPT)}


def _prepare_optimizer(model: Any, state: dict, source: str) -> dict | None:
    if not state or model.optimizer is None:
        return None
    try:
        return model.optimizer.prepare_state(state, list(model.trainable_weights))
    except (TypeError, ValueError) as exc:
        raise FileFormatError(f"{source}: the optimizer state does not fit: {exc}") from None


def _compile_config(model: Any) -> dict | None:
    from ember.serialization import serialize

    cfg = getattr(model, "_compile_config", None)
    if not cfg or model.optimizer is None:
        return None

    def ser(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [ser(x) for x in v]
        if isinstance(v, dict):
            return {k: ser(x) for k, x in v.items()}
        return serialize(v)

    return {"optimizer": serialize(model.optimizer), "loss": ser(cfg["loss"]),
            "metrics": ser(cfg["metrics"]), "loss_weights": cfg["loss_weights"],
            "stop_on_nan": cfg.get("stop_on_nan", True)}


def save_model(model: Any, filepath: str, include_optimizer: bool = True,
               extra: dict | None = None) -> None:
    """See ``Model.save``. ``extra`` adds JSON fields to config.json (BackupAndRestore's
    epoch and random state)."""
    import ember
    from ember.serialization import serialize

    if os.fspath(filepath).endswith((".h5", ".hdf5")) and extra is None:
        from ember.interop.legacy_h5_model import save_legacy_h5_model

        return save_legacy_h5_model(model, filepath)  # Keras' legacy whole-model .h5
    if os.fspath(filepath).endswith(".keras") and extra is None:
        from ember.interop.keras_file import save_keras_model

        return save_keras_model(model, filepath)  # Keras' own format, never an ember zip
    if not model.built:
        raise ValueError("save: the model is not built yet (call it on data, fit it, or "
                         "build(input_shape)) so it has no weights to save")
    model_config = serialize(model)
    _require_registered(model_config)
    config = {
        "ember_version": ember.__version__,
        "model": model_config,
        "build_input_shape": _jsonable(getattr(model, "_build_input_shape", None)),
        "compile": _compile_config(model) if include_optimizer else None,
        **(extra or {}),
    }
    arrays = weight_arrays(model)
    if include_optimizer and model.optimizer is not None and model.optimizer.iterations:
        for k, v in model.optimizer.get_state().items():
            arrays[f"{_OPT}{k}"] = np.asarray(v, order="C")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(CONFIG_NAME, json.dumps(config, indent=1))
        zf.writestr(WEIGHTS_NAME, write_tensors(arrays))
    atomic_write(filepath, buf.getbuffer())


def _require_registered(config: Any) -> None:
    """Refuse to write a file whose classes a fresh process could not find: ``get_config``
    names an unregistered class by its bare name (as Keras), but a saved file must load."""
    from ember.serialization import lookup

    if isinstance(config, dict):
        name = config.get("class_name")
        if isinstance(name, str):
            try:
                lookup(name)
            except ValueError:
                raise ValueError(
                    f"{name} is not registered, so it cannot be saved and loaded; decorate it "
                    "with @em.serialization.register_serializable()") from None
        for value in config.values():
            _require_registered(value)
    elif isinstance(config, list):
        for value in config:
            _require_registered(value)


def _jsonable(shape: Any) -> Any:
    if shape is None:
        return None
    if isinstance(shape, (list, tuple)):
        return [_jsonable(s) for s in shape]
    return int(shape)


def restore_into(model: Any, filepath: str,
                 check_config: Callable[[dict, str], Any] | None = None) -> dict:
    """Load weights and optimizer state from a ``.ember`` file into an existing compiled
    ``model`` (same architecture); returns the file's config.json (for its extra fields).

    Everything is checked first (``check_config(config, source)`` too, for a caller's own
    fields): a file that fails any check leaves the model and its optimizer as they were."""
    filepath = os.fspath(filepath)
    source = f"restore {filepath}"
    with open_weights_file(filepath, "restore") as f:
        if check_config is not None:
            check_config(f.config, source)
        keys = check_weights(model, f.index, source)
        arrays = f.read()
    prepared = _prepare_optimizer(model, _optimizer_state(arrays), source)
    _assign_weights(model, keys, arrays)
    if prepared is not None:
        model.optimizer.commit_state(prepared)
    return f.config


def _build(f: WeightsFile, custom_objects: dict | None, source: str) -> Any:
    from ember.layers.expected_weights import expecting

    config = f.config
    model_cfg = config["model"]
    shapes = {t.name: t.shape for t in f.index.tensors if not t.name.startswith(_OPT)}
    try:
        cls = deserialize_class(model_cfg["class_name"], custom_objects)
        with expecting(shapes, source), limiting_probes(limits.MAX_PROBE_ELEMENTS, source):
            if hasattr(cls, "from_config"):
                try:
                    model = cls.from_config(model_cfg.get("config", {}),
                                            custom_objects=custom_objects)
                except TypeError as exc:
                    if "custom_objects" not in str(exc):
                        raise
                    model = cls.from_config(model_cfg.get("config", {}))
            else:  # pragma: no cover - every model class has from_config
                from ember.serialization import deserialize

                model = deserialize(model_cfg, custom_objects)
            shape = config.get("build_input_shape")
            if not model.built and shape is not None:
                model.build(_shape_tuple(shape))
    except FileFormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise FileFormatError(f"{source}: config.json describes a model that cannot be "
                              f"rebuilt ({type(exc).__name__}: {what})") from exc
    return model


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True) -> Any:
    """See ``em.models.load_model``."""
    filepath = os.fspath(filepath)
    source = f"load {filepath}"
    if filepath.endswith(".safetensors"):
        raise ValueError(f"{source}: a .safetensors file holds weights only; build the model "
                         "and call model.load_weights(path), or load an .ember file")
    if filepath.endswith(".keras"):
        from ember.interop.keras_file import load_keras_model

        return load_keras_model(filepath, compile=compile)
    if filepath.endswith(".weights.h5"):
        raise ValueError(f"{source}: a .weights.h5 file holds weights only; build the model "
                         "and call model.load_weights(path), or load a .keras file")
    if filepath.endswith((".h5", ".hdf5")):
        from ember.interop.legacy_h5_model import load_legacy_h5_model

        return load_legacy_h5_model(filepath)  # Keras' legacy whole-model .h5
    with open_weights_file(filepath, "load") as f:
        check_model_config(f.config, source)
        model = _build(f, custom_objects, source)
        keys = check_weights(model, f.index, source)
        arrays = f.read()
    _assign_weights(model, keys, arrays)
    comp = f.config.get("compile")
    if compile and comp:
        try:
            model.compile(optimizer=_deser(comp["optimizer"], custom_objects),
                          loss=_deser_tree(comp.get("loss"), custom_objects),
                          metrics=_deser_tree(comp.get("metrics"), custom_objects),
                          loss_weights=comp.get("loss_weights"),
                          stop_on_nan=comp.get("stop_on_nan", True))
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise FileFormatError(f"{source}: config.json 'compile' cannot be applied "
                                  f"({type(exc).__name__}: {exc})") from exc
        prepared = _prepare_optimizer(model, _optimizer_state(arrays), source)
        if prepared is not None:
            model.optimizer.commit_state(prepared)
    return model


def _shape_tuple(shape: Any) -> Any:
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def deserialize_class(name: str, custom_objects: dict | None) -> Any:
    from ember.serialization import _custom, lookup

    return _custom(name, custom_objects) or lookup(name)


def _deser(value: Any, custom_objects: dict | None) -> Any:
    from ember.serialization import deserialize

    return value if isinstance(value, str) else deserialize(value, custom_objects)


def _deser_tree(value: Any, custom_objects: dict | None) -> Any:
    if isinstance(value, list):
        return [_deser_tree(v, custom_objects) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _deser_tree(v, custom_objects) for k, v in value.items()}
    return _deser(value, custom_objects)  # strings resolve through losses.get / metrics.get


def save_weights(model: Any, filepath: str) -> None:
    """See ``Model.save_weights``: a safetensors file of the weights alone."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".h5"):
        from ember.interop.keras_h5 import save_weights_h5

        return save_weights_h5(model, filepath)  # Keras 3's .weights.h5 layout
    if not filepath.endswith(".safetensors"):
        raise ValueError(f"save_weights: the file name must end in '.weights.safetensors' "
                         f"(ember) or '.weights.h5' (Keras 3); got {filepath!r}")
    atomic_write(filepath, write_tensors(weight_arrays(model)))


def load_weights(model: Any, filepath: str) -> None:
    """See ``Model.load_weights``: from a ``.weights.safetensors`` or a ``.ember`` file. The
    file is checked against the model before any weight changes."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".h5"):
        from ember.interop.keras_h5 import load_weights_h5

        return load_weights_h5(model, filepath)
    source = f"load_weights {filepath}"
    with open_weights_file(filepath, "load_weights") as f:
        keys = check_weights(model, f.index, source)
        arrays = f.read()
    _assign_weights(model, keys, arrays)


__all__ = ["FileFormatError", "atomic_write", "limits", "load_model", "load_weights",
           "restore_into", "save_model", "save_weights", "weight_arrays"]
