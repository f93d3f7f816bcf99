"""Crafting hostile .ember / .safetensors files for the fault tests (and for measuring what
they cost a loader). Each builder writes a file and returns its path.

The zip writer here writes the raw bytes it is given with the headers it is told, so a test can
make an entry lie about its size, its method or its CRC, as an attacker's file would.
"""

from __future__ import annotations

import json
import struct
import zlib

_ZEROS_MB = bytes(1 << 20)


def raw_zip(path, entries, comment=b""):
    """Write a zip of ``entries``: dicts with name, data (the stored bytes, compressed or not),
    and optional method (0 stored, 8 deflated), size (declared uncompressed), crc, flags."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e["name"].encode()
        data = e["data"]
        method = e.get("method", 0)
        size = e.get("size", len(data))
        crc = e.get("crc", zlib.crc32(data) if method == 0 else 0)
        flags = e.get("flags", 0)
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, 0, 0, crc,
                           len(data), size, len(name), 0) + name + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, method, 0, 0,
                               crc, len(data), size, len(name), 0, 0, 0, 0, 0, offset) + name
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                       len(central), len(out) - len(central), len(comment)) + comment
    with open(path, "wb") as f:
        f.write(out)
    return str(path)


def safetensors_bytes(header, data=b""):
    """A safetensors blob from a header (dict, or raw JSON bytes) and the data section."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def dense_config(units, features):
    """config.json of a Sequential with one Dense(units) on ``features`` inputs."""
    dense = {"class_name": "Dense", "config": {"name": "dense", "units": units}}
    return {"ember_version": "0.1.0",
            "model": {"class_name": "Sequential",
                      "config": {"name": "seq", "input_shape": [None, features],
                                 "layers": [dense]}},
            "build_input_shape": [None, features], "compile": None}


def tiny_weights(features=3, units=2):
    kernel = bytes(4 * features * units)
    bias = bytes(4 * units)
    header = {"00000/dense/kernel": {"dtype": "F32", "shape": [features, units],
                                     "data_offsets": [0, len(kernel)]},
              "00001/dense/bias": {"dtype": "F32", "shape": [units],
                                   "data_offsets": [len(kernel), len(kernel) + len(bias)]}}
    return safetensors_bytes(header, kernel + bias)


def ember_file(path, config=None, weights=None, extra_entries=()):
    """A stored (uncompressed) .ember of ``config`` (dict or raw bytes) and ``weights``."""
    config = dense_config(2, 3) if config is None else config
    raw = config if isinstance(config, bytes) else json.dumps(config).encode()
    entries = [{"name": "config.json", "data": raw},
               {"name": "model.safetensors", "data": tiny_weights() if weights is None
                else weights}, *extra_entries]
    return raw_zip(path, entries)


def zip_bomb(path, gigabytes=1, honest_header=True):
    """About 1 MB on disk whose weights entry inflates to ``gigabytes`` GB of zeros. With
    ``honest_header=False`` the header declares the size of a tiny model instead."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(_ZEROS_MB) + c.flush(zlib.Z_FULL_FLUSH)  # history-free: repeatable
    stream = block * (1024 * gigabytes) + c.flush()
    size = (1 << 30) * gigabytes if honest_header else len(tiny_weights())
    config = json.dumps(dense_config(2, 3)).encode()
    return raw_zip(path, [{"name": "config.json", "data": config},
                          {"name": "model.safetensors", "data": stream, "method": 8,
                           "size": size}])


def huge_dense(path):
    """A 2 KB file whose config declares a 16000x16000 Dense (1 GB of float32)."""
    return ember_file(path, config=dense_config(16000, 16000))


def million_tensors(path, count=1_000_000, as_ember=True):
    """A weights header listing ``count`` (empty) tensors."""
    entry = '"t%07d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}'
    raw = ("{" + ",".join(entry % i for i in range(count)) + "}").encode()
    blob = safetensors_bytes(raw)
    if as_ember:
        return ember_file(path, weights=blob)
    with open(path, "wb") as f:
        f.write(blob)
    return str(path)


def deep_config(path, depth=200_000):
    """A config.json nesting lists ``depth`` deep (under 1 MB)."""
    return ember_file(path, config=b'{"model": ' + b"[" * depth + b"]" * depth + b"}")


CRAFTED = {"zip_bomb": zip_bomb, "zip_bomb_lying_header":
           lambda p: zip_bomb(p, honest_header=False),
           "huge_dense": huge_dense, "million_tensors": million_tensors,
           "million_tensors_safetensors": lambda p: million_tensors(p, as_ember=False),
           "deep_config": deep_config}
CRAFTED["tensors_at_cap"] = lambda p: million_tensors(p, count=32768)
CRAFTED["tensors_over_cap"] = lambda p: million_tensors(p, count=100_000)


def config_at_cap(path):
    """A config.json just under the size cap, all numbers: the costliest JSON to parse."""
    from ember.saving import limits

    n = limits.MAX_CONFIG_BYTES // 4 - 100
    return ember_file(path, config=b'{"model": [' + b"1e0," * (n - 1) + b"1e0]}")


CRAFTED["config_at_cap"] = config_at_cap
