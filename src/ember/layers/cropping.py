"""Cropping and padding of sequences, images and volumes, Keras 3's layers:
``Cropping1D``, ``Cropping2D``, ``Cropping3D`` and ``ZeroPadding3D``.

Amounts are an int (every side of every axis), one int per axis (both sides) or one
``(before, after)`` pair per axis; ``data_format`` (2-D and 3-D) is "channels_last" (the
default) or "channels_first". Each is a slice or a pad, so gradients pass straight through.

Example:
    >>> import ember as em
    >>> em.layers.Cropping2D(((1, 0), (2, 2)))(em.ones((1, 6, 8, 3))).shape
    (1, 5, 4, 3)
    >>> em.layers.ZeroPadding3D(1)(em.ones((1, 2, 2, 2, 1))).shape
    (1, 4, 4, 4, 1)
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.ops.shape import getitem, pad
from ember.serialization import register

_NAMES = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
          3: "(batch, depth, height, width, channels)"}


def amount_pairs(value: Any, n: int, name: str, who: str) -> tuple:
    """An int, n ints or n (before, after) pairs -> n (before, after) pairs of ints >= 0."""
    msg = (f"{who}: {name} must be an int, {n} ints or {n} (before, after) pairs of ints >= "
           f"0; got {value!r}")

    def whole(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(msg)
        return v

    if isinstance(value, int) and not isinstance(value, bool):
        return ((whole(value),) * 2,) * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        if n == 1 and isinstance(value, (list, tuple)) and len(value) == 2:
            return ((whole(value[0]), whole(value[1])),)
        raise ValueError(msg)
    if n == 1 and all(isinstance(v, int) for v in value):
        return ((whole(value[0]),) * 2,)
    out = []
    for v in value:
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise ValueError(msg)
            out.append((whole(v[0]), whole(v[1])))
        else:
            out.append((whole(v), whole(v)))
    return tuple(out)


def _format(data_format: Any, who: str) -> str:
    fmt = "channels_last" if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first'; "
                         f"got {data_format!r}")
    return fmt


class _Spatial(Layer):
    """Shared: the spatial axes of the input, the rank check, the config."""

    rank = 1
    _key = "cropping"

    def __init__(self, amount: Any, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        who = type(self).__name__
        self.data_format = _format(data_format, who)
        setattr(self, self._key, amount_pairs(amount, self.rank, self._key, who))

    def _axes(self) -> range:
        first = 2 if self.data_format == "channels_first" else 1
        return range(first, first + self.rank)

    def _check(self, inputs: Any) -> None:
        if len(inputs.shape) != self.rank + 2:
            layout = _NAMES[self.rank]
            if self.data_format == "channels_first":
                layout = layout.replace(", channels)", ")").replace("(batch, ",
                                                                   "(batch, channels, ")
            self._check_rank(inputs, self.rank + 2, layout)

    def get_config(self) -> dict:
        value = [list(p) for p in getattr(self, self._key)]
        config = {**super().get_config(), self._key: value[0] if self.rank == 1 else value}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class _Cropping(_Spatial):
    def call(self, inputs: Tensor) -> Tensor:
        self._check(inputs)
        index = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(self._axes(), self.cropping):
            size = inputs.shape[axis]
            if a + b >= size:
                raise ValueError(f"{type(self).__name__} '{self.name}': cropping {(a, b)} "
                                 f"leaves nothing of axis {axis} (size {size}) of input "
                                 f"{tuple(inputs.shape)}")
            index[axis] = slice(a, size - b)
        return getitem(inputs, tuple(index))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(SimpleNamespace(shape=tuple(input_shape)))
        out = list(input_shape)
        for axis, (a, b) in zip(self._axes(), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - a - b
        return tuple(out)


@register()
class Cropping1D(_Cropping):
    """Crops (batch, steps, channels) along the steps: ``cropping=(start, end)``."""

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, None, **kwargs)


@register()
class Cropping2D(_Cropping):
    """Crops images: ``cropping=((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)


@register()
class Cropping3D(_Cropping):
    """Crops volumes along depth, height and width."""

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)


@register()
class ZeroPadding3D(_Spatial):
    """Pads volumes with zeros along depth, height and width."""

    rank = 3
    _key = "padding"

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)

    def call(self, inputs: Tensor) -> Tensor:
        self._check(inputs)
        widths = [(0, 0)] * inputs.ndim
        for axis, p in zip(self._axes(), self.padding):
            widths[axis] = p
        return pad(inputs, tuple(widths))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(SimpleNamespace(shape=tuple(input_shape)))
        out = list(input_shape)
        for axis, (a, b) in zip(self._axes(), self.padding):
            out[axis] = None if out[axis] is None else out[axis] + a + b
        return tuple(out)
