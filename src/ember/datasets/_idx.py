"""Reading the idx format (LeCun's MNIST files), gzip-compressed or not, with clear errors.

An idx file is a 4-byte magic number ``00 00 <type> <ndim>`` (type 0x08 = unsigned byte), then
``ndim`` big-endian uint32 sizes, then the values in C order. The whole payload is parsed with one
``np.frombuffer``; nothing loops over pixels.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from pathlib import Path

import numpy as np

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08


def read_bytes(path: Path) -> tuple[bytes, bytes]:
    """The file's raw bytes and its uncompressed content (the same bytes when not gzipped).

    Gzip is recognised by its magic bytes, not the name: a browser may have unpacked a
    ``.gz`` download and kept the name, or the user may have gunzipped the files.
    """
    raw = Path(path).read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw, raw
    try:
        return raw, gzip.decompress(raw)
    except EOFError as e:
        raise ValueError(f"{path}: truncated gzip file: the compressed stream ends early "
                         f"({len(raw)} bytes; an incomplete download?)") from e
    except (OSError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt gzip data ({e})") from e


def digest(data: bytes, algorithm: str) -> str:
    """Hex digest of ``data`` (``algorithm`` is a hashlib name: 'sha256', 'md5')."""
    # The digests identify published files; usedforsecurity=False keeps md5 available on
    # FIPS-restricted Pythons.
    return hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()


def parse_idx(data: bytes, source: str | Path, ndim: int) -> np.ndarray:
    """The uint8 array of ``ndim`` dimensions held by an uncompressed idx payload.

    ``source`` names the file in error messages. The result is a writable copy.

    Example:
        >>> import numpy as np
        >>> payload = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
        >>> parse_idx(payload, "demo", ndim=2)
        array([[0, 1, 2],
               [3, 4, 5]], dtype=uint8)
    """
    kind = f"idx{ndim} uint8 {'image' if ndim == 3 else 'label' if ndim == 1 else 'array'} file"
    expected_magic = bytes([0, 0, _UBYTE, ndim])
    if len(data) < 4:
        raise ValueError(f"{source}: not an idx file: only {len(data)} bytes, expected a {kind}")
    if data[:4] != expected_magic:
        raise ValueError(f"{source}: bad magic number 0x{data[:4].hex()}, expected "
                         f"0x{expected_magic.hex()} for an {kind} (wrong file, or corrupt)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{source}: truncated idx header: {len(data)} bytes, expected "
                         f"at least {header}")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = header + math.prod(shape)
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(f"{source}: wrong length: the header says shape {shape} "
                         f"({expected} bytes) but the content is {len(data)} bytes ({what})")
    # uint8 has no byte order; the copy makes the result writable (frombuffer's view is not).
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape).copy()
