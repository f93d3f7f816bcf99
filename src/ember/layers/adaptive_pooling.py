"""Adaptive pooling layers (Keras 3.15): ``AdaptiveAveragePooling1D/2D/3D`` and
``AdaptiveMaxPooling1D/2D/3D`` pool the spatial axes to a fixed ``output_size`` whatever the
input's size, over Keras' (and PyTorch's) windows ``[floor(i*L/out), ceil((i+1)*L/out))``.

Example:
    >>> import ember as em
    >>> em.layers.AdaptiveAveragePooling2D((3, 3))(em.ones((2, 7, 8, 4))).shape
    (2, 3, 3, 4)
    >>> em.layers.AdaptiveMaxPooling1D(3, data_format="channels_first")(em.ones((2, 4, 7))).shape
    (2, 4, 3)
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.layers.cropping import _format
from ember.ops.adaptive_pool import adaptive_pool
from ember.serialization import register

_NAMES = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
          3: "(batch, depth, height, width, channels)"}


class _AdaptivePooling(Layer):
    rank = 1
    kind = "avg"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cls = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else None
        if sizes is None or len(sizes) != self.rank or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes):
            raise ValueError(f"{cls}: output_size must be a positive int or a tuple of "
                             f"{self.rank} positive ints; got {output_size!r}")
        self.output_size = sizes
        self.data_format = _format(data_format, cls)

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            layout = _NAMES[self.rank]
            if self.data_format == "channels_first":
                layout = layout.replace(", channels)", ")").replace("(batch, ",
                                                                   "(batch, channels, ")
            self._check_rank(inputs, self.rank + 2, layout)
        return adaptive_pool(inputs, self.output_size, self.kind, self.data_format,
                             f"{type(self).__name__} '{self.name}'")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        if self.data_format == "channels_first":
            return (shape[0], shape[1], *self.output_size)
        return (shape[0], *self.output_size, shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": list(self.output_size),
                "data_format": self.data_format}


@register()
class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over adaptive windows of (batch, steps, channels) to ``output_size`` steps.

    Example:
        >>> import ember as em
        >>> em.layers.AdaptiveAveragePooling1D(3)(em.arange(7.0).reshape(1, 7, 1)).reshape(-1)
        tensor([1., 3., 5.])
    """


@register()
class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over adaptive windows of images to ``output_size`` = (height, width).

    Example:
        >>> import ember as em
        >>> em.layers.AdaptiveAveragePooling2D(1)(em.ones((2, 5, 5, 3))).shape
        (2, 1, 1, 3)
    """

    rank = 2


@register()
class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over adaptive windows of volumes to ``output_size`` = (depth, height, width).

    Example:
        >>> import ember as em
        >>> em.layers.AdaptiveAveragePooling3D(2)(em.ones((1, 5, 5, 5, 3))).shape
        (1, 2, 2, 2, 3)
    """

    rank = 3


@register()
class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Maximum over adaptive windows of (batch, steps, channels) to ``output_size`` steps.

    Example:
        >>> import ember as em
        >>> em.layers.AdaptiveMaxPooling1D(3)(em.arange(7.0).reshape(1, 7, 1)).reshape(-1)
        tensor([2., 4., 6.])
    """

    kind = "max"


@register()
class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Maximum over adaptive windows of images to ``output_size`` = (height, width).

    Example:
        >>> import ember as em
        >>> em.layers.AdaptiveMaxPooling2D((2, 3))(em.ones((2, 5, 7, 3))).shape
        (2, 2, 3, 3)
    """

    rank = 2
    kind = "max"


@register()
class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Maximum over adaptive windows of volumes to ``output_size`` = (depth, height, width).

    Example:
        >>> import ember as em
        >>> em.layers.AdaptiveMaxPooling3D(2)(em.ones((1, 5, 5, 5, 3))).shape
        (1, 2, 2, 2, 3)
    """

    rank = 3
    kind = "max"
