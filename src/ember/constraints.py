"""Weight constraints, as ``keras.constraints``: ``Dense(64, kernel_constraint=MaxNorm(3))``.

A constraint maps a weight to its projection onto the allowed set; the optimizer applies a
weight's constraint right after each update of that weight (as Keras does), so the weight
satisfies it between steps. Norms are taken along ``axis`` (0 by default: for a Dense kernel
(inputs, units), the vector of weights into each unit).

- ``MaxNorm(max_value=2, axis=0)``: rescale vectors whose L2 norm exceeds ``max_value``;
- ``NonNeg()``: zero the negative weights;
- ``UnitNorm(axis=0)``: rescale to unit norm;
- ``MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)``: move the norm ``rate`` of the
  way into [min_value, max_value].

Any function ``f(weight) -> weight`` works as a constraint too.

Example:
    >>> import ember as em
    >>> w = em.tensor([[3.0, 0.3], [4.0, 0.4]])
    >>> em.constraints.MaxNorm(1.0)(w).numpy().astype(float).round(3).tolist()
    [[0.6, 0.3], [0.8, 0.4]]
    >>> em.constraints.get("non_neg")(em.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from ember import serialization
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of

_EPSILON = 1e-7  # Keras' backend.epsilon(), added to the norm as Keras does


def _array(w: Any) -> Any:
    return w.data if isinstance(w, Tensor) else w


def _norms(data: Any, axis: Any) -> Any:
    xp = xp_of(data)
    ax = tuple(axis) if isinstance(axis, list) else axis
    return xp.sqrt(xp.sum(data * data, axis=ax, keepdims=True))


def _axis(axis: Any, who: str) -> Any:
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{who}: axis must be an int or a list of ints; got {axis!r}")
    return axis


class Constraint:
    """Base class: ``__call__(weight) -> constrained weight`` and ``get_config``."""

    def __call__(self, w: Any) -> Tensor:
        return w if isinstance(w, Tensor) else wrap_array(w)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@serialization.register()
class MaxNorm(Constraint):
    """Rescale each weight vector along ``axis`` to a norm of at most ``max_value``."""

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        if isinstance(max_value, bool) or not isinstance(max_value, (int, float)) or \
                max_value < 0:
            raise ValueError(f"MaxNorm: max_value must be a number >= 0; got {max_value!r}")
        self.max_value, self.axis = max_value, _axis(axis, "MaxNorm")

    def __call__(self, w: Any) -> Tensor:
        data = _array(w)
        norms = _norms(data, self.axis)
        desired = xp_of(data).clip(norms, 0, self.max_value)
        return wrap_array((data * (desired / (_EPSILON + norms))).astype(data.dtype))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


@serialization.register()
class NonNeg(Constraint):
    """Zero the negative weights."""

    def __call__(self, w: Any) -> Tensor:
        data = _array(w)
        # where(), not maximum(): +0.0 for negatives, not -0.0
        return wrap_array(xp_of(data).where(data >= 0, data, 0).astype(data.dtype))


@serialization.register()
class UnitNorm(Constraint):
    """Rescale each weight vector along ``axis`` to unit L2 norm."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = _axis(axis, "UnitNorm")

    def __call__(self, w: Any) -> Tensor:
        data = _array(w)
        return wrap_array((data / (_EPSILON + _norms(data, self.axis))).astype(data.dtype))

    def get_config(self) -> dict:
        return {"axis": self.axis}


@serialization.register()
class MinMaxNorm(Constraint):
    """Move each weight vector's norm ``rate`` of the way into [min_value, max_value]
    (``rate=1``: exactly into it)."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Any = 0) -> None:
        if not 0 <= min_value <= max_value:
            raise ValueError(f"MinMaxNorm: need 0 <= min_value <= max_value; got min_value="
                             f"{min_value!r}, max_value={max_value!r}")
        if not 0 <= rate <= 1:
            raise ValueError(f"MinMaxNorm: rate must be in [0, 1]; got {rate!r}")
        self.min_value, self.max_value, self.rate = min_value, max_value, rate
        self.axis = _axis(axis, "MinMaxNorm")

    def __call__(self, w: Any) -> Tensor:
        data = _array(w)
        norms = _norms(data, self.axis)
        desired = self.rate * xp_of(data).clip(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return wrap_array((data * (desired / (_EPSILON + norms))).astype(data.dtype))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Keras' lower-case aliases of the classes
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_BY_NAME: dict[str, Any] = {
    "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm,
    "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
}


def get(identifier: Any) -> Any:
    """The constraint for ``identifier``: a name ("max_norm", "NonNeg", ...; built with the
    default arguments), a class, a serialized dict or a callable. None gives None.

    Example:
        >>> import ember as em
        >>> em.constraints.get("max_norm")
        MaxNorm(max_value=2, axis=0)
    """
    return serialization.resolve(identifier, _BY_NAME, "constraint", "max_norm",
                                 "f(weight) -> weight")


def serialize(constraint: Any) -> Any:
    """``{"class_name": ..., "config": ...}`` for a saved model."""
    return serialization.serialize(constraint)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what ``serialize`` produced."""
    if isinstance(config, dict):
        return serialization.deserialize(config, custom_objects)
    return get(config)


def names() -> list[str]:
    """The names ``get`` accepts."""
    return sorted(_BY_NAME)


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize", "names"]
