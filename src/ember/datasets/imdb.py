"""IMDB movie reviews (25,000 train, 25,000 test) as word-index sequences with 0/1 sentiment
labels, as ``keras.datasets.imdb`` (the same arguments, the same arrays for the same file).

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.imdb.load_data(num_words=10000)
    x = em.utils.pad_sequences(x_train, maxlen=200)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.datasets import _word_sequences as ws

SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path: Any = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, **kwargs: Any
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)); x are object arrays of int lists.

    Word ``i`` of the vocabulary (1 = most frequent) is ``i + index_from``; each review
    starts with ``start_char``; words outside ``[skip_top, num_words)`` become ``oov_char``
    (or are dropped when it is None); reviews of ``maxlen`` words or more are dropped.
    ``path``: ``imdb.npz`` (looked for in ``$EMBER_DATA_DIR`` and the cache) or a path to it.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unexpected arguments {sorted(kwargs)}")
    f = ws.read_npz("imdb.load_data", path, "imdb.npz", SHA256)
    rng = np.random.RandomState(seed)
    x_train, y_train = ws.shuffled(rng, f["x_train"], f["y_train"])
    x_test, y_test = ws.shuffled(rng, f["x_test"], f["y_test"])
    x_train, x_test = (ws.encode(list(x), start_char, index_from) for x in (x_train, x_test))
    if maxlen:
        x_train, y_train = ws.drop_long(maxlen, x_train, y_train)
        x_test, y_test = ws.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; "
                             "increase maxlen")
    xs = ws.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    n = len(x_train)
    return ((ws.as_object_array(xs[:n]), labels[:n]), (ws.as_object_array(xs[n:]), labels[n:]))


def get_word_index(path: Any = "imdb_word_index.json") -> dict[str, int]:
    """{word: rank} (1 = most frequent; add ``index_from`` to match ``load_data``'s ids)."""
    return ws.word_index("imdb.get_word_index", path, "imdb_word_index.json", INDEX_MD5)
