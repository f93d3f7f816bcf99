"""What the attention layers share: the mask helpers (a padding mask as booleans, the causal
mask, the check of the [query, value, key] input list) and ``_BaseDenseAttention``, the call
of ``Attention`` and ``AdditiveAttention`` (masks, softmax, dropout, scores); the layers
themselves are in ``ember.layers.attention``.
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.ops.elementwise import where
from ember.ops.matmul import matmul
from ember.ops.nn import dropout as _dropout
from ember.ops.nn import softmax


def _mask_array(mask: Any) -> Any:
    if mask is None:
        return None
    m = mask.data if isinstance(mask, Tensor) else mask
    return m if m.dtype == bool else m != 0


def _causal(tq: int, tv: int, xp: Any) -> Any:
    """(1, Tq, Tv), True on and below the diagonal (Keras' cumsum rule: row >= column)."""
    return xp.tril(xp.ones((tq, tv), dtype=bool))[None]


def _check_list(inputs: Any, who: str) -> list:
    if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
        raise ValueError(f"{who} layer must be called on a list of inputs, namely [query, "
                         f"value] or [query, value, key]; got {type(inputs).__name__}"
                         + (f" of length {len(inputs)}" if isinstance(inputs, (list, tuple))
                            else ""))
    return list(inputs)


class _BaseDenseAttention(Layer):
    """What Attention and AdditiveAttention share: masks, softmax, dropout, scores."""

    def __init__(self, use_scale: bool = False, dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1); got "
                             f"{dropout!r}")
        self.use_scale = bool(use_scale)
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        raise NotImplementedError

    def call(self, inputs: Any, mask: Any = None, training: Any = None,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        who = type(self).__name__
        inputs = _check_list(inputs, who)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        if mask is None:
            mask = [getattr(q, "_mask", None), getattr(v, "_mask", None)]
        elif not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
            raise ValueError(f"{who} '{self.name}': mask must be a list [query_mask, "
                             f"value_mask]; got {mask!r}")
        q_mask, v_mask = _mask_array(mask[0]), _mask_array(mask[1])
        scores = self._scores(q, k)
        xp = backend.xp_of(scores.data)
        keep = None if v_mask is None else v_mask[:, None, :]
        if use_causal_mask:
            causal = _causal(scores.shape[-2], scores.shape[-1], xp)
            keep = causal if keep is None else keep & causal
        if keep is not None:  # Keras subtracts 1e9 here (MultiHeadAttention replaces)
            big = 65504.0 if scores.data.dtype.itemsize == 2 else 1.0e9
            scores = where(keep, scores, scores - big)
        weights = softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = _dropout(weights, self.dropout, True)
        out = matmul(weights, v)
        if q_mask is not None:
            out = where(q_mask[..., None], out, 0.0)
            out._mask = q_mask
        return [out, weights] if return_attention_scores else out

    def __call__(self, inputs: Any, *args: Any, return_attention_scores: bool = False,
                 **kwargs: Any) -> Any:
        object.__setattr__(self, "_scores_requested", bool(return_attention_scores))
        if return_attention_scores:
            kwargs["return_attention_scores"] = True
        return super().__call__(inputs, *args, **kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None  # set on the output in call (the query's mask)

    def compute_output_shape(self, input_shape: Any) -> Any:
        q, v = input_shape[0], input_shape[1]
        k = input_shape[2] if len(input_shape) > 2 else v
        out = tuple(q[:-1]) + (v[-1],)
        if self.__dict__.get("_scores_requested"):  # set by __call__ for the functional API
            return [out, tuple(q[:-1]) + (k[-2],)]
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale, "dropout": self.dropout,
                "seed": self.seed}
