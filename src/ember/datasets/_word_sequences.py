"""What IMDB and Reuters share: word-index sequences shuffled, shifted by ``index_from``,
started with ``start_char``, filtered by ``maxlen`` and cut to ``num_words`` exactly as Keras'
loaders do (the same ``RandomState(seed)`` shuffles, the same rules)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ember.datasets import _safe_pickle
from ember.datasets._remote import KERAS_ORIGIN, locate


def read_npz(where: str, path: Any, fname: str, file_hash: str) -> dict[str, np.ndarray]:
    found = locate(where, None if path in (None, fname) else path, [fname],
                   KERAS_ORIGIN + fname, file_hash)
    try:
        return _safe_pickle.load_npz(found)
    except (_safe_pickle.UnsafePickleError, OSError, ValueError) as e:
        raise ValueError(f"{where}: cannot read {found}: {e}") from None


def encode(xs: list, start_char: int | None, index_from: int) -> list[list[int]]:
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(maxlen: int, xs: list, labels: np.ndarray) -> tuple[list, np.ndarray]:
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], labels[keep]


def cut_vocabulary(xs: list, num_words: int | None, skip_top: int,
                   oov_char: int | None) -> list[list[int]]:
    if not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_object_array(xs: list) -> np.ndarray:
    out = np.empty(len(xs), dtype=object)
    for i, x in enumerate(xs):
        out[i] = x
    return out


def shuffled(rng: np.random.RandomState, x: np.ndarray, y: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def word_index(where: str, path: Any, fname: str, file_hash: str) -> dict[str, int]:
    found = locate(where, None if path in (None, fname) else path, [fname],
                   KERAS_ORIGIN + fname, file_hash)
    with open(os.fspath(found), encoding="utf8") as f:
        return json.load(f)
