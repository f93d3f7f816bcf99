"""Reading files that may be hostile: regular files only, sizes capped before anything is
allocated, JSON checked for size, depth, duplicate keys and shape.

Every loader of a user-supplied file (``.ember`` archives, ``.safetensors`` weights, the MNIST
idx files, downloads) reads through these helpers, so a FIFO does not hang it, a crafted size
does not make it allocate gigabytes, and every refusal is one ``FileFormatError`` naming the
file and the entry.

Example:
    >>> import io
    >>> parse_json_object(b'{"a": [1, 2]}', "demo.ember", "config.json")
    {'a': [1, 2]}
    >>> parse_json_object(b'[]', "demo.ember", "config.json")
    Traceback (most recent call last):
    ...
    ember.safe_io.FileFormatError: demo.ember: entry 'config.json' must hold a JSON object; \
got a list
    >>> read_bounded(io.BytesIO(b"x" * 10), 4, "demo", "data")
    Traceback (most recent call last):
    ...
    ember.safe_io.FileFormatError: demo: entry 'data' is larger than the 4 bytes allowed
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import reprlib
import stat
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 1 << 20  # bytes read at a time: a bounded read never asks for more than this


class FileFormatError(ValueError):
    """A file is malformed, truncated, too large or not what it claims to be (the message names
    the file and the entry)."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO (named pipe)"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def open_regular(path: str | os.PathLike, who: str) -> tuple[IO[bytes], int]:
    """``(binary file, size)`` for a regular file; FileNotFoundError or FileFormatError else.

    The file is opened without blocking and checked with ``fstat`` on the open descriptor, so
    a FIFO is refused at once (instead of waiting for a writer) and a file swapped for another
    between a check and the open cannot slip through."""
    path = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{who}: no file at {path}") from None
    except IsADirectoryError:  # Windows cannot open a folder
        raise FileFormatError(f"{who}: {path} is a directory, not a regular file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileFormatError(f"{who}: {path} is a {_kind(info.st_mode)}, not a regular "
                                  "file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_bounded(stream: IO[bytes], limit: int, source: str, entry: str,
                 expected: int | None = None, preallocate: bool = True) -> bytearray:
    """At most ``limit`` bytes of ``stream``; FileFormatError as soon as it yields more (the
    check runs while reading, so a stream that inflates without end costs ``limit`` bytes).

    With ``expected`` (a size a header declared, already checked against a cap) the stream must
    yield exactly that many bytes. The buffer is then allocated at once when ``preallocate``
    (the caller knows the bytes exist, e.g. an uncompressed entry inside the file); otherwise
    it grows only as data actually arrives, so a header that lies costs nothing."""
    if expected is not None and preallocate:
        buf = bytearray(expected)
        view = memoryview(buf)
        got = 0
        while got < expected:
            n = stream.readinto(view[got:got + CHUNK])
            if not n:
                break
            got += n
        if got < expected:
            raise FileFormatError(f"{source}: entry '{entry}' is truncated: {got} of the "
                                  f"{expected} bytes its header declares")
        if stream.read(1):
            raise FileFormatError(f"{source}: entry '{entry}' holds more than the {expected} "
                                  "bytes its header declares")
        return buf
    cap = limit if expected is None else expected
    buf = bytearray()
    while True:
        chunk = stream.read(min(CHUNK, cap + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
        if len(buf) > cap:
            what = (f"is larger than the {limit} bytes allowed" if expected is None else
                    f"holds more than the {expected} bytes its header declares")
            raise FileFormatError(f"{source}: entry '{entry}' {what}")
    if expected is not None and len(buf) != expected:
        raise FileFormatError(f"{source}: entry '{entry}' is truncated: {len(buf)} of the "
                              f"{expected} bytes its header declares")
    return buf


def read_exact(stream: IO[bytes], n: int, source: str, entry: str) -> bytes:
    """The next ``n`` bytes of ``stream`` (``n`` already capped), growing only as data
    arrives; FileFormatError naming ``source`` and ``entry`` when it ends first."""
    parts, got = [], 0
    while got < n:
        chunk = stream.read(min(CHUNK, n - got))
        if not chunk:
            raise FileFormatError(f"{source}: {entry} is truncated: {got} of {n} bytes")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _no_duplicates(source: str, entry: str) -> Any:
    def hook(pairs: list) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set = set()
            dup = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise FileFormatError(f"{source}: entry '{entry}' repeats the key {dup!r}")
        return out
    return hook


def json_depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), without recursion."""
    if not isinstance(value, (dict, list)):
        return 0
    depth, stack = 0, [(value, 1)]
    while stack:  # only containers are pushed: a list of a million numbers costs nothing
        item, level = stack.pop()
        depth = max(depth, level)
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
    return depth


def parse_json_object(data: bytes | bytearray, source: str, entry: str,
                      max_depth: int = 100) -> dict:
    """The JSON object in ``data``: FileFormatError naming ``source`` and ``entry`` when it is
    empty, not UTF-8, not JSON, repeats a key, nests deeper than ``max_depth`` or is not an
    object."""
    if not data.strip():
        raise FileFormatError(f"{source}: entry '{entry}' is empty; expected a JSON object")
    try:
        text = bytes(data).decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates(source, entry))
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{source}: entry '{entry}' is not UTF-8 text ({exc})") from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{source}: entry '{entry}' is not valid JSON ({exc})") from None
    except RecursionError:
        raise FileFormatError(f"{source}: entry '{entry}' nests deeper than {max_depth} "
                              "levels") from None
    if not isinstance(value, dict):
        raise FileFormatError(f"{source}: entry '{entry}' must hold a JSON object; got "
                              f"{_json_type(value)}")
    if json_depth(value) > max_depth:
        raise FileFormatError(f"{source}: entry '{entry}' nests deeper than {max_depth} "
                              "levels")
    return value


def _json_type(value: Any) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def expect_type(value: Any, types: type | tuple, source: str, where: str,
                what: str) -> Any:
    """``value`` if it is one of ``types`` (bool is not a number here), else FileFormatError:
    '<source>: <where> must be <what>; got <value>'."""
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in (
        types if isinstance(types, tuple) else (types,)))
    if not ok:
        shown = reprlib.repr(value)  # bounded: a huge list is not printed whole
        raise FileFormatError(f"{source}: {where} must be {what}; got {_json_type(value)} "
                              f"{shown}")
    return value


# While a model is rebuilt from a file, the zeros a layer is probed with (to infer shapes, for
# layers without compute_output_shape) are capped too: a crafted input shape would otherwise
# allocate gigabytes without declaring a single weight.
_PROBE_LIMIT: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar(
    "ember_probe_limit", default=None)


@contextlib.contextmanager
def limiting_probes(max_elements: int, source: str) -> Iterator[None]:
    """Within the block, ``check_probe`` refuses probes of more than ``max_elements``."""
    token = _PROBE_LIMIT.set((max_elements, source))
    try:
        yield
    finally:
        _PROBE_LIMIT.reset(token)


def check_probe(shape: tuple, owner: Any) -> None:
    """Raise FileFormatError if a loader's limit is active and ``shape`` exceeds it."""
    limit = _PROBE_LIMIT.get()
    if limit is None:
        return
    n = math.prod(1 if d is None else int(d) for d in shape)
    if n > limit[0]:
        raise FileFormatError(
            f"{limit[1]}: building {type(owner).__name__} '{getattr(owner, 'name', '?')}' "
            f"would run it on zeros of shape {tuple(shape)} ({n} values), more than the "
            f"{limit[0]} allowed while loading (ember.saving.limits.MAX_PROBE_ELEMENTS)")
