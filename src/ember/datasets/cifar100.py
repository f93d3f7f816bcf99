"""CIFAR-100: 60,000 32x32 colour images in 100 fine / 20 coarse classes, as
``keras.datasets.cifar100``.

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.cifar100.load_data(label_mode="coarse")
"""

from __future__ import annotations

import os

import numpy as np

from ember.datasets._cifar import channels_last, find_folder, load_batch

SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode: str = "fine", path: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)): uint8 images (n, 32, 32, 3), int64 labels
    (n, 1) (as Keras), ``label_mode`` "fine" (100 classes) or "coarse" (20 superclasses)."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse'; got "
                         f"{label_mode!r}")
    folder = find_folder("cifar100.load_data", path, "cifar-100-python",
                         "cifar-100-python.tar.gz", SHA256, "train")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(folder / "train", key)
    x_test, y_test = load_batch(folder / "test", key)
    return ((channels_last(x_train), y_train.reshape(-1, 1)),
            (channels_last(x_test), y_test.reshape(-1, 1)))
