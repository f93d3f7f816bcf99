"""``Conv3DTranspose``: the transpose of Conv3D, upsampling (batch, depth, height, width,
channels) volumes, with Keras 3's arguments and kernel layout (kd, kh, kw, filters,
in_channels).

Composed from ``ember.ops.conv.conv2d_transpose``: each depth tap i of the kernel is a 2-D
transposed convolution of every input depth slice (folded into the batch); input slice z
lands on output depth z * stride + i * dilation, so the tap's result is spread out along depth
(zeros between slices for strides > 1), shifted by i * dilation, and the taps are summed; then
the "same" crop and output_padding along depth follow Keras' (TensorFlow's) arithmetic. Every
step is a differentiable op, so the backward is theirs.

Example:
    >>> import ember as em
    >>> em.layers.Conv3DTranspose(4, 3, strides=2, padding="same")(em.ones((1, 2, 3, 3, 2))).shape
    (1, 4, 6, 6, 4)
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers.convolutional import _Conv, build_transposed
from ember.layers.output_logits import activation_of
from ember.ops import conv as conv_ops
from ember.ops.shape import getitem, pad, reshape
from ember.serialization import register


@register()
class Conv3DTranspose(_Conv):
    """Transposed 3-D convolution; ``Conv3DTranspose(filters, kernel_size, strides=(1, 1, 1),
    padding="valid", output_padding=None, dilation_rate=(1, 1, 1), activation=None, ...)``."""

    rank = 3
    layout = "(batch, depth, height, width, channels)"
    _fuses_relu = False

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 output_padding: Any = None, dilation_rate: Any = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        # strides > 1 together with dilation > 1 is refused by _Conv, as Keras does
        super().__init__(filters, kernel_size, strides, padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.output_padding = None if output_padding is None else _tuple_nonneg(
            output_padding, "Conv3DTranspose")
        if self.output_padding is not None:
            for p, s, d in zip(self.output_padding, self.strides, self.dilation_rate):
                if p >= max(s, d):
                    raise ValueError(f"Conv3DTranspose: output_padding {self.output_padding} "
                                     f"must be smaller than the strides {self.strides} (or "
                                     f"dilation {self.dilation_rate}) on every axis")

    def build(self, input_shape: tuple) -> None:
        build_transposed(self, input_shape, 5)

    def _conv(self, x: Tensor) -> Tensor:
        b, depth = x.shape[0], x.shape[1]
        kd, sd, dd = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        op = self.output_padding
        out_d, top = conv_ops._transpose_out(depth, kd, sd, dd, self.padding,
                                             None if op is None else op[0])
        canvas = max((depth - 1) * sd + (kd - 1) * dd + 1, top + out_d)
        folded = reshape(x, (b * depth,) + tuple(x.shape[2:]))
        y = None
        for i in range(kd):
            plane = conv_ops.conv2d_transpose(folded, getitem(self.kernel, i), None,
                                              self.strides[1:], self.padding,
                                              None if op is None else op[1:],
                                              self.dilation_rate[1:])
            rest = tuple(plane.shape[1:])
            # input slice z goes to depth z * sd: interleave sd - 1 zero slices after each one
            spread = reshape(plane, (b, depth, 1) + rest)
            spread = pad(spread, ((0, 0), (0, 0), (0, sd - 1)) + ((0, 0),) * 3)
            spread = reshape(spread, (b, depth * sd) + rest)
            length = depth * sd + i * dd
            spread = pad(spread, ((0, 0), (i * dd, max(canvas - length, 0))) + ((0, 0),) * 3)
            spread = getitem(spread, (slice(None), slice(0, canvas)))  # drops zeros only
            y = spread if y is None else y + spread
        y = getitem(y, (slice(None), slice(top, top + out_d)))
        y = y if self.bias is None else y + self.bias
        act = activation_of(self)  # None while the trainer takes this output's logits
        return y if act is None else act(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        out = []
        for i, (n, k, s, d) in enumerate(zip(shape[1:4], self.kernel_size, self.strides,
                                             self.dilation_rate)):
            op = None if self.output_padding is None else self.output_padding[i]
            out.append(None if n is None else
                       conv_ops._transpose_out(n, k, s, d, self.padding, op)[0])
        return (shape[0], *out, self.filters)

    def get_config(self) -> dict:
        out_pad = None if self.output_padding is None else list(self.output_padding)
        return {**super().get_config(), "output_padding": out_pad}


def _tuple_nonneg(value: Any, layer: str) -> tuple:
    vals = (value,) * 3 if isinstance(value, int) and not isinstance(value, bool) \
        else tuple(value)
    if len(vals) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                 for v in vals):
        raise ValueError(f"{layer}: output_padding must be None, a non-negative int or 3 of "
                         f"them; got {value!r}")
    return vals


__all__ = ["Conv3DTranspose"]
