"""TensorBoard event files written by hand: no TensorFlow, no protobuf library.

An event file is a sequence of TFRecords, each ``uint64 length | uint32 masked_crc(length) |
data | uint32 masked_crc(data)`` (little-endian; the CRC is CRC-32C, masked as
``((crc >> 15) | (crc << 17)) + 0xa282ead8``). Each record's data is an ``Event`` protobuf
(tensorflow/core/util/event.proto): ``wall_time`` (field 1, double), ``step`` (2, varint),
``file_version`` (3, string) or ``summary`` (5, a ``Summary``: repeated ``Value`` (1) of
``tag`` (1), and ``simple_value`` (2, float), ``image`` (4), ``histo`` (5), ``tensor`` (8)
with ``metadata`` (9)). Protobuf's wire format is small: a key ``field << 3 | wire_type``
as a varint, then a varint (type 0), 8 bytes (1), a length-prefixed blob (2) or 4 bytes (5).

Example:
    >>> masked_crc32c(b"")
    2726488792
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from typing import Any

import numpy as np

_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected


def _table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord around ``data``."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


# ---------------------------------------------------------------------- protobuf encoding
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(int(value))


def field_double(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", float(value))


def field_float(number: int, value: float) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<f", float(value))


def field_bytes(number: int, value: bytes | str) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf8")
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def packed_doubles(number: int, values: np.ndarray) -> bytes:
    return field_bytes(number, np.asarray(values, dtype="<f8").tobytes())


def event(step: int, summary: bytes | None = None, file_version: str | None = None,
          wall_time: float | None = None, graph_def: bytes | None = None) -> bytes:
    out = field_double(1, time.time() if wall_time is None else wall_time)
    out += field_varint(2, step)
    if file_version is not None:
        out += field_bytes(3, file_version)
    if graph_def is not None:
        out += field_bytes(4, graph_def)
    if summary is not None:
        out += field_bytes(5, summary)
    return out


def scalar_value(tag: str, value: float) -> bytes:
    return field_bytes(1, field_bytes(1, tag) + field_float(2, value))


def histogram_value(tag: str, values: Any, bins: int = 30) -> bytes:
    """A ``HistogramProto``: min, max, num, sum, sum_squares, bucket_limit, bucket (each
    bucket counts values up to its limit, above the previous one)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    if v.size == 0:
        lo = hi = 0.0
        limits, counts = np.array([0.0]), np.array([0.0])
    else:
        lo, hi = float(v.min()), float(v.max())
        if lo == hi:
            limits, counts = np.array([hi]), np.array([float(v.size)])
        else:
            counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
            limits, counts = edges[1:], counts.astype(np.float64)
    histo = (field_double(1, lo) + field_double(2, hi) + field_double(3, v.size)
             + field_double(4, float(v.sum())) + field_double(5, float((v * v).sum()))
             + packed_doubles(6, limits) + packed_doubles(7, counts))
    return field_bytes(1, field_bytes(1, tag) + field_bytes(5, histo))


def image_value(tag: str, png: bytes, height: int, width: int, channels: int) -> bytes:
    image = (field_varint(1, height) + field_varint(2, width) + field_varint(3, channels)
             + field_bytes(4, png))
    return field_bytes(1, field_bytes(1, tag) + field_bytes(4, image))


def text_tensor_value(tag: str, text: str, plugin: str, content: bytes = b"") -> bytes:
    """A string tensor (dtype DT_STRING = 7, shape []) tagged for a plugin (``text``,
    ``graph_keras_model``)."""
    plugin_data = field_bytes(1, plugin) + (field_bytes(2, content) if content else b"")
    metadata = field_bytes(1, plugin_data)
    tensor = field_varint(1, 7) + field_bytes(2, b"") + field_bytes(8, text)
    return field_bytes(1, field_bytes(1, tag) + field_bytes(8, tensor) + field_bytes(9, metadata))


def png_bytes(pixels: np.ndarray) -> bytes:
    """A (height, width, 1 | 3 | 4) uint8 array as PNG, with zlib only (no Pillow needed)."""
    import zlib

    h, w, c = pixels.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, w * c)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


class EventFileWriter:
    """Appends events to ``<log_dir>/events.out.tfevents.<time>.<host>.<pid>.<n>.v2``."""

    _counter = 0
    _lock = threading.Lock()

    def __init__(self, log_dir: str | os.PathLike) -> None:
        os.makedirs(log_dir, exist_ok=True)
        with EventFileWriter._lock:
            EventFileWriter._counter += 1
            n = EventFileWriter._counter
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{n}.v2")
        self.path = os.path.join(os.fspath(log_dir), name)
        self._file = open(self.path, "wb")
        self._file.write(record(event(0, file_version="brain.Event:2")))
        self._file.flush()

    def add(self, step: int, *values: bytes) -> None:
        """One event at ``step`` holding the summary values (from the ``*_value`` helpers)."""
        if values and not self._file.closed:
            self._file.write(record(event(step, summary=b"".join(values))))

    def add_graph(self, graph_def: bytes) -> None:
        """An event holding a serialized ``GraphDef`` (TensorBoard's Graphs tab)."""
        if not self._file.closed:
            self._file.write(record(event(0, graph_def=graph_def)))

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
