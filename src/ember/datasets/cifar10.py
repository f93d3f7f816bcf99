"""CIFAR-10: 60,000 32x32 colour images in 10 classes, as ``keras.datasets.cifar10``.

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.cifar10.load_data()
    x_train.shape, y_train.shape        # (50000, 32, 32, 3) uint8, (50000, 1) uint8
"""

from __future__ import annotations

import os

import numpy as np

from ember.datasets._cifar import channels_last, find_folder, load_batch

SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def load_data(path: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)): uint8 images (n, 32, 32, 3), uint8 labels
    (n, 1). ``path``: a folder holding ``cifar-10-batches-py/`` or ``cifar-10-python.tar.gz``
    (or the batch files themselves); else ``$EMBER_DATA_DIR``, the cache, the download."""
    folder = find_folder("cifar10.load_data", path, "cifar-10-batches-py",
                         "cifar-10-python.tar.gz", SHA256, "data_batch_1")
    parts = [load_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts])
    # uint8 labels for CIFAR-10 but int64 for CIFAR-100, as Keras returns them
    y_train = np.concatenate([y for _, y in parts]).astype(np.uint8).reshape(-1, 1)
    x_test, y_test = load_batch(folder / "test_batch")
    return ((channels_last(x_train), y_train),
            (channels_last(x_test), y_test.astype(np.uint8).reshape(-1, 1)))
