"""Finding a named data set's file: a folder or file the caller names, ``$EMBER_DATA_DIR``,
then ``get_file`` (the cache, else a download checked against the published hash)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ember.utils import file_utils

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def locate(where: str, path: str | os.PathLike | None, names: Sequence[str], origin: str,
           file_hash: str | None, extract: bool = False) -> Path:
    """The first of ``names`` (file or folder names, the preferred first) found in ``path``
    (a folder, or the file itself) or ``$EMBER_DATA_DIR``; else ``file_utils.get_file(names[-1])``,
    whose origin URL and hash describe the published archive."""
    roots = []
    if path is not None:
        given = Path(path).expanduser()
        if given.is_file():
            return _unpack(given, extract)
        if not given.is_dir():
            raise FileNotFoundError(f"{where}: path {os.fspath(path)!r} is neither a file "
                                    "nor a folder")
        roots.append(given)
    env = os.environ.get("EMBER_DATA_DIR")
    if env:
        roots.append(Path(env).expanduser())
    for root in roots:
        for name in names:
            if (root / name).exists():
                return _unpack(root / name, extract)
    try:
        return Path(file_utils.get_file(names[-1], origin, file_hash=file_hash, extract=extract))
    except OSError as e:
        raise type(e)(f"{where}: {e}") from None


def _unpack(found: Path, extract: bool) -> Path:
    if extract and found.is_file():
        return Path(file_utils.get_file(str(found.resolve()), extract=True))
    return found
