"""Attention layers with Keras 3's arguments and weight layouts: ``Attention`` (Luong's dot
product), ``AdditiveAttention`` (Bahdanau's) and ``MultiHeadAttention`` (Vaswani et al.).
What they share, the mask helpers and the dense layers' call, is in ``attention_base``.

``MultiHeadAttention``'s four projections are sublayers named as Keras names them ("query",
"key", "value", "attention_output") with Keras' EinsumDense kernels: (d_model, heads,
key_dim) for query and key, (d_model, heads, value_dim) for value, (heads, value_dim,
output_dim) for the output; biases (heads, key_dim) ... and (output_dim,). ``get_weights()``
lists them in Keras' order, so weights copy across unchanged.

Masks follow Keras: a padding mask on the query (``x._mask``, e.g. from
``Embedding(mask_zero=True)``) zeroes the matching output rows and is passed on; one on the
value (or key) hides those positions; ``attention_mask`` (batch, Tq, Tv) is True where
attention is allowed; ``use_causal_mask=True`` hides the future. Masked scores become -1e9
before the softmax, so a fully masked row attends to nothing and outputs 0 (as Keras).

In the functional API the second tensor may be positional, as Keras users write it:
``MultiHeadAttention(2, 8)(x, x)``; the layer records its tensors as one list.

Example:
    >>> import ember as em
    >>> mha = em.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = em.randn(3, 5, 6)
    >>> out, scores = mha(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape, mha.query_dense.kernel.shape
    ((3, 5, 6), (3, 2, 5, 5), (6, 2, 4))
    >>> em.layers.Attention()([em.randn(3, 5, 6), em.randn(3, 7, 6)]).shape
    (3, 5, 6)
"""

from __future__ import annotations

import math
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.activation_layers import masked_softmax
from ember.layers.attention_base import _BaseDenseAttention, _causal, _check_list, _mask_array
from ember.layers.attention_nd import (
    attention_equations,
    nd_attention,
    projection_equation,
    resolve_axes,
)
from ember.layers.base import Layer
from ember.ops.elementwise import tanh
from ember.ops.linalg import einsum
from ember.ops.matmul import matmul
from ember.ops.nn import dropout as _dropout
from ember.ops.reduction import sum as _sum
from ember.ops.shape import expand_dims, swapaxes
from ember.serialization import register


