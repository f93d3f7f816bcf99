"""Weight penalties, as ``keras.regularizers``: ``Dense(64, kernel_regularizer=L2(1e-4))``.

A regularizer is called on a weight Tensor and returns a scalar Tensor that the layer adds to
the training loss, so its gradient flows into the weight (weight decay for L2).

Example:
    >>> import ember as em
    >>> w = em.ones(5, 5, requires_grad=True)
    >>> penalty = em.regularizers.L2(2.0)(w)      # 2 * sum(w ** 2)
    >>> penalty.item()
    50.0
    >>> penalty.backward(); w.grad[0, 0].item()   # 2 * 2 * w
    4.0
"""

from __future__ import annotations

import math
from typing import Any

from ember import ops, serialization
from ember.autograd.tensor import Tensor, as_tensor, wrap_array
from ember.backend import xp_of


def _validate(value: Any, name: str, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
            or math.isinf(value) or value < 0:
        raise ValueError(f"{who}: {name} must be a non-negative float; got {value!r}")
    return float(value)


def _weight(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


class Regularizer:
    """Base class: ``__call__(weight) -> scalar Tensor`` and ``get_config``.

    Any function ``f(weight) -> scalar Tensor`` also works as a regularizer.
    """

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(_weight(x)) * 0.0

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@serialization.register()
class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)`` (both default to 0 here; ``l1_l2()`` and the
    string "l1_l2" use 0.01 for both, as Keras documents)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _validate(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _validate(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x: Any) -> Tensor:
        x = _weight(x)
        total = None
        if self.l1:
            total = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.sum(ops.square(x)) * self.l2
            total = term if total is None else total + term
        return total if total is not None else ops.sum(x) * 0.0

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@serialization.register()
class L1(Regularizer):
    """``l1 * sum(|x|)``: pushes weights to exactly zero (sparsity)."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _validate(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(ops.abs(_weight(x))) * self.l1

    def get_config(self) -> dict:
        return {"l1": self.l1}


@serialization.register()
class L2(Regularizer):
    """``l2 * sum(x ** 2)``: its gradient ``2 * l2 * x`` shrinks every weight (weight decay)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _validate(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(ops.square(_weight(x))) * self.l2

    def get_config(self) -> dict:
        return {"l2": self.l2}


@serialization.register()
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns of a 2-D weight towards orthogonality:
    ``factor * mean |cos(angle)|`` over pairs of distinct L2-normalized rows (Keras' formula,
    ``factor * 0.5 * sum|off-diagonal of W W^T| / num_pairs``).

    Example:
        >>> import ember as em
        >>> em.regularizers.OrthogonalRegularizer(1.0)(em.eye(3)).item()
        0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _validate(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns'; got "
                             f"{mode!r}")
        self.mode = mode

    def __call__(self, x: Any) -> Tensor:
        x = _weight(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: the weight must be 2-D; got shape "
                             f"{x.shape}")
        if self.mode == "columns":
            x = x.T
        size = x.shape[0]
        if size < 2:  # a single vector has no pair to decorrelate
            return ops.sum(x) * 0.0
        norm = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12))
        unit = x / norm
        product = ops.matmul(unit, unit.T)
        off_diagonal = wrap_array(1.0 - xp_of(x.data).eye(size, dtype=x.data.dtype))
        num_pairs = size * (size - 1) / 2.0
        return ops.sum(ops.abs(product * off_diagonal)) * (self.factor * 0.5 / num_pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """``L1L2(l1, l2)`` with Keras 2's defaults of 0.01 for both."""
    return L1L2(l1=l1, l2=l2)


# Keras' lower-case aliases of the classes
l1, l2, orthogonal_regularizer = L1, L2, OrthogonalRegularizer

_BY_NAME: dict[str, Any] = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1_l2": l1_l2, "l1l2": l1_l2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def names() -> list[str]:
    """The names ``get`` accepts."""
    return sorted(_BY_NAME)


def get(identifier: Any) -> Any:
    """The regularizer for ``identifier``: a name ("l1", "l2", "l1_l2", ...; built with the
    default factors), a class, a serialized dict or a callable. None gives None.

    Example:
        >>> import ember as em
        >>> em.regularizers.get("l2")
        L2(l2=0.01)
    """
    return serialization.resolve(identifier, _BY_NAME, "regularizer", "l2", "f(weight) -> scalar")


def serialize(regularizer: Any) -> Any:
    """``{"class_name": ..., "config": ...}`` for a saved model."""
    return serialization.serialize(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what ``serialize`` produced."""
    if isinstance(config, dict):
        return serialization.deserialize(config, custom_objects)
    return get(config)


__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize", "names"]
