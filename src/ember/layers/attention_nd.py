"""MultiHeadAttention over any axes (Keras 3's ``attention_axes``): the einsum equations of the
projections and of the attention for inputs of rank > 3 or attention over axes other than
the time axis, built as Keras builds them (so the weights and the scores' layout match).

The projected tensors are (batch, <other axes>, <attention axes>, heads, channels); the scores
are (batch, <other axes>, heads, <query attention axes>, <key attention axes>) and the softmax
runs jointly over the key attention axes.

Example:
    >>> from ember.layers.attention_nd import attention_equations
    >>> attention_equations(5, (1, 2))[:2]
    ('afgde,abcde->adbcfg', 'adbcfg,afgde->abcde')
"""

from __future__ import annotations

import string
from typing import Any

from ember.layers.activation_layers import masked_softmax
from ember.ops.linalg import einsum
from ember.ops.nn import dropout as _dropout

_LETTERS = string.ascii_lowercase


def projection_equation(free: int, bound: int, out: int) -> str:
    """Keras' ``_build_proj_equation``: ``free`` carried axes, ``bound`` contracted, ``out``
    new ones (e.g. (3, 1, 2) -> "abcd,def->abcef")."""
    letters = iter(_LETTERS)
    f = "".join(next(letters) for _ in range(free))
    b = "".join(next(letters) for _ in range(bound))
    o = "".join(next(letters) for _ in range(out))
    return f"{f}{b},{b}{o}->{f}{o}"


def attention_equations(rank: int, axes: tuple) -> tuple[str, str, int]:
    """Keras' ``_build_attention_equation`` for projected tensors of ``rank`` axes: the
    query-key product, the combination with the values, and the scores' rank."""
    target = _LETTERS[:rank]
    batch = [i for i in range(rank) if i not in axes and i != rank - 1]
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[offset]
            offset += 1
    product = "".join([target[i] for i in batch] + [target[i] for i in axes]
                      + [source[i] for i in axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def resolve_axes(attention_axes: Any, input_rank: int, who: str) -> tuple:
    """The attention axes of inputs of ``input_rank`` axes as non-negative ints (Keras' default:
    every axis between the batch and the features)."""
    if attention_axes is None:
        return tuple(range(1, input_rank - 1))
    axes = tuple(a if a >= 0 else input_rank + a for a in attention_axes)
    if not axes or any(not 1 <= a <= input_rank - 2 for a in axes) or len(set(axes)) < len(axes):
        raise ValueError(f"{who}: attention_axes {attention_axes} must be distinct axes between "
                         f"the batch and the feature axis of inputs of rank {input_rank}")
    return axes


def nd_attention(layer: Any, query: Any, value: Any, key: Any, attention_mask: Any,
                 training: Any, return_scores: bool) -> Any:
    """The attention of ``layer`` (a built MultiHeadAttention) on N-D inputs."""
    import math

    q = layer.query_dense(query) * (1.0 / math.sqrt(float(layer.key_dim)))
    k = layer.key_dense(key)
    v = layer.value_dense(value)
    scores = einsum(layer._dot_equation, k, q)
    n = len(layer.attention_axes)
    keep = None
    if attention_mask is not None:
        keep = attention_mask.data if hasattr(attention_mask, "data") else attention_mask
        keep = keep.astype(bool)
        # Keras inserts the missing axes just before the query attention axes (the heads')
        while keep.ndim < scores.ndim:
            keep = keep.reshape(keep.shape[:keep.ndim - 2 * n] + (1,)
                                + keep.shape[keep.ndim - 2 * n:])
    probs = masked_softmax(scores, keep, tuple(range(scores.ndim - n, scores.ndim)))
    if training and layer.dropout > 0:
        probs = _dropout(probs, layer.dropout, True)
    out = layer.output_dense(einsum(layer._combine_equation, probs, v))
    return [out, probs] if return_scores else out