@register()
class Attention(_BaseDenseAttention):
    """Dot-product attention: ``softmax(query @ key^T [* scale]) @ value`` on
    ``[query (B, Tq, dim), value (B, Tv, dim), key (optional, default value)]``.

    ``use_scale`` learns a scalar ``scale`` (initially 1); ``score_mode="concat"`` scores
    ``concat_score_weight * sum(tanh(scale * (q + k)))`` instead.
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention: score_mode must be 'dot' or 'concat'; got "
                             f"{score_mode!r}")
        self.score_mode = score_mode

    def build(self, input_shape: Any) -> None:
        _check_list(input_shape, "Attention")
        self.scale = self.add_weight("scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = self.add_weight("concat_score_weight", (), "ones") \
            if self.score_mode == "concat" else None

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        if self.score_mode == "dot":
            scores = matmul(q, swapaxes(k, -2, -1))
            return scores if self.scale is None else scores * self.scale
        summed = expand_dims(q, -2) + expand_dims(k, -3)
        if self.scale is not None:
            summed = summed * self.scale
        return self.concat_score_weight * _sum(tanh(summed), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "score_mode": self.score_mode}


@register()
class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau) attention: scores ``sum(scale * tanh(q + k), axis=-1)``, with a
    learned ``scale`` of shape (dim,) when ``use_scale`` (Keras' default True)."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape: Any) -> None:
        shapes = _check_list(input_shape, "AdditiveAttention")
        dim = shapes[0][-1]
        self.scale = self.add_weight("scale", (dim,), "glorot_uniform") \
            if self.use_scale else None

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        t = tanh(expand_dims(q, -2) + expand_dims(k, -3))
        return _sum(t if self.scale is None else t * self.scale, axis=-1)


class _Projection(Layer):
    """Keras' EinsumDense as MultiHeadAttention uses it: ``einsum(equation, x, kernel) +
    bias`` with a kernel of ``kernel_shape``."""

    def __init__(self, equation: str, kernel_shape: tuple, bias_shape: tuple | None,
                 owner: MultiHeadAttention, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.equation, self.kernel_shape, self.bias_shape = equation, kernel_shape, bias_shape
        o = owner
        self.kernel = self.add_weight("kernel", kernel_shape, o.kernel_initializer,
                                      o.kernel_regularizer, constraint=o.kernel_constraint)
        self.bias = None if bias_shape is None else self.add_weight(
            "bias", bias_shape, o.bias_initializer, o.bias_regularizer,
            constraint=o.bias_constraint)
        object.__setattr__(self, "built", True)

    def call(self, inputs: Tensor) -> Tensor:
        out = einsum(self.equation, inputs, self.kernel)
        return out if self.bias is None else out + self.bias


@register()
class MultiHeadAttention(Layer):
    """Multi-head attention on (batch, T, features) sequences, Keras 3's layer.

    ``call(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``; the output has the query's shape (its last axis
    ``output_shape`` when given); the scores are (batch, heads, Tq, Tv).
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("flash_attention", None)  # a kernel choice; one path here
        for name in ("use_gate", "sliding_window"):
            if kwargs.pop(name, None):
                raise NotImplementedError(f"MultiHeadAttention: {name} is not supported")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"MultiHeadAttention: {name} must be a positive integer; got "
                                 f"{value!r}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(f"MultiHeadAttention: value_dim must be a positive integer or "
                             f"None; got {value_dim!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1); got {dropout!r}")
        if attention_axes is not None and not isinstance(attention_axes, int) and not (
                isinstance(attention_axes, (list, tuple))
                and all(isinstance(a, int) for a in attention_axes)):
            raise ValueError(f"MultiHeadAttention: attention_axes must be an int, list, or "
                             f"tuple of ints; got {attention_axes!r}")
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        if output_shape is not None and (len(output_shape) != 1 or int(output_shape[0]) < 1):
            raise NotImplementedError(f"MultiHeadAttention: output_shape must be an int (the "
                                      f"output features); got {output_shape!r}")
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim or key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.output_shape = None if output_shape is None else (int(output_shape[0]),)
        self.attention_axes = None if attention_axes is None else (
            [attention_axes] if isinstance(attention_axes, int) else list(attention_axes))
        _config.set_kernel_bias_options(
            self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.seed = seed
        self.supports_masking = True

    # -------------------------------------------------------------- calling convention
    def __call__(self, query: Any, value: Any = None, key: Any = None, *,
                 attention_mask: Any = None, return_attention_scores: bool = False,
                 training: Any = None, use_causal_mask: bool = False, **kwargs: Any) -> Any:
        if isinstance(query, (list, tuple)) and value is None:  # already packed (a replay)
            packed = list(query)
        else:
            if value is None:
                raise ValueError(f"MultiHeadAttention '{self.name}': pass the value tensor: "
                                 "mha(query, value) (value is also the key by default)")
            packed = [query, value, value if key is None else key]
            if attention_mask is not None:
                packed.append(attention_mask)
        object.__setattr__(self, "_scores_requested", bool(return_attention_scores))
        return super().__call__(packed, training=training,
                                return_attention_scores=bool(return_attention_scores),
                                use_causal_mask=bool(use_causal_mask), **kwargs)

    def build(self, input_shape: Any) -> None:
        q_shape, v_shape, k_shape = input_shape[0], input_shape[1], input_shape[2]
        rank = len(q_shape)
        for what, s in (("query", q_shape), ("value", v_shape), ("key", k_shape)):
            if len(s) != rank or len(s) < 3 or s[-1] is None:
                raise ValueError(f"MultiHeadAttention '{self.name}': the {what} must be "
                                 f"(batch, ..., features) of the query's rank (at least 3) "
                                 f"with known features; got {tuple(s)}")
        H, K, V = self.num_heads, self.key_dim, self.value_dim
        # Keras reports the resolved axes once built ([1] for (batch, T, features))
        self.attention_axes = list(resolve_axes(self.attention_axes, rank,
                                                f"MultiHeadAttention '{self.name}'"))
        bias = self.use_bias
        if rank != 3 or self.attention_axes != [1]:  # Keras' general einsum equations
            self._build_nd(rank, q_shape[-1], k_shape[-1], v_shape[-1])
            return
        out_dim = self.output_shape[0] if self.output_shape else q_shape[-1]
        self.query_dense = _Projection("abc,cde->abde", (q_shape[-1], H, K),
                                       (H, K) if bias else None, self, name="query")
        self.key_dense = _Projection("abc,cde->abde", (k_shape[-1], H, K),
                                     (H, K) if bias else None, self, name="key")
        self.value_dense = _Projection("abc,cde->abde", (v_shape[-1], H, V),
                                       (H, V) if bias else None, self, name="value")
        self.output_dense = _Projection("abcd,cde->abe", (H, V, out_dim),
                                        (out_dim,) if bias else None, self,
                                        name="attention_output")

    def _build_nd(self, rank: int, q_dim: int, k_dim: int, v_dim: int) -> None:
        H, K, V, bias = self.num_heads, self.key_dim, self.value_dim, self.use_bias
        out_dim = self.output_shape[0] if self.output_shape else q_dim
        self._dot_equation, self._combine_equation, _ = attention_equations(
            rank + 1, tuple(self.attention_axes))
        proj = projection_equation(rank - 1, 1, 2)
        self.query_dense = _Projection(proj, (q_dim, H, K), (H, K) if bias else None, self,
                                       name="query")
        self.key_dense = _Projection(proj, (k_dim, H, K), (H, K) if bias else None, self,
                                     name="key")
        self.value_dense = _Projection(proj, (v_dim, H, V), (H, V) if bias else None, self,
                                       name="value")
        self.output_dense = _Projection(projection_equation(rank - 1, 2, 1), (H, V, out_dim),
                                        (out_dim,) if bias else None, self,
                                        name="attention_output")

    def call(self, inputs: list, training: Any = None, return_attention_scores: bool = False,
             use_causal_mask: bool = False) -> Any:
        query, value, key = inputs[0], inputs[1], inputs[2]
        attention_mask = inputs[3] if len(inputs) > 3 else None
        if self.__dict__.get("_dot_equation") is not None:
            if use_causal_mask or any(getattr(t, "_mask", None) is not None
                                      for t in (query, value, key)):
                raise NotImplementedError(
                    f"MultiHeadAttention '{self.name}': with attention_axes="
                    f"{self.attention_axes} on inputs of rank {query.ndim}, pass an "
                    "attention_mask (padding masks and use_causal_mask are for (batch, T, "
                    "features) inputs)")
            return nd_attention(self, query, value, key, attention_mask, training,
                                return_attention_scores)
        xp = backend.xp_of(query.data)
        q_mask = _mask_array(getattr(query, "_mask", None))
        v_mask = _mask_array(getattr(value, "_mask", None))
        k_mask = _mask_array(getattr(key, "_mask", None)) if key is not value else None
        keep = None if q_mask is None else q_mask[:, :, None]
        for m in (v_mask, k_mask):
            if m is not None:
                keep = m[:, None, :] if keep is None else keep & m[:, None, :]
        if use_causal_mask:
            causal = _causal(query.shape[1], value.shape[1], xp)
            keep = causal if keep is None else keep & causal
        if attention_mask is not None:
            given = _mask_array(attention_mask)
            keep = given if keep is None else given & keep
        q = self.query_dense(query) * (1.0 / math.sqrt(float(self.key_dim)))  # (B, T, H, K)
        k = self.key_dense(key)
        v = self.value_dense(value)
        scores = einsum("aecd,abcd->acbe", k, q)  # (B, H, Tq, Tv)
        if keep is not None:
            keep = keep[:, None] if keep.ndim == 3 else keep
        probs = masked_softmax(scores, keep, -1)
        if training and self.dropout > 0:
            probs = _dropout(probs, self.dropout, True)
        out = self.output_dense(einsum("acbe,aecd->abcd", probs, v))
        if q_mask is not None:
            out._mask = q_mask
        return [out, probs] if return_attention_scores else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        q, v = input_shape[0], input_shape[1]
        out = tuple(q[:-1]) + ((self.output_shape or (q[-1],))[0],)
        if self.__dict__.get("_scores_requested"):  # set by __call__ for the functional API
            axes = resolve_axes(self.attention_axes, len(q), "MultiHeadAttention")
            rest = [d for i, d in enumerate(q[1:-1], 1) if i not in axes]
            return [out, (q[0], *rest, self.num_heads, *[q[a] for a in axes],
                          *[v[a] for a in axes])]
        return out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None  # the query's mask is set on the output in call

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout,
                "use_bias": self.use_bias,
                "output_shape": None if self.output_shape is None else list(self.output_shape),
                "attention_axes": self.attention_axes, **_config.kernel_bias_config(self),
                "activity_regularizer": s(self.activity_regularizer), "seed": self.seed}
