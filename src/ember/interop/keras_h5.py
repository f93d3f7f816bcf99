"""Keras 3 ``.weights.h5`` files, read and written as Keras writes them (h5py, the ``h5`` extra).

The layout comes from ``keras_layout``; reading checks the whole file against the model —
every group and every dataset's shape and dtype, from HDF5's metadata, before any data is
read — and changes the model only when everything fits.

Example:
    >>> import ember as em, os, tempfile
    >>> _ = __import__("pytest").importorskip("h5py")
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.weights.h5")
    >>> save_weights_h5(model, path)
    >>> other = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    >>> load_weights_h5(other, path)
    >>> bool((other.weights[0].numpy() == model.weights[0].numpy()).all())
    True
"""

from __future__ import annotations

import io
import os
from typing import IO, Any

import numpy as np

from ember.interop.keras_layout import Entry, keras_entries
from ember.safe_io import FileFormatError, open_regular
from ember.saving import limits

# groups and datasets walked when a file is checked for weights the model does not expect
MAX_H5_OBJECTS = 4 * limits.MAX_TENSORS


def require_h5py(who: str) -> Any:
    """The h5py module, or an ImportError naming the extra to install."""
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{who}: Keras .weights.h5 / .keras files need h5py; install it with "
                          "pip install 'ember[h5]' (or pip install h5py)") from None
    return h5py


def weights_h5_bytes(model: Any, who: str = "save_weights") -> bytes:
    """The ``.weights.h5`` file Keras 3 would write for ``model``, as bytes."""
    from ember.backend import to_numpy

    h5py = require_h5py(who)
    if not model.built:
        raise ValueError(f"{who}: the model is not built yet (call it on data, fit it, or "
                         "build(input_shape)) so it has no weights to save")
    entries = keras_entries(model, who)
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for entry in entries:
            group = f.require_group(entry.path + "/vars" if entry.path else "vars")
            group.attrs["name"] = entry.name
            for i, w in enumerate(entry.variables):
                group.create_dataset(str(i), data=np.asarray(to_numpy(w.data)))
        if "layers" not in f:
            f.create_group("layers")
    return buf.getvalue()


def save_weights_h5(model: Any, filepath: str | os.PathLike) -> None:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file (atomically)."""
    from ember.atomic_file import atomic_write

    atomic_write(filepath, weights_h5_bytes(model))


def load_weights_h5(model: Any, filepath: str | os.PathLike) -> None:
    """Read a Keras 3 ``.weights.h5`` file into ``model`` (same architecture)."""
    filepath = os.fspath(filepath)
    who = f"load_weights {filepath}"
    stream, size = open_regular(filepath, who)
    with stream:
        if size > limits.MAX_WEIGHTS_BYTES:
            raise FileFormatError(f"{who}: the file has {size} bytes, more than the "
                                  f"{limits.MAX_WEIGHTS_BYTES} allowed (ember.saving.limits."
                                  "MAX_WEIGHTS_BYTES)")
        load_weights_from_stream(model, stream, who)


def load_weights_from_stream(model: Any, stream: IO[bytes], who: str) -> None:
    """Check a ``.weights.h5`` stream against ``model`` and copy its arrays in."""
    h5py = require_h5py(who)
    entries = keras_entries(model, who)
    if not model.built:
        raise ValueError(f"{who}: build the model before loading weights into it")
    try:
        f = h5py.File(stream, "r")
    except OSError as exc:
        raise FileFormatError(f"{who}: not an HDF5 file (a Keras .weights.h5 file is one): "
                              f"{exc}") from None
    with f:
        datasets = _checked_datasets(f, entries, who)
        _check_nothing_left(f, entries, who)
        arrays = [(w, _read(ds, who, path)) for w, ds, path in datasets]
    _assign(arrays)


def _checked_datasets(f: Any, entries: list[Entry], who: str) -> list[tuple]:
    """(variable, dataset, path) for every variable, shapes and dtypes checked."""
    h5py = require_h5py(who)
    out = []
    for entry in entries:
        vars_path = f"{entry.path}/vars" if entry.path else "vars"
        group = f.get(vars_path)
        if not entry.variables:
            continue
        if group is None or not isinstance(group, h5py.Group):
            raise FileFormatError(f"{who}: the file has no weights for layer "
                                  f"'{entry.layer.name}' ({type(entry.layer).__name__}) at "
                                  f"'{vars_path}'; the architecture differs")
        names = list(group.keys())
        expected = [str(i) for i in range(len(entry.variables))]
        if sorted(names) != sorted(expected):
            raise FileFormatError(f"{who}: '{vars_path}' holds {len(names)} weights {names[:8]}"
                                  f"; layer '{entry.layer.name}' ({type(entry.layer).__name__})"
                                  f" has {len(entry.variables)}")
        for key, w in zip(expected, entry.variables):
            ds = group[key]
            path = f"{vars_path}/{key}"
            if not isinstance(ds, h5py.Dataset):
                raise FileFormatError(f"{who}: '{path}' is not a dataset")
            if tuple(ds.shape) != tuple(w.shape):
                raise FileFormatError(
                    f"{who}: '{path}' has shape {tuple(ds.shape)}; layer "
                    f"'{entry.layer.name}' weight '{getattr(w, 'path', '?')}' has "
                    f"{tuple(w.shape)}")
            if ds.dtype.kind not in "fiu":
                raise FileFormatError(f"{who}: '{path}' holds {ds.dtype}; expected numbers")
            out.append((w, ds, path))
    return out


def _check_nothing_left(f: Any, entries: list[Entry], who: str) -> None:
    """Refuse a file holding weights no layer of the model takes (a different model)."""
    h5py = require_h5py(who)
    expected = {f"{e.path}/vars" if e.path else "vars" for e in entries if e.variables}
    count = 0
    stack = [("", f)]
    while stack:
        path, group = stack.pop()
        for key in group.keys():
            count += 1
            if count > MAX_H5_OBJECTS:
                raise FileFormatError(f"{who}: the file holds more than {MAX_H5_OBJECTS} "
                                      "groups and datasets; refusing it")
            if not path and key == "optimizer":
                continue  # Keras' optimizer slots (a compiled model's); ember's start fresh
            child_path = f"{path}/{key}" if path else key
            child = group.get(key)
            if isinstance(child, h5py.Dataset):
                if path not in expected:
                    raise FileFormatError(
                        f"{who}: the file holds weights at '{child_path}' that no layer of "
                        f"the model takes; the architecture differs")
            elif isinstance(child, h5py.Group):
                stack.append((child_path, child))


def _read(ds: Any, who: str, path: str) -> np.ndarray:
    try:
        return np.asarray(ds[()])
    except OSError as exc:
        raise FileFormatError(f"{who}: '{path}' cannot be read (damaged file?): {exc}") from None


def _assign(arrays: list[tuple]) -> None:
    """Copy checked arrays into their variables (cannot fail: shapes were checked)."""
    from ember.backend import get_array_module

    for w, array in arrays:
        xp = get_array_module(w.data)
        w.data[...] = xp.asarray(array, dtype=w.data.dtype)
        w._version += 1
