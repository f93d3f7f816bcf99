"""The safetensors format, read in two steps: the index (names, dtypes, shapes) first, the data
only once the index is checked.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON mapping each
tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (plus an optional
``"__metadata__"`` of strings), then the data: every tensor's bytes, back to back, covering the
data section exactly. The index is validated before any tensor memory is allocated, so a header
that lists a million tensors, repeats a name, or declares more bytes than the file holds is
refused in microseconds. Writing uses the ``safetensors`` package (the reference writer).

Example:
    >>> import io, numpy as np
    >>> blob = write_tensors({"w": np.arange(6, dtype=np.float32).reshape(2, 3)})
    >>> stream = io.BytesIO(blob)
    >>> index = read_index(stream, len(blob), "demo.safetensors")
    >>> index.shapes()
    {'w': (2, 3)}
    >>> read_data(stream, index)["w"][1]
    array([3., 4., 5.], dtype=float32)
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from ember.safe_io import (
    FileFormatError,
    expect_type,
    parse_json_object,
    read_bounded,
    read_exact,
)
from ember.saving import limits

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
_ITEMSIZE = {name: np.dtype(code).itemsize for name, code in _DTYPES.items()}


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str          # a NumPy dtype string, e.g. '<f4'
    shape: tuple
    begin: int          # offsets in the data section
    end: int


@dataclass(frozen=True)
class TensorIndex:
    source: str         # "<file>: entry 'model.safetensors'" or the file, for messages
    header_bytes: int   # 8 + N: where the data section starts
    data_bytes: int
    tensors: tuple      # TensorSpec, in file order

    def shapes(self) -> dict[str, tuple]:
        return {t.name: t.shape for t in self.tensors}


def write_tensors(arrays: dict[str, np.ndarray]) -> bytes:
    """The safetensors bytes of ``arrays`` (C-contiguous NumPy arrays)."""
    try:
        import safetensors.numpy as st
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ImportError("saving needs the safetensors package: pip install safetensors") \
            from exc
    return st.save(arrays)


def read_index(stream: IO[bytes], total: int, source: str) -> TensorIndex:
    """Read and validate the header of a safetensors stream of ``total`` bytes (its size as
    the file system or the zip header reports it); the stream is left at the data section."""
    if total > limits.MAX_WEIGHTS_BYTES:
        raise FileFormatError(f"{source}: corrupt weights: {total} bytes is more than the "
                              f"{limits.MAX_WEIGHTS_BYTES} allowed (ember.saving.limits."
                              "MAX_WEIGHTS_BYTES)")
    if total < 8:
        raise FileFormatError(f"{source}: corrupt weights: {total} bytes, too short for a "
                              "safetensors header")
    (n,) = struct.unpack("<Q", read_exact(stream, 8, source, "the weights header length"))
    if n < 2 or 8 + n > total:
        raise FileFormatError(f"{source}: corrupt weights: the header length {n} does not fit "
                              f"a file of {total} bytes")
    if n > limits.MAX_HEADER_BYTES:
        raise FileFormatError(f"{source}: corrupt weights: a {n}-byte header is more than the "
                              f"{limits.MAX_HEADER_BYTES} allowed (ember.saving.limits."
                              "MAX_HEADER_BYTES)")
    raw = read_exact(stream, n, source, "the weights header")
    # Count before parsing: a million small entries would cost far more as Python objects.
    if raw.count(b'"data_offsets"') > limits.MAX_TENSORS:
        raise FileFormatError(f"{source}: corrupt weights: the header lists more than "
                              f"{limits.MAX_TENSORS} tensors (ember.saving.limits.MAX_TENSORS)")
    where = f"{source} (weights header)"
    header = _parse_header(raw, source)
    meta = header.pop("__metadata__", {})
    expect_type(meta, dict, where, "'__metadata__'", "an object of strings")
    tensors = sorted((_spec(name, entry, where) for name, entry in header.items()),
                     key=lambda t: (t.begin, t.end))
    if raw.count(b'"data_offsets"') != len(tensors):
        # JSON keeps the last of repeated keys: parse again, slowly, to name the repeat
        parse_json_object(raw, source, "weights header", limits.MAX_JSON_DEPTH)
        raise FileFormatError(f"{where}: corrupt weights: a tensor entry repeats a key")
    if len(tensors) > limits.MAX_TENSORS:
        raise FileFormatError(f"{where}: corrupt weights: {len(tensors)} tensors, more than "
                              f"the {limits.MAX_TENSORS} allowed")
    data_bytes = total - 8 - n
    pos = 0
    for t in tensors:  # the spec: the tensors tile the data section, no gaps, no overlaps
        if t.begin != pos:
            what = "overlaps the previous one" if t.begin < pos else "leaves a gap before it"
            raise FileFormatError(f"{where}: corrupt weights: tensor {t.name!r} starts at "
                                  f"{t.begin}, which {what} (expected {pos})")
        pos = t.end
    if pos != data_bytes:
        raise FileFormatError(f"{where}: corrupt weights: the tensors take {pos} bytes but "
                              f"the data section holds {data_bytes}")
    return TensorIndex(source, 8 + n, data_bytes, tuple(tensors))


def _parse_header(raw: bytearray, source: str) -> dict:
    """The header's JSON object, parsed at C speed (no per-object hook: the caller detects
    repeated names by counting)."""
    where = f"{source} (weights header)"
    try:
        header = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{where}: corrupt weights: not JSON ({exc})") from None
    except RecursionError:
        raise FileFormatError(f"{where}: corrupt weights: nests too deeply") from None
    if not isinstance(header, dict):
        raise FileFormatError(f"{where}: corrupt weights: expected a JSON object; got "
                              f"{type(header).__name__}")
    return header


def _spec(name: str, entry: Any, where: str) -> TensorSpec:
    """One header entry, checked: a fast path for well-formed entries (a header at the tensor
    cap parses in a fraction of a second), the checked path for anything else."""
    if type(entry) is dict:
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if (type(dtype) is str and dtype in _DTYPES and type(shape) is list
                and len(shape) <= limits.MAX_NDIM and type(offsets) is list and len(offsets) == 2
                and {type(d) for d in shape} <= {int} and min(shape, default=0) >= 0
                and type(offsets[0]) is int and type(offsets[1]) is int
                and 0 <= offsets[0] <= offsets[1]):
            return _sized(name, dtype, shape, offsets, where)
    return _spec_checked(name, entry, where)


def _spec_checked(name: str, entry: Any, where: str) -> TensorSpec:
    """``_spec`` with a precise message for whatever is wrong (the slow path)."""
    label = f"tensor {name!r}"
    expect_type(entry, dict, where, label, "an object with dtype, shape and data_offsets")
    missing = [k for k in ("dtype", "shape", "data_offsets") if k not in entry]
    if missing:
        raise FileFormatError(f"{where}: corrupt weights: {label} lacks {missing}")
    dtype = expect_type(entry["dtype"], str, where, f"{label}'s dtype", "a string")
    if dtype not in _DTYPES:
        raise FileFormatError(f"{where}: corrupt weights: {label} has the unsupported dtype "
                              f"{dtype!r} (supported: {', '.join(_DTYPES)})")
    shape = expect_type(entry["shape"], list, where, f"{label}'s shape", "a list of sizes")
    if len(shape) > limits.MAX_NDIM or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise FileFormatError(f"{where}: corrupt weights: {label} has the shape {shape}; "
                              f"expected at most {limits.MAX_NDIM} sizes >= 0")
    offsets = expect_type(entry["data_offsets"], list, where, f"{label}'s data_offsets",
                          "[begin, end]")
    if len(offsets) != 2 or not all(isinstance(o, int) and not isinstance(o, bool) and o >= 0
                                    for o in offsets) or offsets[0] > offsets[1]:
        raise FileFormatError(f"{where}: corrupt weights: {label} has data_offsets {offsets}; "
                              "expected [begin, end] with 0 <= begin <= end")
    return _sized(name, dtype, shape, offsets, where)


def _sized(name: str, dtype: str, shape: list, offsets: list, where: str) -> TensorSpec:
    nbytes = math.prod(shape) * _ITEMSIZE[dtype]
    if offsets[1] - offsets[0] != nbytes:
        raise FileFormatError(f"{where}: corrupt weights: tensor {name!r} of shape "
                              f"{tuple(shape)} and dtype {dtype} needs {nbytes} bytes; its "
                              f"offsets span {offsets[1] - offsets[0]}")
    return TensorSpec(name, _DTYPES[dtype], tuple(shape), offsets[0], offsets[1])


def read_data(stream: IO[bytes], index: TensorIndex,
              preallocate: bool = True) -> dict[str, np.ndarray]:
    """The tensors of a validated index, read from ``stream`` (positioned at the data): one
    buffer of exactly the declared size (allocated up front when ``preallocate``: the caller
    knows the bytes are in the file); the arrays are views into it, in file order."""
    buf = read_bounded(stream, index.data_bytes, index.source, "weights data",
                       expected=index.data_bytes, preallocate=preallocate)
    return {t.name: np.frombuffer(buf, t.dtype, count=math.prod(t.shape),
                                  offset=t.begin).reshape(t.shape) for t in index.tensors}
