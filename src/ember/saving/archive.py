"""Opening an ``.ember`` zip without trusting it: the central directory's size and entry
count are read from the end record before ``zipfile`` parses anything; every entry's name,
compression, declared size and compression ratio are checked before one byte is inflated; and
reads stop as soon as an entry yields more than it declared.

Example:
    >>> import io, os, tempfile, warnings, zipfile
    >>> path = os.path.join(tempfile.mkdtemp(), "demo.ember")
    >>> warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is told to write
    >>> with zipfile.ZipFile(path, "w") as zf:
    ...     zf.writestr("config.json", "{}")
    ...     zf.writestr("config.json", "{}")
    >>> Archive(path, "load", {"config.json"})
    Traceback (most recent call last):
    ...
    ember.safe_io.FileFormatError: load: .../demo.ember holds the entry 'config.json' twice
"""

from __future__ import annotations

import zipfile
from typing import IO

from ember.safe_io import FileFormatError, open_regular, read_bounded
from ember.saving import limits

_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


class Archive:
    """A checked, open zip holding exactly the entries in ``allowed``; use as a context
    manager (or call ``close``)."""

    def __init__(self, path: str, who: str, allowed: set[str]) -> None:
        self.path = path
        self.who = who
        self._file, size = open_regular(path, who)
        self.size = size
        try:
            self._check_end_record(size)
            self._zip = zipfile.ZipFile(self._file)
            self.infos = {info.filename: info for info in self._checked_infos(allowed)}
        except zipfile.BadZipFile as exc:
            self._file.close()
            raise FileFormatError(f"{who}: {path} is not a valid .ember file (truncated or not "
                                  f"a zip: {exc})") from None
        except BaseException:
            self._file.close()
            raise

    def _check_end_record(self, size: int) -> None:
        # zipfile reads the whole central directory into Python objects: cap it first.
        end = zipfile._EndRecData(self._file)  # the end-of-directory record only
        if end is None:
            raise zipfile.BadZipFile(f"no end-of-archive record in {size} bytes")
        entries = end[zipfile._ECD_ENTRIES_TOTAL]
        directory = end[zipfile._ECD_SIZE]
        if entries > limits.MAX_ZIP_ENTRIES or directory > limits.MAX_CENTRAL_DIRECTORY_BYTES:
            raise FileFormatError(
                f"{self.who}: {self.path} lists {entries} entries in a {directory}-byte "
                f"directory; an .ember file holds 2 (at most {limits.MAX_ZIP_ENTRIES} entries "
                f"and {limits.MAX_CENTRAL_DIRECTORY_BYTES} bytes are read)")

    def _checked_infos(self, allowed: set[str]) -> list[zipfile.ZipInfo]:
        infos = self._zip.infolist()
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:
                raise FileFormatError(f"{self.who}: {self.path} holds the entry "
                                      f"'{info.filename}' twice")
            seen.add(info.filename)
        bad = sorted(seen - allowed)
        if bad:
            raise FileFormatError(f"{self.who}: {self.path} holds unexpected entries {bad[:5]} "
                                  f"(an .ember file holds only {sorted(allowed)}); refusing it")
        missing = sorted(allowed - seen)
        if missing:
            raise FileFormatError(f"{self.who}: {self.path} lacks {missing}; not a complete "
                                  ".ember file")
        for info in infos:
            where = f"{self.who}: {self.path}: entry '{info.filename}'"
            if info.flag_bits & 0x1:
                raise FileFormatError(f"{where} is encrypted")
            if info.compress_type not in _METHODS:
                raise FileFormatError(f"{where} uses zip compression method "
                                      f"{info.compress_type}; only stored and deflated "
                                      "entries are read")
            if info.header_offset + info.compress_size > self.size:
                raise FileFormatError(f"{where} declares {info.compress_size} bytes at offset "
                                      f"{info.header_offset}, past the end of the "
                                      f"{self.size}-byte file (truncated?)")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != \
                    info.file_size:
                raise FileFormatError(f"{where} is stored uncompressed but declares "
                                      f"{info.compress_size} stored and {info.file_size} "
                                      "uncompressed bytes")
            if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > max(
                    1 << 20, limits.MAX_COMPRESSION_RATIO * info.compress_size):
                raise FileFormatError(
                    f"{where} inflates {info.compress_size} bytes to {info.file_size} (more "
                    f"than {limits.MAX_COMPRESSION_RATIO} times): a zip bomb, refused before "
                    "inflating (ember.saving.limits.MAX_COMPRESSION_RATIO)")
        return infos

    def check_size(self, name: str, limit: int, cap_name: str) -> int:
        """The entry's declared uncompressed size, if within ``limit``."""
        size = self.infos[name].file_size
        if size > limit:
            raise FileFormatError(f"{self.who}: {self.path}: entry '{name}' declares {size} "
                                  f"bytes, more than the {limit} allowed (ember.saving.limits."
                                  f"{cap_name})")
        return size

    def backed(self, name: str) -> bool:
        """Whether the entry's declared size is bytes actually in the file (stored, checked
        against the file size), so a buffer of that size may be allocated up front."""
        return self.infos[name].compress_type == zipfile.ZIP_STORED

    def open(self, name: str) -> IO[bytes]:
        """A stream of the entry (zipfile stops it at the declared size and checks the CRC)."""
        return self._zip.open(name)

    def read(self, name: str, limit: int, cap_name: str) -> bytearray:
        """The whole entry, checked against ``limit`` from its header and while reading."""
        size = self.check_size(name, limit, cap_name)
        with self.open(name) as stream:
            return read_bounded(stream, limit, f"{self.who}: {self.path}", name,
                                expected=size, preallocate=self.backed(name))

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
