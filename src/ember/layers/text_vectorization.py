"""``TextVectorization``: raw strings -> token indices or bag-of-words vectors, as Keras'
layer: standardize (lowercase ASCII, strip punctuation), split (whitespace, characters),
n-grams, then a ``StringLookup`` (``output_mode`` int / multi_hot / count / tf_idf).

The vocabulary (and TF-IDF weights) live in ``get_config``, so a model saved with the layer
reloads with it. Keras' TensorFlow ops are matched: ``tf.strings.lower`` lowercases ASCII
only; punctuation is Keras' regex; whitespace splitting drops empty tokens; ``ngrams=n``
means widths 1..n, all 1-grams first.

Example:
    >>> import numpy as np, ember as em
    >>> vec = em.layers.TextVectorization(max_tokens=10, output_sequence_length=4)
    >>> vec.adapt(np.array(["The cat sat.", "The dog!"]))
    >>> vec.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
    >>> vec(np.array(["the bird sat"])).numpy().tolist()
    [[2, 1, 3, 0]]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor, wrap_array
from ember.layers._raw_inputs import RawInputs
from ember.layers.base import Layer
from ember.layers.lookup import StringLookup
from ember.serialization import register

# Keras' DEFAULT_STRIP_REGEX (",-\." is a range from ',' to '.', so '-' goes too)
STRIP_REGEX = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


@register()
class TextVectorization(RawInputs, Layer):
    """See the module docstring. ``max_tokens`` counts the mask ("") and OOV ("[UNK]")
    indices in int mode (the OOV one only in the others); ``output_sequence_length`` pads
    or truncates int outputs at the end (without it, a batch is padded to its longest row).
    """

    reads_strings = True  # fit and predict let text through to it

    def __init__(self, max_tokens: int | None = None,
                 standardize: str | Callable | None = "lower_and_strip_punctuation",
                 split: str | Callable | None = "whitespace", ngrams: int | tuple | None = None,
                 output_mode: str = "int", output_sequence_length: int | None = None,
                 pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False,
                 encoding: str = "utf-8", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not (standardize is None or callable(standardize) or standardize in STANDARDIZE):
            raise ValueError(f"TextVectorization: standardize must be one of {STANDARDIZE}, "
                             f"None or a function; got {standardize!r}")
        if not (split is None or callable(split) or split in SPLIT):
            raise ValueError(f"TextVectorization: split must be 'whitespace', 'character', "
                             f"None or a function; got {split!r}")
        if isinstance(ngrams, int) and not isinstance(ngrams, bool):
            if ngrams < 1:
                raise ValueError(f"TextVectorization: ngrams must be a positive int or a "
                                 f"tuple of them; got {ngrams}")
            widths: tuple | None = tuple(range(1, ngrams + 1))
        elif ngrams is None:
            widths = None
        else:
            widths = tuple(int(n) for n in ngrams)
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError("TextVectorization: output_sequence_length is only for "
                             f"output_mode='int'; got output_mode={output_mode!r}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf", "tf-idf"):
            raise ValueError(f"TextVectorization: output_mode must be one of int, multi_hot, "
                             f"count, tf_idf; got {output_mode!r}")
        if ragged:
            raise ValueError("TextVectorization: ragged outputs are not supported by ember "
                             "(rows are padded with 0)")
        self.standardize, self.split, self.ngrams = standardize, split, ngrams
        self._widths = widths
        self.output_mode = "tf_idf" if output_mode == "tf-idf" else output_mode
        self.output_sequence_length = output_sequence_length
        self.max_tokens, self.pad_to_max_tokens, self.encoding = (max_tokens,
                                                                  pad_to_max_tokens, encoding)
        self._lookup = StringLookup(
            max_tokens=max_tokens, mask_token="",  # as Keras, in every mode
            vocabulary=vocabulary, idf_weights=idf_weights, output_mode=self.output_mode,
            pad_to_max_tokens=pad_to_max_tokens, encoding=encoding)
        self.built = True

    # ------------------------------------------------------------------ text -> tokens
    def _standardize_one(self, text: str) -> str:
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.translate(_ASCII_LOWER)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = STRIP_REGEX.sub("", text)
        return text

    def _tokens(self, inputs: Any) -> list:
        """One list of tokens per input string."""
        arr = _strings(inputs, self.encoding)
        if callable(self.standardize):
            arr = np.asarray(self.standardize(arr), dtype=object)
        elif self.standardize is not None:
            arr = np.array([self._standardize_one(s) for s in arr.reshape(-1)],
                           dtype=object).reshape(arr.shape)
        if self.split is None:
            rows = arr.reshape(len(arr), -1).tolist() if arr.ndim else [[arr.item()]]
        else:
            if arr.ndim > 1:
                if arr.shape[-1] != 1:
                    raise ValueError("TextVectorization: to split strings the input must be "
                                     f"(batch,) or (batch, 1); got shape {arr.shape}")
                arr = arr[..., 0]
            flat = arr.reshape(-1).tolist()
            if callable(self.split):
                rows = [list(r) for r in self.split(np.array(flat, dtype=object))]
            elif self.split == "whitespace":
                rows = [s.split() for s in flat]
            else:
                rows = [list(s) for s in flat]
        if self._widths:
            rows = [[" ".join(r[i:i + n]) for n in self._widths for i in range(len(r) - n + 1)]
                    for r in rows]
        return rows

    # ------------------------------------------------------------------ API
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary from an array / list of strings, or an iterable of batches."""
        if isinstance(data, (np.ndarray, list, tuple, str)) or hasattr(data, "to_numpy"):
            batches: Any = [data]
        else:
            batches = (b[0] if isinstance(b, tuple) else b for b in data)
        rows = []
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            rows += self._tokens(batch)
        self._lookup.adapt(rows)

    def call(self, inputs: Any) -> Tensor:
        rows = self._tokens(inputs)
        if self.output_mode != "int":  # padding is the mask token: it counts nowhere
            width = max((len(r) for r in rows), default=0)
            return wrap_array(self._lookup.encode(self._lookup.lookup(_pad(rows, width, ""))))
        width = self.output_sequence_length
        if width is None:
            width = max((len(r) for r in rows), default=0)
        rows = [r[:width] for r in rows]
        ids = self._lookup.lookup(_pad(rows, width, ""))
        return wrap_array(ids)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        batch = tuple(input_shape)[:1] or (None,)
        if self.output_mode == "int":
            return batch + (self.output_sequence_length,)
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens \
            else self.vocabulary_size()
        return batch + (depth,)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    def get_config(self) -> dict:
        for name in ("standardize", "split"):
            if callable(getattr(self, name)):
                raise ValueError(f"TextVectorization: a custom {name} function cannot be "
                                 "saved in a config; pass it again when loading")
        vocab = self._lookup.get_vocabulary(include_special_tokens=False)
        idf = self._lookup.idf_weights
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": self.standardize, "split": self.split,
                "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
                "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.pad_to_max_tokens, "encoding": self.encoding,
                "vocabulary": vocab or None,
                "idf_weights": None if idf is None else idf.tolist()}


def _strings(inputs: Any, encoding: str) -> np.ndarray:
    if isinstance(inputs, Tensor):
        inputs = inputs.data
    if hasattr(inputs, "to_numpy") and not isinstance(inputs, np.ndarray):
        inputs = inputs.to_numpy()
    if isinstance(inputs, (str, bytes)):
        inputs = [inputs]
    arr = np.asarray(inputs, dtype=object)
    flat = [v.decode(encoding) if isinstance(v, bytes) else v for v in arr.reshape(-1)]
    if any(not isinstance(v, str) for v in flat):
        bad = next(v for v in flat if not isinstance(v, str))
        raise ValueError(f"TextVectorization: expected strings; got {type(bad).__name__} "
                         f"{bad!r}")
    return np.array(flat, dtype=object).reshape(arr.shape)


def _pad(rows: list, width: int, value: Any) -> np.ndarray:
    out = np.full((len(rows), width), value, dtype=object)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out
