"""Reuters newswires (11,228) as word-index sequences in 46 topics, as
``keras.datasets.reuters``.

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.reuters.load_data(num_words=10000)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.datasets import _word_sequences as ws

SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path: Any = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)), split after shuffling at ``1 - test_split``;
    the arguments mean what they mean for ``imdb.load_data``."""
    if not 0 <= test_split < 1:
        raise ValueError(f"reuters.load_data: test_split must be in [0, 1); got {test_split}")
    f = ws.read_npz("reuters.load_data", path, "reuters.npz", SHA256)
    xs, labels = ws.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    if start_char is not None or index_from:
        xs = ws.encode(list(xs), start_char, index_from)
    else:
        xs = [list(x) for x in xs]
    if maxlen:
        xs, labels = ws.drop_long(maxlen, xs, labels)
    xs = ws.cut_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((ws.as_object_array(xs[:idx]), np.array(labels[:idx])),
            (ws.as_object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path: Any = "reuters_word_index.json") -> dict[str, int]:
    """{word: rank} for the Reuters vocabulary."""
    return ws.word_index("reuters.get_word_index", path, "reuters_word_index.json", INDEX_MD5)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES
