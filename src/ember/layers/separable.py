"""Depthwise-separable convolutions of Keras 3: ``SeparableConv1D``, ``SeparableConv2D`` and
``DepthwiseConv1D`` (``DepthwiseConv2D`` is in ``layers/depthwise.py``).

A separable convolution is a depthwise convolution (each input channel filtered by its own
``depth_multiplier`` kernels) followed by a 1x1 "pointwise" convolution mixing the channels;
then bias and activation. Weights have Keras' layouts and order: depthwise_kernel
(k..., in_channels, depth_multiplier), pointwise_kernel (1..., in_channels *
depth_multiplier, filters), bias (filters,). The 1-D layers run the 2-D ones on a height-1
image. Channels last.

Example:
    >>> import ember as em
    >>> conv = em.layers.SeparableConv2D(8, 3, padding="same", depth_multiplier=2)
    >>> conv(em.ones((1, 6, 6, 3))).shape, conv.pointwise_kernel.shape
    ((1, 6, 6, 8), (1, 1, 6, 8))
    >>> em.layers.DepthwiseConv1D(3)(em.ones((2, 10, 4))).shape
    (2, 8, 4)
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.convolutional import _conv_size, _tuple
from ember.layers.depthwise import depthwise_conv2d
from ember.ops import conv as conv_ops
from ember.ops.shape import reshape
from ember.serialization import register


class _DepthwiseBase(Layer):
    """Arguments, checks and config shared by the depthwise and separable layers."""

    rank = 2
    separable = False

    def __init__(self, filters: int | None, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        if self.separable and (isinstance(filters, bool) or not isinstance(filters, int)
                               or filters <= 0):
            raise ValueError(f"{who}: filters must be a positive integer; got {filters!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{who}: only data_format='channels_last' is supported; got "
                             f"{data_format!r}")
        padding = str(padding).lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid' or 'same'; got {padding!r}")
        if isinstance(depth_multiplier, bool) or not isinstance(depth_multiplier, int) or \
                depth_multiplier < 1:
            raise ValueError(f"{who}: depth_multiplier must be a positive int; got "
                             f"{depth_multiplier!r}")
        self.filters = filters
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", who)
        self.strides = _tuple(strides, self.rank, "strides", who)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported")
        self.padding = padding
        self.depth_multiplier = depth_multiplier
        self.activation = _config.get_activation(activation)
        self.use_bias = bool(use_bias)
        g = _config
        self.depthwise_initializer = g.get_initializer(depthwise_initializer)
        self.pointwise_initializer = g.get_initializer(pointwise_initializer)
        self.bias_initializer = g.get_initializer(bias_initializer)
        self.depthwise_regularizer = g.get_regularizer(depthwise_regularizer)
        self.pointwise_regularizer = g.get_regularizer(pointwise_regularizer)
        self.bias_regularizer = g.get_regularizer(bias_regularizer)
        self.depthwise_constraint = g.get_constraint(depthwise_constraint)
        self.pointwise_constraint = g.get_constraint(pointwise_constraint)
        self.bias_constraint = g.get_constraint(bias_constraint)

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        layout = "(batch, steps, channels)" if self.rank == 1 else \
            "(batch, height, width, channels)"
        if len(shape) != self.rank + 2 or shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': expects {layout} with known "
                             f"channels; got {shape}")
        cin, m = int(shape[-1]), self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (cin, m), self.depthwise_initializer,
            self.depthwise_regularizer, constraint=self.depthwise_constraint)
        out = cin * m
        if self.separable:
            out = self.filters
            self.pointwise_kernel = self.add_weight(
                "pointwise_kernel", (1,) * self.rank + (cin * m, out),
                self.pointwise_initializer, self.pointwise_regularizer,
                constraint=self.pointwise_constraint)
        self.bias = self.add_weight("bias", (out,), self.bias_initializer,
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            self._check_rank(inputs, self.rank + 2, "(batch, steps, channels)" if self.rank == 1
                             else "(batch, height, width, channels)")
        x, kernel = inputs, self.depthwise_kernel
        strides, dilation = self.strides, self.dilation_rate
        if self.rank == 1:  # a height-1 image
            x = reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
            kernel = reshape(kernel, (1,) + tuple(kernel.shape))
            strides, dilation = (1,) + strides, (1,) + dilation
        y = depthwise_conv2d(x, kernel, strides, self.padding, dilation,
                             f"{type(self).__name__} '{self.name}'")
        if self.separable:
            pw = self.pointwise_kernel
            if self.rank == 1:
                pw = reshape(pw, (1,) + tuple(pw.shape))
            y = conv_ops.conv2d(y, pw, self.bias, (1, 1), "valid", (1, 1), False)
        elif self.bias is not None:
            y = y + self.bias
        if self.rank == 1:
            y = reshape(y, (y.shape[0],) + tuple(y.shape[2:]))
        return self.activation(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        spatial = tuple(_conv_size(n, k, s, d, self.padding) for n, k, s, d in zip(
            shape[1:-1], self.kernel_size, self.strides, self.dilation_rate))
        if self.separable:
            channels = self.filters
        else:
            channels = None if shape[-1] is None else shape[-1] * self.depth_multiplier
        return (shape[0],) + spatial + (channels,)

    def get_config(self) -> dict:
        s = _config.serialize
        config = {**super().get_config(), "kernel_size": list(self.kernel_size),
                  "strides": list(self.strides), "padding": self.padding,
                  "data_format": "channels_last", "dilation_rate": list(self.dilation_rate),
                  "depth_multiplier": self.depth_multiplier,
                  "activation": s(self.activation), "use_bias": self.use_bias,
                  "depthwise_initializer": s(self.depthwise_initializer),
                  "bias_initializer": s(self.bias_initializer),
                  "depthwise_regularizer": s(self.depthwise_regularizer),
                  "bias_regularizer": s(self.bias_regularizer),
                  "activity_regularizer": s(self.activity_regularizer),
                  "depthwise_constraint": s(self.depthwise_constraint),
                  "bias_constraint": s(self.bias_constraint)}
        if self.separable:
            config.update({"filters": self.filters,
                           "pointwise_initializer": s(self.pointwise_initializer),
                           "pointwise_regularizer": s(self.pointwise_regularizer),
                           "pointwise_constraint": s(self.pointwise_constraint)})
        return config


@register()
class SeparableConv2D(_DepthwiseBase):
    """Depthwise then pointwise 2-D convolution (Xception, MobileNet)."""

    separable = True


@register()
class SeparableConv1D(_DepthwiseBase):
    """Depthwise then pointwise 1-D convolution over (batch, steps, channels)."""

    rank = 1
    separable = True


@register()
class DepthwiseConv1D(_DepthwiseBase):
    """Each channel of (batch, steps, channels) convolved with its own kernels:
    ``DepthwiseConv1D(kernel_size, strides=1, padding="valid", depth_multiplier=1, ...)``."""

    rank = 1

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, **kwargs: Any) -> None:
        for key in ("pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"):
            if key in kwargs:
                raise TypeError(f"DepthwiseConv1D: unexpected keyword argument {key!r}")
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, **kwargs)
