"""The vocabulary table behind ``StringLookup``, ``IntegerLookup`` and ``TextVectorization``,
with Keras' rules (keras/src/layers/preprocessing/index_lookup.py), on NumPy.

Index layout: ``[mask (int mode only, when mask_token is set)] [OOV indices] [vocabulary]``.
``adapt`` counts tokens and orders the vocabulary by count, descending, ties broken by the
token, descending (Keras' ``np.lexsort((tokens, counts))[::-1]``), keeping
``max_tokens - (number of special indices)``. TF-IDF weights are
``log(1 + documents / (1 + documents containing the token))``, the OOV slot getting their mean.
These layers preprocess data: they run on NumPy arrays and return constant tensors (no
gradient flows through a lookup).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from ember.autograd.tensor import wrap_array
from ember.layers._raw_inputs import RawInputs, as_array
from ember.layers.base import Layer

MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(RawInputs, Layer):
    """Tokens -> indices (or multi-hot / count / TF-IDF vectors); see the module docstring."""

    _kind = "IndexLookup"

    def __init__(self, max_tokens: int | None, num_oov_indices: int, mask_token: Any,
                 oov_token: Any, vocabulary: Any = None, idf_weights: Any = None,
                 invert: bool = False, output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = self._kind
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in MODES:
            raise ValueError(f"{name}: output_mode must be one of {', '.join(MODES)}; got "
                             f"{output_mode!r}")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens <= 1):
            raise ValueError(f"{name}: max_tokens must be None or an integer above 1; got "
                             f"{max_tokens!r}")
        if num_oov_indices not in (0, 1) and not self._hash_oov_ok():
            raise ValueError(f"{name}: num_oov_indices must be 0 or 1 for strings (Keras "
                             f"spreads more with FarmHash, not available here); got "
                             f"{num_oov_indices}")
        if num_oov_indices < 0:
            raise ValueError(f"{name}: num_oov_indices must be >= 0; got {num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError(f"{name}: invert=True needs output_mode='int'; got "
                             f"{output_mode!r}")
        if sparse:
            raise ValueError(f"{name}: sparse outputs are not supported by ember")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{name}: idf_weights are only for output_mode='tf_idf'")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.pad_to_max_tokens, self.sparse = bool(pad_to_max_tokens), False
        self._vocab: list = []
        self._index: dict = {}
        self.idf_weights: np.ndarray | None = None
        self._has_input_vocabulary = vocabulary is not None
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    def _hash_oov_ok(self) -> bool:
        return False

    # ------------------------------------------------------------------ layout
    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """Vocabulary entries plus the mask and OOV indices."""
        return len(self._vocab) + self._token_start()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        specials = []
        if self.mask_token is not None and self.output_mode == "int":
            specials.append(self.mask_token)
        specials += [self.oov_token] * self.num_oov_indices
        return specials + list(self._vocab) if include_special_tokens else list(self._vocab)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (a list, array, or a text file with one token per line)."""
        name = self._kind
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf8") as f:
                vocabulary = f.read().splitlines()
        tokens = [self._token(v) for v in np.asarray(vocabulary).reshape(-1).tolist()]
        specials = {self.mask_token, self.oov_token} - {None}
        # a vocabulary may start with the special tokens (get_vocabulary's output): drop them
        while tokens and tokens[0] in specials:
            tokens = tokens[1:]
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, c in Counter(tokens).items() if c > 1)
            raise ValueError(f"{name}: the vocabulary has the token {dup!r} more than once")
        if specials & set(tokens):
            raise ValueError(f"{name}: the vocabulary contains a special token "
                             f"({sorted(map(str, specials & set(tokens)))}) past its start")
        if self.max_tokens is not None and len(tokens) + self._token_start() > self.max_tokens:
            raise ValueError(f"{name}: a vocabulary of {len(tokens)} tokens plus "
                             f"{self._token_start()} special indices exceeds max_tokens="
                             f"{self.max_tokens}")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{name}: output_mode='tf_idf' with a given vocabulary "
                                 "needs idf_weights")
            idf = np.asarray(idf_weights, dtype=np.float32).reshape(-1)
            if len(idf) == len(tokens):
                idf = np.concatenate([[idf.mean()] * self._token_start(), idf])
            if len(idf) != len(tokens) + self._token_start():
                raise ValueError(f"{name}: got {len(idf)} idf_weights for {len(tokens)} tokens")
            self.idf_weights = idf.astype(np.float32)
        self._set(tokens)
        self._has_input_vocabulary = True

    def _set(self, tokens: list) -> None:
        self._vocab = tokens
        start = self._token_start()
        self._index = {t: i + start for i, t in enumerate(tokens)}

    # ------------------------------------------------------------------ adapt
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and document frequencies) from ``data``: an array of tokens
        (one row = one document), or an iterable of such batches."""
        if self._has_input_vocabulary:
            raise ValueError(f"{self._kind}: cannot adapt a layer given a fixed vocabulary")
        counts: Counter = Counter()
        docs: Counter = Counter()
        n_docs = 0
        for batch in _batches(data, steps):
            for row in self._documents(batch):
                tokens = [self._token(t) for t in row]
                counts.update(tokens)
                if self.output_mode == "tf_idf":
                    docs.update(set(tokens))
                    n_docs += 1
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ordered = self._order(counts)
        if self.max_tokens is not None:
            ordered = ordered[:self.max_tokens - self._token_start()]
        self._set(ordered)
        if self.output_mode == "tf_idf":
            df = np.array([docs[t] for t in ordered], dtype=np.float64)
            idf = np.log(1 + n_docs / (1 + df)).astype(np.float32)
            mean = idf.mean() if idf.size else np.float32(0)
            idf = np.concatenate([np.full(self._token_start(), mean, np.float32), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - len(idf)))
            self.idf_weights = idf

    def _order(self, counts: Counter) -> list:
        if not counts:
            return []
        tokens = list(counts)
        keys = np.array([self._sort_key(t) for t in tokens])
        order = np.lexsort((keys, np.array([counts[t] for t in tokens])))[::-1]
        return [tokens[i] for i in order]

    def _documents(self, batch: Any) -> list:
        """Rows of tokens: a 1-D batch is one document (Keras' rule)."""
        arr = batch if isinstance(batch, list) and batch and isinstance(batch[0], list) \
            else np.asarray(batch, dtype=object)
        if isinstance(arr, list):
            return arr
        if arr.ndim == 0:
            return [[arr.item()]]
        if arr.ndim == 1:
            return [arr.tolist()]
        return [list(r) for r in arr.reshape(len(arr), -1)]

    # ------------------------------------------------------------------ lookup
    def lookup(self, tokens: Any) -> np.ndarray:
        """Indices (int64) of a NumPy array of tokens, same shape."""
        arr = np.asarray(tokens, dtype=object)
        flat = [self._token(t) for t in arr.reshape(-1).tolist()]
        oov = self._oov_start()
        out = np.empty(len(flat), dtype=np.int64)
        missing = []
        for i, t in enumerate(flat):
            if self.mask_token is not None and t == self.mask_token:
                out[i] = 0 if self.output_mode == "int" else -1  # dropped from the counts
                continue
            j = self._index.get(t)
            if j is None:
                if self.num_oov_indices == 0:
                    missing.append(t)
                    continue
                j = oov + self._oov_bucket(t)
            out[i] = j
        if missing:
            raise ValueError(f"{self._kind}: with num_oov_indices=0 every input must be in "
                             f"the vocabulary; got out-of-vocabulary {missing[:5]}")
        return out.reshape(arr.shape)

    def _oov_bucket(self, token: Any) -> int:
        return 0

    def encode(self, indices: np.ndarray) -> np.ndarray:
        """Keras' ``encode_categorical_inputs``: (…, tokens) indices -> (…, depth) counts;
        negative indices (masked tokens, padding) count nowhere. int64, as Keras on
        TensorFlow returns, except TF-IDF (float32)."""
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens \
            else self.vocabulary_size()
        if self.output_mode == "one_hot":
            hot = np.eye(depth + 1, dtype=np.int64)[:, :depth]  # row -1: all zeros
            return hot[np.where(indices < 0, depth, indices)]
        rows = indices.reshape(-1, indices.shape[-1]) if indices.ndim else indices.reshape(1, 1)
        out = np.zeros((len(rows), depth), dtype=np.int64)
        r, c = np.nonzero(rows >= 0)
        np.add.at(out, (r, rows[r, c]), 1)
        if self.output_mode == "multi_hot":
            out = np.minimum(out, 1)
        elif self.output_mode == "tf_idf":
            out = out.astype(np.float32) * self.idf_weights[:depth]
        shape = indices.shape[:-1] if indices.ndim > 1 else ()
        return out.reshape(shape + (depth,)) if indices.ndim else out[0]

    def invert_lookup(self, indices: np.ndarray) -> np.ndarray:
        vocab = self.get_vocabulary()
        flat = np.asarray(indices).reshape(-1)
        out = np.array([vocab[i] if 0 <= i < len(vocab) else self.oov_token
                        for i in flat.tolist()], dtype=object)
        return out.reshape(np.shape(indices))

    def call(self, inputs: Any) -> Any:
        arr = as_array(inputs)
        if self.invert:
            return wrap_array(self.invert_lookup(arr.astype(np.int64)))
        return wrap_array(self.encode(self.lookup(arr)))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens \
            else self.vocabulary_size()
        if self.output_mode == "one_hot":
            return shape + (depth,)
        return (shape[:-1] if len(shape) > 1 else shape) + (depth,)

    def get_config(self) -> dict:
        config = {**super().get_config(), "max_tokens": self.max_tokens,
                  "num_oov_indices": self.num_oov_indices, "mask_token": self.mask_token,
                  "oov_token": self.oov_token, "invert": self.invert,
                  "output_mode": self.output_mode, "pad_to_max_tokens": self.pad_to_max_tokens,
                  "vocabulary": [_plain(t) for t in self._vocab] or None}
        if self.idf_weights is not None:
            config["idf_weights"] = self.idf_weights.tolist()
        return config

    # ------------------------------------------------------------------ per type
    def _token(self, value: Any) -> Any:  # pragma: no cover - each subclass defines it
        raise NotImplementedError

    def _sort_key(self, token: Any) -> Any:
        return token


def _plain(token: Any) -> Any:
    return token.item() if hasattr(token, "item") else token


def _batches(data: Any, steps: int | None) -> Iterable:
    if isinstance(data, (np.ndarray, list, tuple, str)) or hasattr(data, "to_numpy"):
        yield data.to_numpy() if hasattr(data, "to_numpy") else data
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        yield batch[0] if isinstance(batch, tuple) else batch
