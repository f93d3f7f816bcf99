"""``StringLookup`` and ``IntegerLookup``: map tokens to indices from a vocabulary (given, or
learned by ``adapt``), as Keras' layers of the same names; ``output_mode`` int / one_hot /
multi_hot / count / tf_idf, ``invert=True`` maps indices back to tokens.

Example:
    >>> import numpy as np, ember as em
    >>> lookup = em.layers.StringLookup(vocabulary=["a", "b", "c"])
    >>> lookup(np.array([["a", "c", "z"]])).numpy().tolist()
    [[1, 3, 0]]
    >>> lookup.get_vocabulary()
    ['[UNK]', 'a', 'b', 'c']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.layers._index_lookup import IndexLookup
from ember.serialization import register


@register()
class StringLookup(IndexLookup):
    """Strings -> indices. OOV strings map to index 0 (``oov_token`` "[UNK]"), or 1 when a
    ``mask_token`` takes 0 (int mode). Bytes are decoded with ``encoding``."""

    reads_strings = True  # fit and predict let text through to it

    _kind = "StringLookup"

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: str | None = None, oov_token: str = "[UNK]",
                 vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False,
                 sparse: bool = False, encoding: str = "utf-8", **kwargs: Any) -> None:
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens,
                         **kwargs)

    def _token(self, value: Any) -> str:
        if isinstance(value, bytes):
            return value.decode(self.encoding)
        return value if isinstance(value, str) else str(value)

    def _sort_key(self, token: str) -> bytes:
        return token.encode("utf-8")  # Keras compares the UTF-8 bytes

    def get_config(self) -> dict:
        return {**super().get_config(), "encoding": self.encoding}


@register()
class IntegerLookup(IndexLookup):
    """Integers -> indices. OOV integers map to the OOV index (``oov_token`` -1); with
    several OOV indices an integer goes to ``oov + value % num_oov_indices`` (Keras'
    floormod)."""

    _kind = "IntegerLookup"

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1,
                 mask_token: int | None = None, oov_token: int = -1, vocabulary: Any = None,
                 vocabulary_dtype: str = "int64", idf_weights: Any = None,
                 invert: bool = False, output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, **kwargs: Any) -> None:
        if vocabulary is not None:
            vocab = np.asarray(vocabulary)
            if vocab.dtype.kind not in "iu":
                raise ValueError(f"IntegerLookup: the vocabulary must be integers; got "
                                 f"dtype {vocab.dtype}")
            if (vocab < 0).any() and mask_token is None:
                pass  # negative vocabulary entries are allowed when not the OOV token
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens,
                         **kwargs)

    def _hash_oov_ok(self) -> bool:
        return True

    def _oov_bucket(self, token: int) -> int:
        return int(token) % self.num_oov_indices if self.num_oov_indices > 1 else 0

    def _token(self, value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"IntegerLookup: expected integer tokens; got {value!r}") from None
