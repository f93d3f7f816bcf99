"""Reading the idx format (LeCun's MNIST files), gzip-compressed or not, with clear errors and
size caps checked before anything is inflated or allocated.

An idx file is a 4-byte magic number ``00 00 <type> <ndim>`` (type 0x08 = unsigned byte), then
``ndim`` big-endian uint32 sizes, then the values in C order. ``load_idx`` streams the file:
the header is inflated first and the size it declares is checked (``MAX_IDX_BYTES``, and a
compression ratio no real idx file reaches) before the array is allocated; the digest is
computed chunk by chunk while inflating; inflation stops as soon as the stream yields more than
the header declared. Nothing loops over pixels: the values land in the array in 1 MB chunks.

Example:
    >>> import gzip, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "demo-idx2-ubyte.gz")
    >>> payload = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
    >>> _ = open(path, "wb").write(gzip.compress(payload))
    >>> array, sha = load_idx(path, ndim=2, algorithm="sha256")
    >>> array
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> sha == digest(payload, "sha256")
    True
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from ember.safe_io import FileFormatError, open_regular

_GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08
CHUNK = 1 << 20
MAX_IDX_BYTES = 256 << 20   # one file's values (MNIST's largest holds 47 MB)
MAX_GZIP_RATIO = 100        # MNIST inflates about 5x; a gzip bomb about 1000x


def _hasher(algorithm: str) -> Any:
    # The digests identify published files; usedforsecurity=False keeps md5 available on
    # FIPS-restricted Pythons.
    return hashlib.new(algorithm, usedforsecurity=False)


def digest(data: bytes, algorithm: str) -> str:
    """Hex digest of ``data`` (``algorithm`` is a hashlib name: 'sha256', 'md5')."""
    h = _hasher(algorithm)
    h.update(data)
    return h.hexdigest()


def _inflate(f: IO[bytes], size: int, source: str, raw_hash: Any) -> Iterator[bytes]:
    """The decompressed content of a gzip file in chunks of at most CHUNK bytes: each input
    chunk is inflated in bounded steps, so a bomb never yields more than CHUNK at once."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while True:
        raw = f.read(CHUNK)
        if raw_hash is not None:
            raw_hash.update(raw)
        if not raw:
            if not d.eof:
                raise FileFormatError(f"{source}: truncated gzip file: the compressed stream "
                                      f"ends early ({size} bytes; an incomplete download?)")
            return
        data, pending = raw, False
        while data or pending:
            if d.eof:  # another gzip member follows (gzip allows concatenated members)
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as e:
                raise FileFormatError(f"{source}: corrupt gzip data ({e})") from None
            if out:
                yield out
            data = d.unused_data if d.eof else d.unconsumed_tail
            pending = not d.eof and len(out) == CHUNK  # output may wait in zlib's window


def _plain(f: IO[bytes], raw_hash: Any) -> Iterator[bytes]:
    while True:
        raw = f.read(CHUNK)
        if not raw:
            return
        if raw_hash is not None:
            raw_hash.update(raw)
        yield raw


class _Content:
    """Exact reads over the chunk iterator, hashing what passes when asked to."""

    def __init__(self, chunks: Iterator[bytes], content_hash: Any) -> None:
        self._chunks = chunks
        self._hash = content_hash
        self._buf = b""

    def read(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        if self._hash is not None:
            self._hash.update(out)
        return out

    def readinto(self, view: memoryview) -> int:
        if not self._buf:
            self._buf = next(self._chunks, b"")
        n = min(len(self._buf), len(view))
        view[:n] = self._buf[:n]
        if self._hash is not None:
            self._hash.update(self._buf[:n])
        self._buf = self._buf[n:]
        return n


def load_idx(path: str | Path, ndim: int, algorithm: str | None = None,
             hash_of_gzip: bool = False) -> tuple[np.ndarray, str | None]:
    """``(uint8 array of ndim dimensions, hex digest or None)`` of an idx file, gzipped or not
    (recognised by its magic bytes, not the name: a browser may have unpacked a ``.gz`` and
    kept the name). The digest (with ``algorithm``) is of the .gz bytes if ``hash_of_gzip``,
    else of the uncompressed content."""
    source = str(path)
    f, size = open_regular(path, source)
    with f:
        gz = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        raw_hash = _hasher(algorithm) if algorithm and (hash_of_gzip or not gz) else None
        content_hash = _hasher(algorithm) if algorithm and gz and not hash_of_gzip else None
        chunks = _inflate(f, size, source, raw_hash) if gz else _plain(f, raw_hash)
        content = _Content(chunks, content_hash)
        array = _parse(content, source, ndim, size if gz else None)
        got = (raw_hash or content_hash).hexdigest() if algorithm else None
    return array, got


def _parse(content: _Content, source: str, ndim: int, gz_size: int | None) -> np.ndarray:
    kind = f"idx{ndim} uint8 {'image' if ndim == 3 else 'label' if ndim == 1 else 'array'} file"
    expected_magic = bytes([0, 0, _UBYTE, ndim])
    magic = content.read(4)
    if len(magic) < 4:
        raise FileFormatError(f"{source}: not an idx file: only {len(magic)} bytes, expected "
                              f"a {kind}")
    if magic != expected_magic:
        raise FileFormatError(f"{source}: bad magic number 0x{magic.hex()}, expected "
                              f"0x{expected_magic.hex()} for an {kind} (wrong file, or corrupt)")
    dims = content.read(4 * ndim)
    header = 4 + 4 * ndim
    if len(dims) < 4 * ndim:
        raise FileFormatError(f"{source}: truncated idx header: {4 + len(dims)} bytes, "
                              f"expected at least {header}")
    shape = tuple(int(d) for d in np.frombuffer(dims, ">u4"))
    total = math.prod(shape)
    if total > MAX_IDX_BYTES:
        raise FileFormatError(f"{source}: the header declares shape {shape} ({total} bytes), "
                              f"more than the {MAX_IDX_BYTES} allowed; refused before "
                              "inflating")
    if gz_size is not None and total > max(1 << 20, MAX_GZIP_RATIO * gz_size):
        raise FileFormatError(f"{source}: the header declares shape {shape} ({total} bytes), "
                              f"more than {MAX_GZIP_RATIO} times the {gz_size}-byte gzip file "
                              "(a gzip bomb); refused before inflating")
    out = np.empty(total, np.uint8)  # pages are only touched as data arrives
    view = memoryview(out)
    got = 0
    while got < total:
        n = content.readinto(view[got:got + CHUNK])
        if not n:
            raise FileFormatError(f"{source}: wrong length: the header says shape {shape} "
                                  f"({header + total} bytes) but the content is "
                                  f"{header + got} bytes (truncated)")
        got += n
    extra = len(content.read(CHUNK))
    if extra:
        raise FileFormatError(f"{source}: wrong length: the header says shape {shape} "
                              f"({header + total} bytes) but the content is longer "
                              f"(at least {header + total + extra} bytes: has trailing bytes)")
    return out.reshape(shape)


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
    return _parse(_Content(iter([bytes(data)]), None), str(source), ndim, None)
