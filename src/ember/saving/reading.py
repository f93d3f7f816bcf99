"""Opening a saved file in checked steps: the config and the tensor index first (small, capped),
the tensor data only when the caller has checked the index against the model.

Example:
    >>> import ember as em, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.ember")
    >>> em.Sequential([em.layers.Dense(2, input_shape=(3,))]).save(path)
    >>> with open_weights_file(path, "load") as f:
    ...     f.config["model"]["class_name"], sorted(f.index.shapes().values())
    ('Sequential', [(2,), (3, 2)])
"""

from __future__ import annotations

import contextlib
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

from ember.safe_io import FileFormatError, open_regular, parse_json_object
from ember.saving import limits
from ember.saving.archive import Archive
from ember.saving.tensor_file import TensorIndex, read_data, read_index

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
ALLOWED = {CONFIG_NAME, WEIGHTS_NAME}


@contextlib.contextmanager
def _translated(source: str) -> Iterator[None]:
    """Turn the errors of a damaged stream (zipfile, zlib) into one FileFormatError."""
    try:
        yield
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, struct.error) as exc:
        raise FileFormatError(f"{source}: damaged data ({exc})") from None


class WeightsFile:
    """An open ``.ember`` or ``.safetensors`` file: ``config`` (empty for .safetensors),
    ``index`` (checked; no data read yet) and ``read()`` for the arrays."""

    def __init__(self, path: str, who: str) -> None:
        self.path = path
        self.who = who
        self.config: dict = {}
        self._archive = None
        self._stream = None
        self._preallocate = True
        try:
            if path.endswith(".safetensors"):
                self._open_safetensors()
            else:
                self._open_ember()
        except BaseException:
            self.close()
            raise

    def _open_ember(self) -> None:
        archive = self._archive = Archive(self.path, self.who, ALLOWED)
        source = f"{self.who}: {self.path}"
        with _translated(f"{source}: entry '{CONFIG_NAME}'"):
            raw = archive.read(CONFIG_NAME, limits.MAX_CONFIG_BYTES, "MAX_CONFIG_BYTES")
        self.config = parse_json_object(raw, source, CONFIG_NAME, limits.MAX_JSON_DEPTH)
        total = archive.check_size(WEIGHTS_NAME, limits.MAX_WEIGHTS_BYTES, "MAX_WEIGHTS_BYTES")
        self._preallocate = archive.backed(WEIGHTS_NAME)
        self.source = f"{source}: entry '{WEIGHTS_NAME}'"
        with _translated(self.source):
            self._stream = archive.open(WEIGHTS_NAME)
            self.index: TensorIndex = read_index(self._stream, total, self.source)

    def _open_safetensors(self) -> None:
        self._stream, total = open_regular(self.path, self.who)
        self.source = f"{self.who}: {self.path}"
        self.index = read_index(self._stream, total, self.source)

    def read(self) -> dict[str, np.ndarray]:
        """The tensors, by name (read once)."""
        with _translated(self.source):
            return read_data(self._stream, self.index, self._preallocate)

    def close(self) -> None:
        for handle in (self._stream, self._archive):
            if handle is not None:
                with contextlib.suppress(Exception):
                    handle.close()


@contextlib.contextmanager
def open_weights_file(path: str | os.PathLike, who: str) -> Iterator[WeightsFile]:
    """A ``WeightsFile`` for ``path``, closed after the block."""
    f = WeightsFile(os.fspath(path), who)
    try:
        yield f
    finally:
        f.close()
