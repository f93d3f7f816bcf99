"""Layers that combine several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate — the joints of skip connections and multi-input models in the functional API.

Example:
    >>> import ember as em
    >>> em.layers.Add()([em.ones((2, 3)), em.ones((2, 3))]).numpy().tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from ember import ops
from ember.layers.base import Layer
from ember.serialization import register


class _Merge(Layer):
    """Elementwise merge of a list of same-shaped (broadcastable) inputs."""

    supports_masking = True
    _min_inputs = 2

    def _check(self, inputs: Any) -> list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < self._min_inputs:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects a list of at least "
                             f"{self._min_inputs} inputs; got {type(inputs).__name__}")
        return list(inputs)

    def build(self, input_shape: Any) -> None:
        shapes = self._check(input_shape)
        ref = shapes[0][1:]
        for s in shapes[1:]:
            if len(s[1:]) != len(ref) or any(a is not None and b is not None and a != b
                                             and 1 not in (a, b) for a, b in zip(ref, s[1:])):
                raise ValueError(f"{type(self).__name__} '{self.name}': input shapes "
                                 f"{[tuple(x) for x in shapes]} do not match")

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check(input_shape)
        out = []
        for dims in zip(*shapes):
            known = [d for d in dims if d is not None and d != 1]
            out.append(known[0] if known else (None if None in dims else 1))
        return tuple(out)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None


@register()
class Add(_Merge):
    """Sum of the inputs (a residual / skip connection)."""

    def call(self, inputs: list) -> Any:
        return reduce(ops.add, self._check(inputs))


@register()
class Subtract(_Merge):
    """First input minus the second."""

    def call(self, inputs: list) -> Any:
        a, b = self._check(inputs)
        return ops.sub(a, b)


@register()
class Multiply(_Merge):
    """Elementwise product of the inputs."""

    def call(self, inputs: list) -> Any:
        return reduce(ops.mul, self._check(inputs))


@register()
class Average(_Merge):
    """Elementwise mean of the inputs."""

    def call(self, inputs: list) -> Any:
        xs = self._check(inputs)
        return reduce(ops.add, xs) * (1.0 / len(xs))


@register()
class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    def call(self, inputs: list) -> Any:
        return reduce(ops.maximum, self._check(inputs))


@register()
class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    def call(self, inputs: list) -> Any:
        return reduce(ops.minimum, self._check(inputs))


@register()
class Concatenate(Layer):
    """Join the inputs along ``axis`` (the last by default)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def _check(self, inputs: Any) -> list:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 1:
            raise ValueError(f"Concatenate '{self.name}' expects a list of inputs; got "
                             f"{type(inputs).__name__}")
        return list(inputs)

    def build(self, input_shape: Any) -> None:
        shapes = [tuple(s) for s in self._check(input_shape)]
        ndim = len(shapes[0])
        ax = self.axis % ndim
        for s in shapes:
            if len(s) != ndim or any(i != ax and a is not None and b is not None and a != b
                                     for i, (a, b) in enumerate(zip(shapes[0], s))):
                raise ValueError(f"Concatenate '{self.name}': shapes {shapes} must match "
                                 f"except on axis {self.axis}")

    def call(self, inputs: list) -> Any:
        return ops.concatenate(self._check(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = [tuple(s) for s in self._check(input_shape)]
        ax = self.axis % len(shapes[0])
        sizes = [s[ax] for s in shapes]
        out = list(shapes[0])
        out[ax] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


# Keras' functional shortcuts: layers.concatenate([a, b]) == layers.Concatenate()([a, b]).
def add(inputs: list, **kwargs: Any) -> Any:
    """``Add()(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """``Subtract()(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """``Multiply()(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """``Average()(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """``Maximum()(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """``Minimum()(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
