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


def creditcard_csv(n: int = 4000, seed: int = 0) -> str:
    """A CSV shaped like Kaggle's creditcard.csv (header, 30 quoted float features, a quoted
    0/1 class with ~2 % positives that depend on the features), written to a temporary file;
    returns its path."""
    import tempfile

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 30)).astype("float32")
    x[:, 29] = rng.exponential(80.0, size=n)  # "Amount"
    score = x[:, :5] @ np.array([1.5, -1.0, 1.2, 0.8, -1.3]) + rng.normal(0, 0.5, n)
    y = (score > np.quantile(score, 0.98)).astype(int)
    names = ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount", "Class"]
    path = os.path.join(tempfile.mkdtemp(), "creditcard.csv")
    with open(path, "w") as f:
        f.write(",".join(f'"{c}"' for c in names) + "\n")
        for row, label in zip(x, y):
            f.write(",".join(f"{v:.6f}" for v in row) + f',"{label}"\n')
    return path


def auto_mpg_path(n: int = 398, seed: int = 0) -> str:
    """A file in the UCI auto-mpg.data layout (space-separated, '?' for a missing horsepower,
    the car name after a tab), with MPG falling with weight and horsepower; returns its path."""
    import tempfile

    rng = np.random.default_rng(seed)
    cyl = rng.choice([4, 6, 8], size=n, p=[0.5, 0.25, 0.25])
    disp = cyl * 40 + rng.normal(0, 15, n)
    hp = cyl * 15 + rng.normal(20, 10, n)
    weight = 1500 + cyl * 300 + rng.normal(0, 200, n)
    accel = 20 - cyl * 0.6 + rng.normal(0, 1.5, n)
    year = rng.integers(70, 83, n)
    origin = rng.choice([1, 2, 3], size=n, p=[0.6, 0.2, 0.2])
    mpg = 46 - 0.0055 * weight - 0.05 * hp + 0.6 * (year - 70) + rng.normal(0, 2, n)
    path = os.path.join(tempfile.mkdtemp(), "auto-mpg.data")
    with open(path, "w") as f:
        for i in range(n):
            horse = "?" if i % 66 == 5 else f"{hp[i]:.1f}"
            f.write(f"{mpg[i]:.1f}   {cyl[i]}   {disp[i]:.1f}      {horse}      {weight[i]:.1f}"
                    f"      {accel[i]:.1f}   {year[i]}  {origin[i]}\t\"car {i}\"\n")
    return path


def forda_tsv(n: int, seed: int) -> str:
    """A file in the UCR FordA TSV layout (label -1/1, then 176 z-normalised values per
    row; class 1 carries a faster oscillation), written to a temporary file; returns its
    path."""
    import tempfile

    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=n)
    t = np.linspace(0, 8 * np.pi, 176)
    freq = np.where(y == 1, 1.6, 1.0)[:, None]
    x = np.sin(freq * t[None, :] + rng.uniform(0, 2 * np.pi, (n, 1))) + rng.normal(0, 0.6,
                                                                                 (n, 176))
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    path = os.path.join(tempfile.mkdtemp(), f"FordA_{seed}.tsv")
    np.savetxt(path, np.column_stack([y, x]), delimiter="\t", fmt="%.6f")
    return path
