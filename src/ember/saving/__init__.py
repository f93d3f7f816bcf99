"""Saving and loading models without pickle.

A ``.ember`` file is a zip holding exactly two entries: ``config.json`` (architecture, compile
configuration, ember version) and ``model.safetensors`` (weights, and the optimizer state when
included). Loading reads JSON and raw arrays only and looks class names up in ember's registry:
it never unpickles and never runs code from the file. Writing goes to a temporary file that is
renamed over the target, so an interrupted save never leaves a half-written file.

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
import tempfile
import zipfile
from typing import Any

import numpy as np

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
_ALLOWED = {CONFIG_NAME, WEIGHTS_NAME}


def _safetensors() -> Any:
    try:
        import safetensors.numpy as st
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ImportError("saving needs the safetensors package: pip install safetensors") \
            from exc
    return st


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".ember-part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _file_mode(path: str) -> int:
    """The replaced file's permissions, or what a new file gets under the current umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def weight_arrays(model: Any) -> dict[str, np.ndarray]:
    """The model's weights as NumPy arrays, keyed '<index>/<path>' in ``model.weights`` order."""
    from ember.backend import to_numpy

    out = {}
    for i, w in enumerate(model.weights):
        name = getattr(w, "path", None) or getattr(w, "name", None) or "weight"
        out[f"{i:05d}/{name}"] = np.asarray(to_numpy(w.data), order="C")
    return out


def _assign_weights(model: Any, arrays: dict[str, np.ndarray], source: str) -> None:
    keys = sorted(k for k in arrays if not k.startswith("optimizer/"))
    weights = model.weights
    if len(keys) != len(weights):
        raise ValueError(f"{source}: the file holds {len(keys)} weights but the model has "
                         f"{len(weights)}; the architecture differs")
    for key, w in zip(keys, weights):
        arr = arrays[key]
        if tuple(arr.shape) != tuple(w.shape):
            raise ValueError(f"{source}: weight '{key.split('/', 1)[1]}' has shape "
                             f"{tuple(arr.shape)} in the file; the model's "
                             f"'{getattr(w, 'path', '?')}' has {tuple(w.shape)}")
    from ember.backend import get_array_module

    for key, w in zip(keys, weights):  # all checked first: a bad file changes nothing
        xp = get_array_module(w.data)
        w.data[...] = xp.asarray(arrays[key], dtype=w.data.dtype)
        w._version += 1


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
            "metrics": ser(cfg["metrics"]), "loss_weights": cfg["loss_weights"]}


def save_model(model: Any, filepath: str, include_optimizer: bool = True,
               extra: dict | None = None) -> None:
    """See ``Model.save``. ``extra`` adds JSON fields to config.json (BackupAndRestore's
    epoch and random state)."""
    import ember
    from ember.serialization import serialize

    if not model.built:
        raise ValueError("save: the model is not built yet (call it on data, fit it, or "
                         "build(input_shape)) so it has no weights to save")
    config = {
        "ember_version": ember.__version__,
        "model": serialize(model),
        "build_input_shape": _jsonable(getattr(model, "_build_input_shape", None)),
        "compile": _compile_config(model) if include_optimizer else None,
        **(extra or {}),
    }
    arrays = weight_arrays(model)
    if include_optimizer and model.optimizer is not None and model.optimizer.iterations:
        for k, v in model.optimizer.get_state().items():
            arrays[f"optimizer/{k}"] = np.asarray(v, order="C")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(CONFIG_NAME, json.dumps(config, indent=1))
        zf.writestr(WEIGHTS_NAME, _safetensors().save(arrays))
    atomic_write(filepath, buf.getvalue())


def _jsonable(shape: Any) -> Any:
    if shape is None:
        return None
    if isinstance(shape, (list, tuple)):
        return [_jsonable(s) for s in shape]
    return int(shape)


