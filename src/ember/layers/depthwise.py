"""``DepthwiseConv2D`` (each channel convolved with its own kernels, as in MobileNet) and the
``ReLU`` layer (``max_value``, ``negative_slope``, ``threshold``: ReLU6 is ``ReLU(6.0)``).

The depthwise convolution is composed from differentiable tensor ops — one strided slice of
the (padded) input per kernel position, scaled per channel and summed — so it needs no
backward of its own and is differentiable twice. A 3x3 kernel is 9 slices: cheap next to the
pointwise convolutions around it in MobileNetV2.

Example:
    >>> import ember as em
    >>> em.layers.DepthwiseConv2D(3, padding="same")(em.ones((1, 5, 5, 2))).shape
    (1, 5, 5, 2)
    >>> em.layers.ReLU(6.0)(em.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.convolutional import _conv_size, _tuple
from ember.ops.elementwise import clip, where
from ember.ops.shape import getitem, pad, reshape
from ember.serialization import register


@register()
class DepthwiseConv2D(Layer):
    """Keras' DepthwiseConv2D: kernel (kh, kw, channels, depth_multiplier), channels last."""

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        who = "DepthwiseConv2D"
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size", who)
        self.strides = _tuple(strides, 2, "strides", who)
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate", who)
        if padding not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid' or 'same'; got {padding!r}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported")
        if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
            raise ValueError(f"{who}: depth_multiplier must be a positive int; got "
                             f"{depth_multiplier!r}")
        self.padding = padding
        self.depth_multiplier = depth_multiplier
        self.activation = _config.get_activation(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = _config.get_initializer(depthwise_initializer)
        self.bias_initializer = _config.get_initializer(bias_initializer)
        self.depthwise_regularizer = _config.get_regularizer(depthwise_regularizer)
        self.bias_regularizer = _config.get_regularizer(bias_regularizer)
        self.depthwise_constraint = _config.get_constraint(depthwise_constraint)
        self.bias_constraint = _config.get_constraint(bias_constraint)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"DepthwiseConv2D '{self.name}': expects (batch, height, width, "
                             f"channels) with known channels; got {tuple(input_shape)}")
        channels = int(input_shape[-1])
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.bias = self.add_weight("bias", (channels * self.depth_multiplier,),
                                    self.bias_initializer, self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, inputs: Tensor) -> Tensor:
        y = depthwise_conv2d(inputs, self.depthwise_kernel, self.strides, self.padding,
                             self.dilation_rate, f"DepthwiseConv2D '{self.name}'")
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        spatial = tuple(_conv_size(n, k, s, d, self.padding) for n, k, s, d in zip(
            input_shape[1:3], self.kernel_size, self.strides, self.dilation_rate))
        channels = None if input_shape[-1] is None else input_shape[-1] * self.depth_multiplier
        return (input_shape[0],) + spatial + (channels,)

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "depth_multiplier": self.depth_multiplier,
                "dilation_rate": list(self.dilation_rate), "activation": s(self.activation),
                "use_bias": self.use_bias,
                "depthwise_initializer": s(self.depthwise_initializer),
                "bias_initializer": s(self.bias_initializer),
                "depthwise_regularizer": s(self.depthwise_regularizer),
                "bias_regularizer": s(self.bias_regularizer),
                "depthwise_constraint": s(self.depthwise_constraint),
                "bias_constraint": s(self.bias_constraint)}


def depthwise_conv2d(inputs: Tensor, kernel: Tensor, strides: tuple, padding: str,
                     dilation_rate: tuple, who: str) -> Tensor:
    """Each channel of (B, H, W, C) convolved with its own ``kernel[..., c, :]`` filters
    (kernel (kh, kw, C, M)): (B, H', W', C * M), no bias. Composed from strided slices."""
    kh, kw, _, depth_multiplier = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation_rate
    x = inputs
    if padding == "same":  # TensorFlow's rule: the odd pixel goes at the end
        pads = [_same_pad(n, k, s, d) for n, k, s, d in
                zip(inputs.shape[1:3], (kh, kw), strides, dilation_rate)]
        x = pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out_h = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    out_w = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{who}: input {tuple(inputs.shape)} is smaller than the kernel "
                         f"{(kh, kw)}")
    if depth_multiplier > 1:  # (B, H, W, C) -> (B, H, W, C * M), each channel M times
        b, h, w, c = x.shape
        x = reshape(getitem(reshape(x, (b, h, w, c, 1)),
                            (slice(None),) * 4 + ([0] * depth_multiplier,)),
                    (b, h, w, c * depth_multiplier))
    flat = reshape(kernel, (kh, kw, -1))
    y = None
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw)
            term = getitem(x, (slice(None), rows, cols)) * getitem(flat, (i, j))
            y = term if y is None else y + term
    return y


def _same_pad(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    span = d * (k - 1) + 1
    out = -(-size // s)
    total = max((out - 1) * s + span - size, 0)
    return total // 2, total - total // 2


@register()
class ReLU(Layer):
    """Keras' ReLU layer: ``x`` above ``threshold`` (capped at ``max_value``), else
    ``negative_slope * (x - threshold)``."""

    supports_masking = True  # elementwise: the padding mask passes (Keras)

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be >= 0 or None; got {max_value!r}")
        if negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0; got {negative_slope!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs: Tensor) -> Tensor:
        above = inputs if self.max_value is None else clip(inputs, None, self.max_value)
        below = (inputs - self.threshold) * self.negative_slope if self.negative_slope else \
            inputs * 0.0 + 0.0  # +0.0: a plain zero, not -0.0, below the threshold
        return where(inputs.data > self.threshold, above, below)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}
