"""Timings for two fixes: ``Hashing`` on 100k strings (each distinct value hashed once, vs the
per-element loop it replaced, reproduced here as ``fingerprint64`` per element) and loading an
LSTM ``.keras`` file (initializers skipped while a loader fills the weights).

Run alone on a quiet machine: python -m benchmarks.hashing_and_keras_load
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

import ember as em
from ember.layers.hashing import fingerprint64


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def hashing(n: int = 100_000, bins: int = 1000) -> None:
    rng = np.random.default_rng(0)
    vocab = np.array([f"word{i}" for i in range(5000)], dtype=object)
    cases = {"5k distinct": vocab[rng.integers(0, 5000, n)],
             f"{n // 1000}k distinct": np.array([f"token-{i}" for i in range(n)], dtype=object)}
    layer = em.layers.Hashing(num_bins=bins)
    for name, words in cases.items():
        x = words.reshape(-1, 1)
        loop = _best(lambda w=words: [fingerprint64(v.encode()) % bins for v in w.tolist()])
        vectorised = _best(lambda x=x: layer(x))
        print(f"Hashing, {n} strings, {name}: per-element loop {loop:.3f} s, "
              f"distinct values once {vectorised:.3f} s")


def lstm_keras_load(units: int = 1024) -> None:
    path = os.path.join(tempfile.mkdtemp(), "lstm.keras")
    em.Sequential([em.Input((28, 28)), em.layers.LSTM(units), em.layers.Dense(10)]).save(path)
    print(f"load_model of an LSTM({units}) .keras file: "
          f"{_best(lambda: em.models.load_model(path)):.3f} s")


if __name__ == "__main__":
    hashing()
    lstm_keras_load()