def _read_archive(filepath: str) -> tuple[dict, dict[str, np.ndarray]]:
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"load: no file at {filepath}")
    try:
        with zipfile.ZipFile(filepath) as zf:
            names = zf.namelist()
            bad = [n for n in names if n not in _ALLOWED]
            if bad:
                raise ValueError(f"load: {filepath} holds unexpected entries {bad[:5]} (an "
                                 f".ember file holds only {sorted(_ALLOWED)}); refusing it")
            missing = _ALLOWED - set(names)
            if missing:
                raise ValueError(f"load: {filepath} lacks {sorted(missing)}; not a complete "
                                 ".ember file")
            config = json.loads(zf.read(CONFIG_NAME).decode("utf-8"))
            arrays = _safetensors().load(zf.read(WEIGHTS_NAME))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"load: {filepath} is not a valid .ember file (truncated or not a "
                         f"zip: {exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"load: {filepath} has a corrupt config.json ({exc})") from None
    except Exception as exc:  # safetensors raises its own error type on corrupt data
        if isinstance(exc, (ValueError, FileNotFoundError)):
            raise
        raise ValueError(f"load: {filepath}: corrupt weights ({exc})") from None
    return config, arrays


def restore_into(model: Any, filepath: str) -> dict:
    """Load weights and optimizer state from a ``.ember`` file into an existing compiled
    ``model`` (same architecture); returns the file's config.json (for its extra fields)."""
    config, arrays = _read_archive(filepath)
    _assign_weights(model, arrays, f"restore {filepath}")
    opt_state = {k[len("optimizer/"):]: v for k, v in arrays.items()
                 if k.startswith("optimizer/")}
    if opt_state and model.optimizer is not None:
        model.optimizer.set_state(opt_state, [w for w in model.trainable_weights])
    return config


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True) -> Any:
    """See ``em.models.load_model``."""
    from ember.serialization import deserialize

    config, arrays = _read_archive(filepath)
    model_cfg = config.get("model")
    if not isinstance(model_cfg, dict):
        raise ValueError(f"load: {filepath} has no model architecture in config.json")
    cls = deserialize_class(model_cfg["class_name"], custom_objects)
    if hasattr(cls, "from_config"):
        try:
            model = cls.from_config(model_cfg.get("config", {}), custom_objects=custom_objects)
        except TypeError:
            model = cls.from_config(model_cfg.get("config", {}))
    else:  # pragma: no cover - every model class has from_config
        model = deserialize(model_cfg, custom_objects)
    shape = config.get("build_input_shape")
    if not model.built and shape is not None:
        model.build(_shape_tuple(shape))
    _assign_weights(model, arrays, f"load {filepath}")
    comp = config.get("compile")
    if compile and comp:
        model.compile(optimizer=deserialize(comp["optimizer"], custom_objects),
                      loss=_deser_tree(comp["loss"], custom_objects),
                      metrics=_deser_tree(comp["metrics"], custom_objects),
                      loss_weights=comp.get("loss_weights"))
        opt_state = {k[len("optimizer/"):]: v for k, v in arrays.items()
                     if k.startswith("optimizer/")}
        if opt_state:
            model.optimizer.set_state(opt_state, [w for w in model.trainable_weights])
    return model


def _shape_tuple(shape: Any) -> Any:
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(shape)


def deserialize_class(name: str, custom_objects: dict | None) -> Any:
    from ember.serialization import lookup

    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return lookup(name)


def _deser_tree(value: Any, custom_objects: dict | None) -> Any:
    from ember.serialization import deserialize

    if isinstance(value, list):
        return [_deser_tree(v, custom_objects) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _deser_tree(v, custom_objects) for k, v in value.items()}
    if isinstance(value, str):
        return value  # strings resolve through losses.get / metrics.get at compile time
    return deserialize(value, custom_objects)


def save_weights(model: Any, filepath: str) -> None:
    """See ``Model.save_weights``: a safetensors file of the weights alone."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".safetensors"):
        raise ValueError(f"save_weights: the file name must end in '.weights.safetensors'; "
                         f"got {filepath!r}")
    atomic_write(filepath, _safetensors().save(weight_arrays(model)))


def load_weights(model: Any, filepath: str) -> None:
    """See ``Model.load_weights``: from a ``.weights.safetensors`` or a ``.ember`` file."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".ember"):
        _, arrays = _read_archive(filepath)
    else:
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"load_weights: no file at {filepath}")
        try:
            with open(filepath, "rb") as f:
                arrays = _safetensors().load(f.read())
        except Exception as exc:
            raise ValueError(f"load_weights: {filepath} is not a valid safetensors file "
                             f"({exc})") from None
    _assign_weights(model, arrays, f"load_weights {filepath}")
