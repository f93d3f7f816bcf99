"""The regression sets published as ``{x, y}`` npz files, split as Keras splits them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.datasets._remote import KERAS_ORIGIN, locate


def load_xy(where: str, path: Any, fname: str, file_hash: str) -> tuple[np.ndarray, np.ndarray]:
    found = locate(where, None if path in (None, fname) else path, [fname],
                   KERAS_ORIGIN + fname, file_hash)
    with np.load(found, allow_pickle=False) as f:
        if "x" not in f.files or "y" not in f.files:
            raise ValueError(f"{where}: {found} needs arrays 'x' and 'y'; it has {f.files}")
        return f["x"], f["y"]


def split(where: str, x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> tuple:
    if not 0 <= test_split < 1:
        raise ValueError(f"{where}: test_split must be in [0, 1); got {test_split}")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
