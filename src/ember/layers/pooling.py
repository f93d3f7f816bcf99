"""Pooling, upsampling and padding layers for channels-last images and sequences.

Example:
    >>> import ember as em
    >>> em.layers.MaxPooling2D(2)(em.ones((2, 26, 26, 32))).shape
    (2, 13, 13, 32)
    >>> em.layers.GlobalAveragePooling2D()(em.ones((2, 5, 5, 8))).shape
    (2, 8)
"""

from __future__ import annotations

from typing import Any

from ember import ops
from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.layers.convolutional import _tuple as _ints
from ember.ops import pool as pool_ops
from ember.serialization import register


def _channels_last(data_format: Any, layer: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' is supported; got "
                         f"{data_format!r}")


def _pooled(size: int | None, k: int, s: int, padding: str) -> int | None:
    if size is None:
        return None
    return -(-size // s) if padding == "same" else (size - k) // s + 1


class _Pooling(Layer):
    rank = 2
    kind = "max"
    layout = "(batch, height, width, channels)"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cls = type(self).__name__
        _channels_last(data_format, cls)
        self.pool_size = _ints(pool_size, self.rank, "pool_size", cls)
        self.strides = self.pool_size if strides is None else _ints(strides, self.rank,
                                                                    "strides", cls)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{cls}: padding must be 'valid' or 'same'; got {padding!r}")

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            self._check_rank(inputs, self.rank + 2, self.layout)
        fn = getattr(pool_ops, f"{self.kind}_pool{self.rank}d")
        if self.rank == 1:
            return fn(inputs, self.pool_size[0], self.strides[0], self.padding)
        return fn(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        spatial = tuple(_pooled(n, k, s, self.padding)
                        for n, k, s in zip(shape[1:-1], self.pool_size, self.strides))
        return (shape[0], *spatial, shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


@register()
class MaxPooling2D(_Pooling):
    """Maximum of each pool_size window (default 2x2, stride = pool_size)."""


@register()
class AveragePooling2D(_Pooling):
    """Mean of each pool_size window (default 2x2, stride = pool_size)."""

    kind = "avg"


@register()
class MaxPooling1D(_Pooling):
    """Maximum over windows of (batch, steps, channels) sequences."""

    rank = 1
    layout = "(batch, steps, channels)"


@register()
class AveragePooling1D(_Pooling):
    """Mean over windows of (batch, steps, channels) sequences."""

    rank = 1
    kind = "avg"
    layout = "(batch, steps, channels)"


class _GlobalPooling(Layer):
    rank = 2
    reduce = "mean"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _channels_last(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            layout = "(batch, height, width, channels)" if self.rank == 2 else \
                "(batch, steps, channels)"
            self._check_rank(inputs, self.rank + 2, layout)
        axes = tuple(range(1, self.rank + 1))
        return getattr(ops, self.reduce)(inputs, axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        if self.keepdims:
            return (shape[0],) + (1,) * self.rank + (shape[-1],)
        return (shape[0], shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "keepdims": self.keepdims}


@register()
class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, h, w, c) -> (batch, c)."""


@register()
class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: (batch, h, w, c) -> (batch, c)."""

    reduce = "max"


@register()
class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over steps: (batch, steps, c) -> (batch, c). With a padding mask (from
    Embedding(mask_zero=True) or Masking upstream), the mean of the real steps only, as Keras."""

    rank = 1
    supports_masking = True

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        self._check_rank(inputs, 3, "(batch, steps, channels)")
        m = (mask.data if isinstance(mask, Tensor) else mask)[:, :, None].astype(bool)
        kept = ops.where(m, inputs, 0.0)
        count = m.astype(inputs.data.dtype).sum(axis=1, keepdims=self.keepdims)
        return ops.sum(kept, axis=1, keepdims=self.keepdims) / count

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None  # the steps are gone


@register()
class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over steps: (batch, steps, c) -> (batch, c)."""

    rank = 1
    reduce = "max"


@register()
class UpSampling2D(Layer):
    """Repeat rows and columns ``size`` times ("nearest") or interpolate ("bilinear")."""

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _channels_last(data_format, "UpSampling2D")
        self.size = _ints(size, 2, "size", "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear'; got "
                             f"{interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs: Tensor) -> Tensor:
        return pool_ops.upsample2d(inputs, self.size, self.interpolation)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n, h, w, c = tuple(input_shape)
        return (n, None if h is None else h * self.size[0],
                None if w is None else w * self.size[1], c)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": list(self.size),
                "interpolation": self.interpolation}


@register()
class UpSampling1D(Layer):
    """Repeat each step ``size`` times."""

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = _ints(size, 1, "size", "UpSampling1D")[0]

    def call(self, inputs: Tensor) -> Tensor:
        return pool_ops.upsample1d(inputs, self.size)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n, steps, c = tuple(input_shape)
        return (n, None if steps is None else steps * self.size, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


def _pad_pairs(padding: Any, n: int, layer: str) -> tuple:
    if isinstance(padding, int):
        return ((padding, padding),) * n
    padding = tuple(padding)
    if len(padding) == n and all(isinstance(p, int) for p in padding):
        return tuple((p, p) for p in padding)
    if len(padding) == n and all(len(tuple(p)) == 2 for p in padding):
        return tuple(tuple(int(v) for v in p) for p in padding)
    raise ValueError(f"{layer}: padding must be an int, {n} ints, or {n} (before, after) "
                     f"pairs; got {padding!r}")


@register()
class ZeroPadding2D(Layer):
    """Add rows and columns of zeros: padding=1, (ph, pw) or ((top, bottom), (left, right))."""

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _channels_last(data_format, "ZeroPadding2D")
        self.padding = _pad_pairs(padding, 2, "ZeroPadding2D")

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != 4:
            self._check_rank(inputs, 4, "(batch, height, width, channels)")
        return ops.pad(inputs, ((0, 0), *self.padding, (0, 0)))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n, h, w, c = tuple(input_shape)
        (t, b), (left, r) = self.padding
        return (n, None if h is None else h + t + b, None if w is None else w + left + r, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


@register()
class ZeroPadding1D(Layer):
    """Add zero steps at the start and end of (batch, steps, channels) sequences."""

    def __init__(self, padding: Any = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = _pad_pairs((padding,) if isinstance(padding, int) else (padding,), 1,
                                  "ZeroPadding1D")[0]

    def call(self, inputs: Tensor) -> Tensor:
        return ops.pad(inputs, ((0, 0), self.padding, (0, 0)))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n, steps, c = tuple(input_shape)
        return (n, None if steps is None else steps + sum(self.padding), c)

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": list(self.padding)}
