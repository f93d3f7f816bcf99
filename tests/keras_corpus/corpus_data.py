"""Local stand-ins for the corpus programs' downloads: a small MNIST subset read with plain
NumPy from $EMBER_DATA_DIR/mnist (the same bytes for ember and for Keras), and seeded
synthetic arrays. Not part of any program's original code."""

from __future__ import annotations

import gzip
import os

import numpy as np


def _idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_subset(n_train: int = 2000, n_test: int = 500) -> tuple:
    """``keras.datasets.mnist.load_data()``'s tuples, cut to the first n samples."""
    root = os.path.join(os.environ.get("EMBER_DATA_DIR", "/work/shared/data"), "mnist")
    x_train = _idx(os.path.join(root, "train-images-idx3-ubyte.gz"))[:n_train]
    y_train = _idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))[:n_train]
    x_test = _idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))[:n_test]
    y_test = _idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz"))[:n_test]
    return (x_train, y_train), (x_test, y_test)


def mnist_available() -> bool:
    root = os.path.join(os.environ.get("EMBER_DATA_DIR", "/work/shared/data"), "mnist")
    return os.path.exists(os.path.join(root, "train-images-idx3-ubyte.gz"))
