"""Weight files for the applications: Keras' published files, fetched once into a cache (or
found in Keras' own ``~/.keras/models``), checked by digest; and loading a weights file into a
model in either of Keras' layouts (Keras 3 ``.weights.h5``, or the legacy by-layer-name h5 the
published ImageNet files use).

Example:
    >>> import os
    >>> os.path.basename(cache_dir())
    'models'
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

KERAS_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
MAX_WEIGHTS_DOWNLOAD = 1 << 30  # VGG19 with its top is 575 MB


def cache_dir() -> Path:
    """``$EMBER_HOME/models`` (``~/.ember/models`` by default)."""
    home = os.environ.get("EMBER_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".ember") / "models"


def _digest(path: Path) -> str:
    algo = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            algo.update(chunk)
    return algo.hexdigest()


def get_weights_file(filename: str, origin: str, md5: str | None) -> Path:
    """The cached file (downloaded from ``origin + filename`` the first time; its md5, Keras'
    published ``file_hash``, checked). Offline it fails at once, saying where to put the file."""
    from ember.datasets import _download

    candidates = [cache_dir() / filename, Path.home() / ".keras" / "models" / filename]
    for path in candidates:
        if path.is_file() and (md5 is None or _digest(path) == md5):
            return path

    def check(part: Path, url: str) -> None:
        if md5 is not None and _digest(part) != md5:
            raise ValueError(f"{url}: the downloaded file's md5 differs from {md5}")

    saved = _download.MAX_DOWNLOAD_BYTES
    _download.MAX_DOWNLOAD_BYTES = max(saved, MAX_WEIGHTS_DOWNLOAD)
    try:
        _download.fetch(filename, [origin], candidates[0], check)
    except _download.DownloadError as exc:
        raise _download.DownloadError(
            f"cannot get {filename}: {exc}\nWithout a network, download "
            f"{origin}{filename} elsewhere and put it at {candidates[0]}, or pass "
            "weights='path/to/file.h5'") from None
    finally:
        _download.MAX_DOWNLOAD_BYTES = saved
    return candidates[0]


def load_weights_file(model: Any, path: str | os.PathLike) -> None:
    """Load a Keras weights file into an application model, either layout."""
    from ember.interop.keras_h5 import require_h5py

    h5py = require_h5py("load_weights")
    with h5py.File(path, "r") as f:
        legacy = "layer_names" in f.attrs
    if not legacy:
        model.load_weights(os.fspath(path))
        return
    from ember.interop.legacy_h5 import load_legacy_h5

    load_legacy_h5(model, path)
