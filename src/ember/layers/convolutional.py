"""Convolution layers, channels-last as Keras: Conv2D, Conv1D, Conv2DTranspose.

Each output pixel is ``activation(sum(patch * kernel) + bias)``, computed for the whole batch as
one matrix product over strided patch views (see ``ember.ops.conv``). Kernels have Keras'
layout (kh, kw, in_channels, filters), so weights can be exchanged with Keras.

Example:
    >>> import ember as em
    >>> conv = em.layers.Conv2D(32, 3, activation="relu")
    >>> conv(em.ones((2, 28, 28, 1))).shape
    (2, 26, 26, 32)
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.output_logits import activation_of
from ember.ops import conv as conv_ops
from ember.serialization import register


def _tuple(value: Any, n: int, what: str, layer: str) -> tuple:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    value = tuple(value)
    if len(value) != n or not all(isinstance(v, int) and v > 0 for v in value):
        raise ValueError(f"{layer}: {what} must be an int or {n} positive ints; got {value!r}")
    return value


def _conv_size(size: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // s)
    return (size - (k - 1) * d - 1) // s + 1


class _Conv(Layer):
    """What Conv1D and Conv2D share: validation, weights, config."""

    holds_back_activation = True  # every _conv ends in activation_of(self)

    rank = 2
    layout = "(batch, height, width, channels)"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{cls}: filters must be a positive integer; got {filters!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{cls}: only data_format='channels_last' (N, ..., C) is supported; "
                             f"got {data_format!r} — transpose the input instead")
        if groups != 1:
            raise ValueError(f"{cls}: groups={groups} is not supported (only 1)")
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        padding = str(padding).lower()
        if padding not in allowed:
            raise ValueError(f"{cls}: padding must be one of {allowed}; got {padding!r}")
        self.filters = filters
        self.kernel_size = _tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = _tuple(strides, self.rank, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, self.rank, "dilation_rate", cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls}: strides > 1 together with dilation_rate > 1 is not "
                             "supported (as in Keras)")
        self.padding = padding
        self.activation = _config.get_activation(activation)
        self.use_bias = bool(use_bias)
        _config.set_kernel_bias_options(
            self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)

    def _check_shape(self, shape: tuple) -> None:
        if len(shape) != self.rank + 2:
            self._check_rank(_Shaped(shape), self.rank + 2, self.layout)
        if shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of channels (last "
                             f"axis) must be known; got {shape}")
        for size, k, d, axis in zip(shape[1:-1], self.kernel_size, self.dilation_rate,
                                    ("height", "width") if self.rank == 2 else ("length",)):
            span = (k - 1) * d + 1
            if size is not None and self.padding == "valid" and size < span:
                raise ValueError(f"{type(self).__name__} '{self.name}': the kernel spans {span} "
                                 f"along {axis} but the input has only {size} (input shape "
                                 f"{shape}); use padding='same' or a smaller kernel")

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        self._check_shape(shape)
        cin = int(shape[-1])
        self.kernel = self.add_weight("kernel", self.kernel_size + (cin, self.filters),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self._expect_features(-1, cin, "channels", min_ndim=self.rank + 2)

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self.rank + 2:
            self._check_rank(inputs, self.rank + 2, self.layout)
        # the op applies the activation, fusing the ones it knows (relu) into its node
        return self._conv(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        spatial = tuple(_conv_size(n, k, s, d, self.padding) for n, k, s, d in
                        zip(shape[1:-1], self.kernel_size, self.strides, self.dilation_rate))
        return (shape[0],) + spatial + (self.filters,)

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "dilation_rate": list(self.dilation_rate),
                "activation": s(self.activation), "use_bias": self.use_bias,
                **_config.kernel_bias_config(self)}


class _Shaped:
    """A stand-in with only ``.shape``, for rank checks on build shapes."""

    def __init__(self, shape: tuple) -> None:
        self.shape = shape


@register()
class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels) images.

    ``Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
    activation=None, use_bias=True, ...)`` with Keras' defaults; "same" padding keeps
    ceil(size / stride) outputs, putting an odd extra pad at the bottom/right like TensorFlow.
    """

    rank = 2
    layout = "(batch, height, width, channels)"

    def _conv(self, x: Tensor) -> Tensor:
        return conv_ops.conv2d(x, self.kernel, self.bias, self.strides, self.padding,
                               self.dilation_rate, activation=activation_of(self))


@register()
class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels) sequences; padding "valid", "same" or
    "causal" (output t sees inputs up to t only)."""

    rank = 1
    layout = "(batch, steps, channels)"

    def _conv(self, x: Tensor) -> Tensor:
        return conv_ops.conv1d(x, self.kernel, self.bias, self.strides[0], self.padding,
                               self.dilation_rate[0], activation=activation_of(self))


def build_transposed(layer: _Conv, input_shape: tuple, ndim: int) -> None:
    """The weights of a transposed convolution over inputs of rank ``ndim`` (channels last):
    ``kernel`` (k..., filters, in_channels), Keras' layout for these layers, and ``bias``
    (filters,); shared by Conv1DTranspose, Conv2DTranspose and Conv3DTranspose."""
    shape = tuple(input_shape)
    if len(shape) != ndim:
        layer._check_rank(_Shaped(shape), ndim, layer.layout)
    cin = int(shape[-1])
    layer.kernel = layer.add_weight("kernel", layer.kernel_size + (layer.filters, cin),
                                    layer.kernel_initializer, layer.kernel_regularizer,
                                    constraint=layer.kernel_constraint)
    layer.bias = layer.add_weight("bias", (layer.filters,), layer.bias_initializer,
                                  layer.bias_regularizer, constraint=layer.bias_constraint) \
        if layer.use_bias else None
    layer._expect_features(-1, cin, "channels", min_ndim=ndim)


@register()
class Conv2DTranspose(_Conv):
    """The transpose (gradient) of Conv2D: upsamples (batch, height, width, channels) images.

    The kernel has Keras' layout (kh, kw, filters, in_channels).
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, **kwargs)
        if max(self.dilation_rate) > 1:
            raise ValueError("Conv2DTranspose: dilation_rate > 1 is not supported")
        self.output_padding = None if output_padding is None else _tuple(
            output_padding, 2, "output_padding", "Conv2DTranspose")

    def build(self, input_shape: tuple) -> None:
        build_transposed(self, input_shape, 4)

    def _conv(self, x: Tensor) -> Tensor:
        return conv_ops.conv2d_transpose(x, self.kernel, self.bias, self.strides, self.padding,
                                         output_padding=self.output_padding,
                                         activation=activation_of(self))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        out = []
        for i, (n, k, s) in enumerate(zip(shape[1:3], self.kernel_size, self.strides)):
            op = None if self.output_padding is None else self.output_padding[i]
            out.append(None if n is None else
                       conv_ops._transpose_out(n, k, s, 1, self.padding, op)[0])
        return (shape[0], *out, self.filters)

    def get_config(self) -> dict:
        out_pad = None if self.output_padding is None else list(self.output_padding)
        return {**super().get_config(), "output_padding": out_pad}
