"""``pad_sequences``: variable-length sequences (lists of word ids, say) as one padded array,
as ``keras.utils.pad_sequences``.

Example:
    >>> from ember.utils import pad_sequences
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    >>> pad_sequences([[1, 2, 3], [4]], padding="post", truncating="post", maxlen=2).tolist()
    [[1, 2], [4, 0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np


def pad_sequences(sequences: Any, maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0
                  ) -> np.ndarray:
    """A ``(len(sequences), maxlen, *sample_shape)`` array: each sequence cut to ``maxlen``
    (dropping its start for ``truncating="pre"``, its end for "post") and padded with
    ``value`` before it ("pre") or after it ("post"); ``maxlen`` defaults to the longest."""
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post'; got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post'; got "
                         f"{truncating!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: sequences must be a list of sequences; got "
                         f"{type(sequences).__name__}")
    lengths, sample_shape = [], None
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: sequence {i} is not a sequence: {s!r}")
        lengths.append(len(s))
        if sample_shape is None and len(s):
            sample_shape = np.asarray(s).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if isinstance(maxlen, bool) or int(maxlen) < 0:
        raise ValueError(f"pad_sequences: maxlen must be a non-negative integer; got {maxlen!r}")
    maxlen = int(maxlen)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype),
                                                                        np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(f"pad_sequences: value {value!r} does not fit dtype {dtype}; use "
                         "dtype=object for strings")
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=dtype)
    if not lengths or maxlen == 0:
        return out
    for i, s in enumerate(sequences):
        n = lengths[i]
        if not n:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: sequence {i} has samples of shape "
                             f"{kept.shape[1:]}, the first had {tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
