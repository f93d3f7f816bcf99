"""Reading the pickles that some standard data sets are published as (CIFAR's batches, the
object arrays in ``imdb.npz`` / ``reuters.npz``) without executing anything from the file.

``pickle`` runs whatever callables a file names. Here every global a file may name is mapped
to a stand-in written below, and any other name is refused: ``numpy``'s array and dtype
reconstructors become recorders of the shape, dtype code and raw bytes, from which the array
is then built with ``numpy.frombuffer``; ``_codecs.encode`` (how protocol 2 writes bytes) only
re-encodes a string as latin-1. What comes out is therefore only dicts, lists, tuples, numbers,
strings, bytes and NumPy arrays of plain (non-structured) dtypes.

Example:
    >>> import io, pickle, numpy as np
    >>> blob = pickle.dumps({"data": np.arange(3, dtype=np.uint8), "labels": [1, 2]}, 2)
    >>> out = loads(blob)
    >>> out["data"].tolist(), out["labels"]
    ([0, 1, 2], [1, 2])
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np

_NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric",
                  "numpy._core.numeric", "numpy")


class UnsafePickleError(ValueError):
    """The file names a global that is not a plain array, dtype or bytes constructor."""


class _ArrayRecord:
    """What ``numpy.core.multiarray._reconstruct`` + ``__setstate__`` would build."""

    def __init__(self) -> None:
        self.state: tuple | None = None

    def __setstate__(self, state: tuple) -> None:
        self.state = state

    def build(self) -> np.ndarray:
        if self.state is None or len(self.state) != 5:
            raise UnsafePickleError("an array record without its (version, shape, dtype, "
                                    "fortran, data) state")
        _, shape, dtype, fortran, data = self.state
        dtype = _finish(dtype)
        if not isinstance(dtype, np.dtype):
            raise UnsafePickleError(f"an array with a dtype of type {type(dtype).__name__}")
        order = "F" if fortran else "C"
        if dtype.hasobject:
            return _cells([_finish(v) for v in data]).reshape(shape, order=order)
        if isinstance(data, str):
            data = data.encode("latin-1")
        if not isinstance(data, (bytes, bytearray)):
            raise UnsafePickleError(f"array data of type {type(data).__name__}")
        count = int(np.prod(shape)) if len(shape) else 1
        if len(data) != count * dtype.itemsize:
            raise UnsafePickleError(f"an array of shape {tuple(shape)} and dtype {dtype} "
                                    f"needs {count * dtype.itemsize} bytes; got {len(data)}")
        return np.frombuffer(bytes(data), dtype=dtype).reshape(shape, order=order).copy()


class _DtypeRecord:
    """What ``numpy.dtype(code, align, copy)`` + ``__setstate__`` would build."""

    def __init__(self, code: Any, *_: Any) -> None:
        if isinstance(code, bytes):
            code = code.decode("ascii")
        if not isinstance(code, str) or code.startswith(("V", "[", "{")):
            raise UnsafePickleError(f"dtype code {code!r} (only plain dtypes are read)")
        self.dtype = np.dtype(code)

    def __setstate__(self, state: tuple) -> None:
        if len(state) > 3 and (state[2] is not None or state[3] is not None):
            raise UnsafePickleError("a structured dtype (only plain dtypes are read)")
        order = state[1] if len(state) > 1 else "|"
        if isinstance(order, bytes):
            order = order.decode("ascii")
        if order in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(order)


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> _ArrayRecord:
    if cls is not _ndarray:
        raise UnsafePickleError("_reconstruct of a class other than numpy.ndarray")
    return _ArrayRecord()


def _frombuffer(buffer: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    dtype = _finish(dtype)
    return np.frombuffer(bytes(buffer), dtype=dtype).reshape(shape, order=order).copy()


def _latin1(text: str, encoding: str = "latin1") -> bytes:
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode with encoding {encoding!r}")
    return text.encode("latin-1")


def _scalar(dtype: Any, data: Any) -> Any:
    dtype = _finish(dtype)
    return np.frombuffer(data if isinstance(data, bytes) else data.encode("latin-1"),
                         dtype=dtype)[0]


class _ndarray:  # noqa: N801 - stands for numpy.ndarray inside a pickle
    pass


_ALLOWED = {
    "_reconstruct": _reconstruct, "ndarray": _ndarray, "dtype": _DtypeRecord,
    "_frombuffer": _frombuffer, "scalar": _scalar,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module in _NUMPY_MODULES and name in _ALLOWED:
            return _ALLOWED[name]
        if (module, name) == ("_codecs", "encode"):
            return _latin1
        raise UnsafePickleError(f"the pickle names {module}.{name}; only NumPy arrays and "
                                "plain containers are read from data-set files")


def loads(data: bytes, encoding: str = "bytes") -> Any:
    """Unpickle ``data`` with the stand-ins above; arrays come back as ``numpy.ndarray``."""
    try:
        raw = _Unpickler(io.BytesIO(data), encoding=encoding).load()
    except (pickle.UnpicklingError, EOFError) as exc:
        raise UnsafePickleError(f"not a readable pickle ({exc})") from None
    return _finish(raw)


def load_npz(path: Any) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file; object arrays (ragged lists, as in ``imdb.npz``) are
    read through ``loads``, never with ``allow_pickle=True``."""
    import zipfile

    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".npy"):
                continue
            with archive.open(member) as raw:
                buffer = io.BytesIO(raw.read())
            out[member[:-4]] = _read_npy(buffer, f"{path}:{member}")
    return out


def _read_npy(buffer: io.BytesIO, where: str) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(buffer)
    reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, fortran, dtype = reader(buffer)
    if not dtype.hasobject:
        buffer.seek(0)
        return fmt.read_array(buffer, allow_pickle=False)
    array = loads(buffer.read(), encoding="latin1")
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise UnsafePickleError(f"{where}: the object array does not match its header "
                                f"(shape {shape})")
    return array


def _finish(value: Any) -> Any:
    if isinstance(value, _ArrayRecord):
        return value.build()
    if isinstance(value, _DtypeRecord):
        return value.dtype
    if isinstance(value, dict):
        return {_finish(k): _finish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finish(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_finish(v) for v in value)
    return value


def _cells(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, v in enumerate(items):
        out[i] = v
    return out
