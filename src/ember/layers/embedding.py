"""``Embedding``: integer indices -> rows of a trainable (input_dim, output_dim) table.

The gradient of the table is a scatter-add into the rows that were looked up (a row used
twice in a batch gets both contributions), as in Keras and PyTorch. ``mask_zero=True``
treats index 0 as padding: the output carries a (batch, timesteps) mask that recurrent
layers after it use to skip those steps.

Example:
    >>> import ember as em
    >>> emb = em.layers.Embedding(100, 8, mask_zero=True)
    >>> out = emb(em.tensor([[5, 7, 0, 0]]))
    >>> out.shape, out._mask.tolist()
    ((1, 4, 8), [[True, True, False, False]])
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.ops.shape import take
from ember.serialization import register


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not (
            isinstance(value, float) and value.is_integer()) or value <= 0:
        raise ValueError(f"Embedding: {what} must be a positive integer; got {value!r}")
    return int(value)


@register()
class Embedding(Layer):
    """Turns indices in [0, input_dim) into dense vectors of size output_dim.

    ``embeddings_initializer`` defaults to Keras' "uniform" (RandomUniform(-0.05, 0.05)).
    ``input_length`` (Keras 2) is accepted and ignored: any input shape works, and the output
    has shape ``inputs.shape + (output_dim,)``.
    """

    def __init__(self, input_dim: int, output_dim: int,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, input_length: int | None = None,
                 **kwargs: Any) -> None:
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = _positive_int(input_dim, "input_dim")
        self.output_dim = _positive_int(output_dim, "output_dim")
        self.embeddings_initializer = _config.get_initializer(embeddings_initializer)
        self.embeddings_regularizer = _config.get_regularizer(embeddings_regularizer)
        self.embeddings_constraint = _config.get_constraint(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if weights is not None:
            self.build(None)
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
            self.embeddings_regularizer, constraint=self.embeddings_constraint)

    def call(self, inputs: Tensor) -> Tensor:
        idx = self._indices(inputs)
        out = take(self.embeddings, idx, axis=0)
        if self.mask_zero:
            out._mask = idx != 0
        return out

    def _indices(self, inputs: Tensor) -> Any:
        idx = inputs.data
        where = f"Embedding '{self.name}'"
        kind = idx.dtype.kind
        if kind == "b" or kind not in "iuf":
            raise TypeError(f"{where}: expects integer indices; got {idx.dtype.name} inputs")
        xp = backend.xp_of(idx)
        if kind == "f":  # indices read from a CSV or DataFrame arrive as floats
            if idx.size and not bool((idx == xp.floor(idx)).all()):
                raise ValueError(f"{where}: expects integer indices; got non-integer floats")
            idx = idx.astype("int64")
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            if lo < 0 or hi >= self.input_dim:
                bad = lo if lo < 0 else hi
                raise ValueError(f"{where}: index {bad} is out of range for input_dim="
                                 f"{self.input_dim} (valid indices are 0 to "
                                 f"{self.input_dim - 1})")
        return idx

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        data = inputs.data if isinstance(inputs, Tensor) else inputs
        return data != 0

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": s(self.embeddings_initializer),
                "embeddings_regularizer": s(self.embeddings_regularizer),
                "activity_regularizer": s(self.activity_regularizer),
                "embeddings_constraint": s(self.embeddings_constraint),
                "mask_zero": self.mask_zero}

