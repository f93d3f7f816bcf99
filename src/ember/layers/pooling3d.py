"""3-D pooling and upsampling of volumes: ``MaxPooling3D``, ``AveragePooling3D``,
``GlobalMaxPooling3D``, ``GlobalAveragePooling3D``, ``UpSampling3D`` (Keras 3's layers, with
``data_format="channels_last"`` (batch, depth, height, width, channels) or
``"channels_first"`` (batch, channels, depth, height, width)).

channels_first input is moved to channels_last for the pooling op and moved back (a
transpose each way, differentiable), so one op serves both layouts.

Example:
    >>> import ember as em
    >>> em.layers.MaxPooling3D(2)(em.ones((2, 4, 6, 6, 3))).shape
    (2, 2, 3, 3, 3)
    >>> pool = em.layers.GlobalAveragePooling3D(data_format="channels_first")
    >>> pool(em.ones((2, 3, 4, 4, 4))).shape
    (2, 3)
"""

from __future__ import annotations

from typing import Any

from ember import ops
from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.layers.convolutional import _tuple as _ints
from ember.layers.cropping import _format
from ember.ops import pool_nd
from ember.ops.shape import broadcast_to, reshape, transpose
from ember.serialization import register

_LAST = "(batch, depth, height, width, channels)"
_FIRST = "(batch, channels, depth, height, width)"


def _to_last(x: Tensor) -> Tensor:
    return transpose(x, (0, 2, 3, 4, 1))


def _to_first(x: Tensor) -> Tensor:
    return transpose(x, (0, 4, 1, 2, 3))


class _Volume(Layer):
    """Shared: the data_format, the 5-D check, the spatial axes of a shape."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _format(data_format, type(self).__name__)

    def _check(self, inputs: Any) -> None:
        if len(inputs.shape) != 5:
            self._check_rank(inputs, 5, _FIRST if self.data_format == "channels_first"
                             else _LAST)

    def _split(self, shape: tuple) -> tuple:
        """(batch, spatial, channels) of an input shape in this layer's data_format."""
        shape = tuple(shape)
        if self.data_format == "channels_first":
            return shape[0], shape[2:], shape[1]
        return shape[0], shape[1:4], shape[4]

    def _join(self, batch: Any, spatial: tuple, channels: Any) -> tuple:
        if self.data_format == "channels_first":
            return (batch, channels, *spatial)
        return (batch, *spatial, channels)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class _Pooling3D(_Volume):
    kind = "max"

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, name=name, **kwargs)
        cls = type(self).__name__
        self.pool_size = _ints(pool_size, 3, "pool_size", cls)
        self.strides = self.pool_size if strides is None else _ints(strides, 3, "strides", cls)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{cls}: padding must be 'valid' or 'same'; got {padding!r}")

    def call(self, inputs: Tensor) -> Tensor:
        self._check(inputs)
        first = self.data_format == "channels_first"
        x = _to_last(inputs) if first else inputs
        y = pool_nd.pool_nd(x, self.pool_size, self.strides, self.padding, self.kind,
                            f"{type(self).__name__} '{self.name}'")
        return _to_first(y) if first else y

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, spatial, c = self._split(input_shape)
        out = tuple(None if n is None else (-(-n // s) if self.padding == "same"
                                            else (n - k) // s + 1)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        return self._join(b, out, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


@register()
class MaxPooling3D(_Pooling3D):
    """Maximum of each pool_size window (default 2x2x2, strides = pool_size).

    Example:
        >>> import ember as em
        >>> em.layers.MaxPooling3D((1, 2, 2), padding="same")(em.ones((1, 3, 5, 5, 2))).shape
        (1, 3, 3, 3, 2)
    """


@register()
class AveragePooling3D(_Pooling3D):
    """Mean of each pool_size window (default 2x2x2); "same" averages the real cells only.

    Example:
        >>> import ember as em
        >>> em.layers.AveragePooling3D(2)(em.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    kind = "avg"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        # Keras 3 gives AveragePooling3D no default pool_size (MaxPooling3D has (2, 2, 2))
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class _GlobalPooling3D(_Volume):
    reduce = "mean"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.keepdims = bool(keepdims)

    def call(self, inputs: Tensor) -> Tensor:
        self._check(inputs)
        axes = (2, 3, 4) if self.data_format == "channels_first" else (1, 2, 3)
        return getattr(ops, self.reduce)(inputs, axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, _, c = self._split(input_shape)
        return self._join(b, (1, 1, 1), c) if self.keepdims else (b, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "keepdims": self.keepdims}


@register()
class GlobalAveragePooling3D(_GlobalPooling3D):
    """Mean over depth, height and width: (batch, d, h, w, c) -> (batch, c).

    Example:
        >>> import ember as em
        >>> em.layers.GlobalAveragePooling3D(keepdims=True)(em.ones((2, 3, 3, 3, 4))).shape
        (2, 1, 1, 1, 4)
    """


@register()
class GlobalMaxPooling3D(_GlobalPooling3D):
    """Maximum over depth, height and width: (batch, d, h, w, c) -> (batch, c).

    Example:
        >>> import ember as em
        >>> em.layers.GlobalMaxPooling3D()(em.ones((2, 3, 3, 3, 4))).shape
        (2, 4)
    """

    reduce = "max"


@register()
class UpSampling3D(_Volume):
    """Repeat each cell ``size`` = (sd, sh, sw) times along depth, height and width.

    Example:
        >>> import ember as em
        >>> em.layers.UpSampling3D((1, 2, 3))(em.ones((1, 2, 2, 2, 1))).shape
        (1, 2, 4, 6, 1)
    """

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.size = _ints(size, 3, "size", "UpSampling3D")

    def call(self, inputs: Tensor) -> Tensor:
        self._check(inputs)
        first = self.data_format == "channels_first"
        x = _to_last(inputs) if first else inputs
        n, d, h, w, c = x.shape
        sd, sh, sw = self.size
        # a broadcast over new unit axes then a reshape: gradients of any order come free
        wide = broadcast_to(reshape(x, (n, d, 1, h, 1, w, 1, c)), (n, d, sd, h, sh, w, sw, c))
        y = reshape(wide, (n, d * sd, h * sh, w * sw, c))
        return _to_first(y) if first else y

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, spatial, c = self._split(input_shape)
        return self._join(b, tuple(None if n is None else n * s
                                   for n, s in zip(spatial, self.size)), c)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": list(self.size)}
