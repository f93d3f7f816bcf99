"""ONNX converters for Conv2DTranspose, DepthwiseConv2D, ZeroPadding1D/2D, UpSampling1D/2D,
Bidirectional and the activation layers (ReLU, LeakyReLU, ELU, PReLU, Softmax), registered by
class name in ``converters.CONVERTERS``.

Layouts: ember's kernels are Keras' (Conv2DTranspose (kh, kw, filters, in); DepthwiseConv2D
(kh, kw, channels, multiplier)); ONNX's ConvTranspose wants (in, filters, kh, kw) and a
grouped Conv (channels * multiplier, 1, kh, kw), output channel ``c * multiplier + m`` as
Keras orders them. Keras' transposed-convolution output size is reached with explicit pads
(the rows it crops) and ``output_padding`` (rows it adds), both independent of the input size.
A Bidirectional layer becomes its forward op and a ``direction="reverse"`` op, whose outputs
ONNX already aligns with the input's time order (what Bidirectional does when it flips the
backward sequence back).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.onnx.converters import (
    Context,
    _channels_first,
    _channels_last,
    _pads,
    _weight,
    activation,
    register_converter,
)


def conv2d_transpose(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    from ember.ops.conv import _transpose_out

    kernel = _weight(layer.kernel)  # (kh, kw, filters, in) -> (in, filters, kh, kw)
    pads_begin, pads_end, out_pad = [], [], []
    for i, (k, s) in enumerate(zip(layer.kernel_size, layer.strides)):
        op = None if layer.output_padding is None else layer.output_padding[i]
        size = 7  # any input size: the crop and the extra rows do not depend on it
        length, start = _transpose_out(size, k, s, 1, layer.padding, op)
        end = (size - 1) * s + k - start - length  # rows cropped at the end (< 0: added)
        pads_begin.append(start)
        pads_end.append(max(end, 0))
        out_pad.append(max(-end, 0))
    inputs = [_channels_first(ctx, xs[0], 4),
              ctx.const(kernel.transpose(3, 2, 0, 1).copy(), layer.name + "_W")]
    if layer.bias is not None:
        inputs.append(ctx.const(_weight(layer.bias), layer.name + "_B"))
    y = ctx.op("ConvTranspose", inputs, layer.name, strides=list(layer.strides),
               pads=pads_begin + pads_end, output_padding=out_pad)
    return activation(ctx, _channels_last(ctx, y, 4), layer.activation, layer.name)


def depthwise_conv2d(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    kernel = _weight(layer.depthwise_kernel)  # (kh, kw, C, M) -> (C * M, 1, kh, kw)
    kh, kw, channels, mult = kernel.shape
    w = kernel.transpose(2, 3, 0, 1).reshape(channels * mult, 1, kh, kw).copy()
    inputs = [_channels_first(ctx, xs[0], 4), ctx.const(w, layer.name + "_W")]
    if layer.use_bias:
        inputs.append(ctx.const(_weight(layer.bias), layer.name + "_B"))
    y = ctx.op("Conv", inputs, layer.name, strides=list(layer.strides),
               dilations=list(layer.dilation_rate), group=channels, kernel_shape=[kh, kw],
               **_pads(layer))
    return activation(ctx, _channels_last(ctx, y, 4), layer.activation, layer.name)


def zero_padding(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    pairs = [layer.padding] if type(layer).__name__ == "ZeroPadding1D" else list(layer.padding)
    begin = [0] + [int(p[0]) for p in pairs] + [0]
    end = [0] + [int(p[1]) for p in pairs] + [0]
    pads = ctx.const(np.array(begin + end, np.int64), layer.name + "_pads")
    return ctx.op("Pad", [xs[0], pads], layer.name, mode="constant")


def upsampling(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    kind = type(layer).__name__
    sizes = [layer.size] if kind == "UpSampling1D" else list(layer.size)
    linear = getattr(layer, "interpolation", "nearest") == "bilinear"
    x = xs[0]
    if linear:  # resize the spatial axes of NCHW (half-pixel centres, as Keras)
        x = _channels_first(ctx, x, 4)
        scales = np.array([1, 1] + sizes, np.float32)
        attrs = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    else:  # nearest: each row and column repeated
        scales = np.array([1] + sizes + [1], np.float32)
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}
    y = ctx.op("Resize", [x, "", ctx.const(scales, layer.name + "_scales")], layer.name,
               **attrs)
    return _channels_last(ctx, y, 4) if linear else y


def bidirectional(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    from ember.onnx.recurrent import recurrent

    mode = layer.merge_mode
    if mode not in ("concat", "sum", "mul", "ave") or layer.forward_layer.return_state:
        raise NotImplementedError(f"onnx export: Bidirectional '{layer.name}' with "
                                  f"merge_mode={mode!r} (return_state="
                                  f"{layer.forward_layer.return_state}) is not converted; "
                                  "merge_mode concat/sum/mul/ave without states is")
    fw = recurrent(ctx, layer.forward_layer, xs[0])
    bw = recurrent(ctx, layer.backward_layer, xs[0], aligned=True)
    if mode == "concat":
        return ctx.op("Concat", [fw, bw], layer.name, axis=-1)
    if mode == "ave":
        total = ctx.op("Add", [fw, bw], layer.name)
        return ctx.op("Mul", [total, ctx.const(np.float32(0.5), "half")], layer.name)
    return ctx.op({"sum": "Add", "mul": "Mul"}[mode], [fw, bw], layer.name)


def relu_layer(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    """Keras' ReLU layer: x above the threshold (capped at max_value), else
    negative_slope * (x - threshold)."""
    x = xs[0]
    above = x
    if layer.max_value is not None:
        above = ctx.op("Min", [x, ctx.const(np.float32(layer.max_value), "max")], layer.name)
    if layer.threshold == 0 and layer.negative_slope == 0:
        return ctx.op("Relu", [above], layer.name)
    thr = ctx.const(np.float32(layer.threshold), "threshold")
    below = ctx.op("Mul", [ctx.op("Sub", [x, thr], layer.name),
                           ctx.const(np.float32(layer.negative_slope), "slope")], layer.name)
    return ctx.op("Where", [ctx.op("Greater", [x, thr], layer.name), above, below],
                  layer.name)


def leaky_relu_layer(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    return ctx.op("LeakyRelu", [xs[0]], layer.name, alpha=float(layer.negative_slope))


def elu_layer(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    return ctx.op("Elu", [xs[0]], layer.name, alpha=float(layer.alpha))


def prelu_layer(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    """PReLU's alpha has the input's shape without the batch axis (1 on shared axes), which
    ONNX's PRelu broadcasts against the batch as Keras does."""
    slope = ctx.const(np.asarray(layer.alpha.numpy(), np.float32), "alpha")
    return ctx.op("PRelu", [xs[0], slope], layer.name)


def softmax_layer(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    if not isinstance(layer.axis, int):
        raise NotImplementedError(f"onnx export: Softmax layer '{layer.name}' normalises over "
                                  f"axes {layer.axis}; only one axis converts")
    return ctx.op("Softmax", [xs[0]], layer.name, axis=int(layer.axis))


for _kind, _fn in (("LeakyReLU", leaky_relu_layer), ("ELU", elu_layer),
                   ("PReLU", prelu_layer), ("Softmax", softmax_layer)):
    register_converter(_kind, _fn)

for _kind, _fn in (("Conv2DTranspose", conv2d_transpose), ("DepthwiseConv2D", depthwise_conv2d),
                   ("ZeroPadding1D", zero_padding), ("ZeroPadding2D", zero_padding),
                   ("UpSampling1D", upsampling), ("UpSampling2D", upsampling),
                   ("Bidirectional", bidirectional), ("ReLU", relu_layer)):
    register_converter(_kind, _fn)
