"""``Conv1DTranspose``: the transpose of Conv1D, upsampling (batch, steps, channels)
sequences, with Keras 3's arguments and kernel layout (kernel_size, filters, in_channels).

It runs ``ember.ops.conv.conv2d_transpose`` on a height-1 image, so its forward and backward
are that op's.

Example:
    >>> import ember as em
    >>> em.layers.Conv1DTranspose(4, 3, strides=2, padding="same")(em.ones((2, 5, 3))).shape
    (2, 10, 4)
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers.convolutional import Conv2DTranspose, _tuple, build_transposed
from ember.layers.output_logits import activation_of
from ember.ops import conv as conv_ops
from ember.ops.shape import reshape
from ember.serialization import register


@register()
class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution; ``output_padding`` as Keras (an int < stride)."""

    rank = 1
    layout = "(batch, steps, channels)"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None,
                 dilation_rate: Any = 1, **kwargs: Any) -> None:
        if _tuple(dilation_rate, 1, "dilation_rate", "Conv1DTranspose") != (1,):
            raise ValueError("Conv1DTranspose: dilation_rate > 1 is not supported")
        if str(padding).lower() == "causal":
            raise ValueError("Conv1DTranspose: padding must be 'valid' or 'same'")
        super().__init__(filters, kernel_size, strides, padding, output_padding=None,
                         data_format=data_format, **kwargs)
        self.output_padding = None if output_padding is None else _tuple(
            output_padding, 1, "output_padding", "Conv1DTranspose")

    def build(self, input_shape: tuple) -> None:
        build_transposed(self, input_shape, 3)

    def _conv(self, x: Tensor) -> Tensor:
        x4 = reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
        k4 = reshape(self.kernel, (1,) + tuple(self.kernel.shape))
        op = None if self.output_padding is None else (0,) + self.output_padding
        y = conv_ops.conv2d_transpose(x4, k4, self.bias, (1,) + self.strides, self.padding,
                                      output_padding=op)
        y = reshape(y, (y.shape[0],) + tuple(y.shape[2:]))
        act = activation_of(self)  # None while the trainer takes this output's logits
        return y if act is None else act(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n = input_shape[1]
        op = None if self.output_padding is None else self.output_padding[0]
        steps = None if n is None else conv_ops._transpose_out(
            n, self.kernel_size[0], self.strides[0], 1, self.padding, op)[0]
        return (input_shape[0], steps, self.filters)
