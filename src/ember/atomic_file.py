"""Replacing a file so that a reader only ever sees the old content or the new, whatever
happens to the writer.

``atomic_write(path, data)`` writes a hidden part-file beside ``path`` (``.<name>.<random>.part``),
fsyncs it, renames it over ``path`` and fsyncs the folder, so the rename itself survives a power
cut. The part-file is locked (``flock``) while it is written; a part-file whose lock nobody holds
was left by a writer that was killed, and the next save to that path deletes it. A save that
fails removes its own part-file.

Permissions: a replaced file keeps its mode; a new file is created with mode 0o666 and the
kernel applies the process umask (and a default ACL) itself, as for ``open(path, "w")``. The
umask is never read by setting it (``os.umask`` changes it for every thread at once).

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(folder, "a.txt"), b"hello")
    >>> os.listdir(folder), open(os.path.join(folder, "a.txt"), "rb").read()
    (['a.txt'], b'hello')
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, so no clean-up of stale parts
    fcntl = None

_SUFFIX = ".part"


def _part_prefix(path: str) -> str:
    return "." + os.path.basename(path)[:200] + "."


def part_files(path: str) -> list[str]:
    """The part-files (live or stale) beside ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = _part_prefix(path)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names
            if n.startswith(prefix) and n.endswith(_SUFFIX) and len(n) == len(prefix) + 21]


def remove_stale_parts(path: str) -> int:
    """Delete the part-files beside ``path`` that no live writer holds; returns how many."""
    if fcntl is None:
        return 0
    removed = 0
    for part in part_files(path):
        try:
            fd = os.open(part, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a writer holds it: live
            os.close(fd)
            continue
        try:  # still the same file under that name (not already removed by another cleaner)
            if os.stat(part, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(part)
                removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _create_part(path: str) -> tuple[int, str]:
    """A new, locked part-file beside ``path``: (descriptor, name)."""
    folder = os.path.dirname(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    while True:
        part = os.path.join(folder, f"{_part_prefix(path)}{secrets.token_hex(8)}{_SUFFIX}")
        fd = os.open(part, flags, 0o666)  # the kernel applies the umask
        if fcntl is None:
            return fd, part
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: cleaners cannot lock it either
            return fd, part
        try:  # a cleaner may have taken it between the open and the lock: start again
            if os.stat(part, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                return fd, part
        except FileNotFoundError:
            pass
        os.close(fd)


def _fsync_folder(folder: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows cannot open folders
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: str | os.PathLike, mode: int | None = None) -> Iterator[tuple[IO, str]]:
    """``with replacing(path) as (file, part):`` write ``file`` (the locked part-file, whose
    name is ``part``); when the block ends without an error the part-file is fsynced, renamed
    over ``path`` and the folder fsynced; on an error it is removed and ``path`` is untouched.
    ``mode`` sets the permissions (default: a replaced file's, or the umask's for a new one)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_parts(path)
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            pass
    fd, part = _create_part(path)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, part
            f.flush()
            os.fsync(f.fileno())
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            # renamed while still locked: no cleaner can take it for a stale part meanwhile
            os.replace(part, path)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Replace ``path`` with ``data`` (bytes, or an iterable of byte chunks) atomically."""
    with replacing(path) as (f, _):
        for chunk in [data] if isinstance(data, (bytes, bytearray, memoryview)) else data:
            f.write(chunk)
