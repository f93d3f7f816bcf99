"""CIFAR's published python batches: pickled dicts ``{b"data": uint8 (n, 3072),
b"labels": [...]}``, read with ``_safe_pickle`` (nothing in the file is executed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ember.datasets import _safe_pickle
from ember.datasets._remote import locate

ORIGIN = "https://www.cs.toronto.edu/~kriz/"


def load_batch(path: str | os.PathLike, label_key: str = "labels"
               ) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (n, 3, 32, 32), int64 labels (n,)) from one batch file."""
    try:
        raw = _safe_pickle.loads(Path(path).read_bytes())
    except _safe_pickle.UnsafePickleError as e:
        raise ValueError(f"{path}: not a CIFAR batch ({e})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not a CIFAR batch (a {type(raw).__name__}, not a dict)")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in raw.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{path}: a CIFAR batch needs 'data' and {label_key!r}; it has "
                         f"{sorted(batch)}")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch[label_key])
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path}: expected data of shape (n, 3072) and n labels; got "
                         f"{data.shape} and {len(labels)} labels")
    return data.astype(np.uint8).reshape(-1, 3, 32, 32), labels.astype(np.int64)


def find_folder(where: str, path: str | os.PathLike | None, folder: str, archive: str,
                file_hash: str, marker: str) -> Path:
    """The folder holding the batch files: ``path`` itself, ``<path>/<folder>``, or the
    archive unpacked (from ``path``, ``$EMBER_DATA_DIR`` or the cache / download)."""
    if path is not None and (Path(path) / marker).is_file():
        return Path(path)
    found = locate(where, path, [folder, archive], ORIGIN + archive, file_hash, extract=True)
    for candidate in (found, found / folder):
        if (candidate / marker).is_file():
            return candidate
    raise FileNotFoundError(f"{where}: {found} does not hold {folder}/{marker}")


def channels_last(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
