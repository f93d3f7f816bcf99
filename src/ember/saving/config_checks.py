"""Checking the shape of a loaded config.json before anything is built from it: every key the
loader reads is there and has the type it expects, so a damaged or hand-edited file gets one
clear error naming the file, the entry and the key (not a KeyError from deep inside a layer).

Example:
    >>> check_model_config({"model": {"class_name": 3}}, "load m.ember")
    Traceback (most recent call last):
    ...
    ember.safe_io.FileFormatError: load m.ember: config.json 'model.class_name' must be a \
string; got a number 3
"""

from __future__ import annotations

from typing import Any

from ember.safe_io import FileFormatError, expect_type

_WHERE = "config.json"


def _check_objects(value: Any, source: str, path: str) -> None:
    """Every ``{"class_name": ..., "config": ...}`` in the tree has a string class name and an
    object as config (iteratively: the depth is already capped)."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                expect_type(item["class_name"], str, source, f"{_WHERE} '{where}.class_name'",
                            "a string")
                if "config" in item:
                    expect_type(item["config"], (dict, str), source,
                                f"{_WHERE} '{where}.config'", "an object")
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))


def _check_shape(shape: Any, source: str, where: str) -> None:
    if shape is None:
        return
    expect_type(shape, list, source, f"{_WHERE} '{where}'", "a list of sizes")
    for i, d in enumerate(shape):
        if isinstance(d, list):
            _check_shape(d, source, f"{where}[{i}]")
        elif d is not None and (not isinstance(d, int) or isinstance(d, bool) or d < 0):
            raise FileFormatError(f"{source}: {_WHERE} '{where}[{i}]' must be a size >= 0 or "
                                  f"null; got {d!r}")


def check_model_config(config: dict, source: str) -> None:
    """What ``load_model`` reads: 'model' (a class name and config), 'build_input_shape',
    'compile' (optimizer, loss, metrics, loss_weights)."""
    if "model" not in config:
        raise FileFormatError(f"{source}: {_WHERE} has no 'model' entry (the architecture); "
                              f"its keys are {sorted(config)[:10]}")
    model = expect_type(config["model"], dict, source, f"{_WHERE} 'model'",
                        "an object with class_name and config")
    if "class_name" not in model:
        raise FileFormatError(f"{source}: {_WHERE} 'model' has no 'class_name'")
    expect_type(model["class_name"], str, source, f"{_WHERE} 'model.class_name'", "a string")
    expect_type(model.get("config", {}), dict, source, f"{_WHERE} 'model.config'",
                "an object")
    _check_objects(model, source, "model")
    _check_shape(config.get("build_input_shape"), source, "build_input_shape")
    comp = config.get("compile")
    if comp is None:
        return
    expect_type(comp, dict, source, f"{_WHERE} 'compile'", "an object or null")
    if "optimizer" not in comp:
        raise FileFormatError(f"{source}: {_WHERE} 'compile' has no 'optimizer'")
    expect_type(comp["optimizer"], (dict, str), source, f"{_WHERE} 'compile.optimizer'",
                "an object with class_name and config")
    if isinstance(comp["optimizer"], dict) and "class_name" not in comp["optimizer"]:
        raise FileFormatError(f"{source}: {_WHERE} 'compile.optimizer' has no 'class_name'")
    for key, types, what in (("loss", (str, dict, list, type(None)), "a loss"),
                             ("metrics", (list, dict, type(None)), "a list of metrics"),
                             ("loss_weights", (list, dict, int, float, type(None)),
                              "loss weights"),
                             ("stop_on_nan", (bool, type(None)), "true or false")):
        expect_type(comp.get(key), types, source, f"{_WHERE} 'compile.{key}'", what)
    _check_objects(comp, source, "compile")


def check_backup(config: dict, source: str) -> dict:
    """BackupAndRestore's entry: {"epoch": int >= 0, "rng": a generator state}, checked by
    restoring the state into a scratch generator (so the real one changes only on success)."""
    import numpy as np

    state = expect_type(config.get("backup"), dict, source, f"{_WHERE} 'backup'",
                        "an object with epoch and rng (not a BackupAndRestore file?)")
    epoch = expect_type(state.get("epoch"), int, source, f"{_WHERE} 'backup.epoch'",
                        "a whole number >= 0")
    if epoch < 0:
        raise FileFormatError(f"{source}: {_WHERE} 'backup.epoch' must be >= 0; got {epoch}")
    if "rng" in state:
        rng = expect_type(state["rng"], dict, source, f"{_WHERE} 'backup.rng'",
                          "an object {seed, numpy}")
        if "numpy" not in rng:
            raise FileFormatError(f"{source}: {_WHERE} 'backup.rng' has no 'numpy' state")
        seed = rng.get("seed")
        if seed is not None:
            expect_type(seed, int, source, f"{_WHERE} 'backup.rng.seed'", "a whole number")
        from ember import backend

        scratch = type(backend.rng(np).bit_generator)()
        try:
            scratch.state = rng["numpy"]
        except (TypeError, ValueError, KeyError) as exc:
            raise FileFormatError(f"{source}: {_WHERE} 'backup.rng.numpy' is not a state of "
                                  f"the {type(scratch).__name__} generator ({exc})") from None
    return state
