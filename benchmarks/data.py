"""MNIST for the benchmark children: found once, decoded once by the parent, read as .npy.

The parent process resolves the MNIST folder, loads it with ember's public loader
(``em.datasets.mnist.load_data``) and writes the images as float32 in [0, 1] and the labels as
uint8, .npy files in a scratch folder. Every child (whatever its framework) then reads the same
bytes with ``np.load``, so data loading is identical across contenders, costs no framework
import, stays outside the timed region, and leaves no conversion transient behind to mask the
contenders' own peak memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
_TRAIN_IMAGES = "train-images-idx3-ubyte"
NAMES = ("x_train", "y_train", "x_test", "y_test")


def find_mnist(data: str | os.PathLike | None = None) -> Path | None:
    """The folder holding the MNIST idx files, or None.

    Looked for in ``data`` (then ``data/mnist``), else ``$EMBER_DATA_DIR`` (then its
    ``mnist``), else ``../shared/data/mnist`` next to the repository. Nothing is downloaded.
    """
    roots: list[Path] = []
    if data is not None:
        roots.append(Path(data))
    elif os.environ.get("EMBER_DATA_DIR"):
        roots.append(Path(os.environ["EMBER_DATA_DIR"]))
    else:
        roots.append(REPO.parent / "shared" / "data" / "mnist")
    for root in roots:
        for cand in (root, root / "mnist"):
            if any((cand / (_TRAIN_IMAGES + ext)).exists() for ext in (".gz", "")):
                return cand
    return None


def cache_mnist(source: Path, dest: Path, n_train: int | None = None,
                n_test: int | None = None) -> dict[str, int]:
    """Decode MNIST from ``source`` with ember's loader and save the (first ``n_*``) uint8
    arrays as ``dest/<name>.npy``. Returns the number of train and test images written."""
    import ember as em

    (x, y), (xt, yt) = em.datasets.mnist.load_data(source)
    x, y = x[:n_train], y[:n_train]
    xt, yt = xt[:n_test], yt[:n_test]
    dest.mkdir(parents=True, exist_ok=True)
    for name, arr in zip(NAMES, (x, y, xt, yt)):
        if name.startswith("x"):
            arr = arr.astype(np.float32)
            arr /= np.float32(255)
        np.save(dest / f"{name}.npy", np.ascontiguousarray(arr))
    return {"train": int(len(x)), "test": int(len(xt))}


def load_cached(folder: str | os.PathLike, n_train: int | None = None,
                n_test: int | None = None) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)`` as written by ``cache_mnist``: images float32 in
    [0, 1] of shape (N, 28, 28), labels uint8; the first ``n_train`` / ``n_test`` samples
    when given (views, no copy)."""
    folder = Path(folder)
    return tuple(np.load(folder / f"{name}.npy")[:limit]
                 for name, limit in zip(NAMES, (n_train, n_train, n_test, n_test)))
