"""One converter per ember layer kind: it appends ONNX nodes (opset 17) for one layer call.

ember's tensors are channels-last; ONNX's Conv and pooling ops are channels-first, so those
converters wrap the op in two Transposes (which onnxruntime fuses away where it can).
"""

from __future__ import annotations

from typing import Any

import numpy as np

OPSET = 17


class Context:
    """The graph being built: nodes, initializers and unique names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper = helper
        self.numpy_helper = numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, array: Any, hint: str) -> str:
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _weight(w: Any) -> np.ndarray:
    from ember.backend import to_numpy

    return np.asarray(to_numpy(w.data))


def activation(ctx: Context, x: str, fn: Any, who: str) -> str:
    """The ONNX nodes of an ember activation function."""
    from ember.layers import _config

    name = _config.serialize(fn)
    name = name if isinstance(name, str) else str(name)
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
              "softsign": "Softsign", "exponential": "Exp", "selu": "Selu", "elu": "Elu"}
    if name in ("linear", None):
        return x
    if name in simple:
        return ctx.op(simple[name], [x], name)
    if name == "softmax":
        return ctx.op("Softmax", [x], name, axis=-1)
    if name == "log_softmax":
        return ctx.op("LogSoftmax", [x], name, axis=-1)
    if name == "leaky_relu":
        return ctx.op("LeakyRelu", [x], name, alpha=0.2)
    if name in ("swish", "silu"):
        return ctx.op("Mul", [x, ctx.op("Sigmoid", [x], name)], name)
    if name == "gelu":  # exact: x * (1 + erf(x / sqrt 2)) / 2
        scaled = ctx.op("Mul", [x, ctx.const(np.float32(1 / np.sqrt(2)), "c")], "gelu")
        one = ctx.op("Add", [ctx.op("Erf", [scaled], "gelu"), ctx.const(np.float32(1), "c")],
                     "gelu")
        return ctx.op("Mul", [ctx.op("Mul", [x, one], "gelu"),
                              ctx.const(np.float32(0.5), "c")], "gelu")
    if name == "hard_sigmoid":
        return ctx.op("HardSigmoid", [x], name, alpha=1 / 6, beta=0.5)
    raise NotImplementedError(f"{who}: activation {name!r} has no ONNX conversion")


def _channels_first(ctx: Context, x: str, rank: int) -> str:
    return ctx.op("Transpose", [x], "to_nchw", perm=[0, rank - 1] + list(range(1, rank - 1)))


def _channels_last(ctx: Context, x: str, rank: int) -> str:
    return ctx.op("Transpose", [x], "to_nhwc", perm=[0] + list(range(2, rank)) + [1])


def _pads(layer: Any) -> dict:
    cfg = layer.get_config()
    if cfg["padding"] != "same":
        return {}
    dilation = cfg.get("dilation_rate") or [1]
    if max(dilation) == 1:
        return {"auto_pad": "SAME_UPPER"}
    # onnxruntime refuses auto_pad with dilation; with stride 1 (ember's rule when dilated)
    # "same" pads d*(k-1) in total, the odd one at the end, whatever the input size
    total = [d * (k - 1) for d, k in zip(dilation, cfg["kernel_size"])]
    return {"pads": [t // 2 for t in total] + [t - t // 2 for t in total]}


def conv(ctx: Context, layer: Any, xs: list[str], rank: int) -> str:
    kernel = _weight(layer.kernel)  # (k..., in, out) -> (out, in, k...)
    order = (kernel.ndim - 1, kernel.ndim - 2) + tuple(range(kernel.ndim - 2))
    inputs = [_channels_first(ctx, xs[0], rank),
              ctx.const(kernel.transpose(order).copy(), layer.name + "_W")]
    if layer.bias is not None:
        inputs.append(ctx.const(_weight(layer.bias), layer.name + "_B"))
    y = ctx.op("Conv", inputs, layer.name, strides=list(layer.strides),
               dilations=list(layer.dilation_rate), **_pads(layer))
    return activation(ctx, _channels_last(ctx, y, rank), layer.activation, layer.name)


def pool(ctx: Context, layer: Any, xs: list[str], rank: int, op_type: str) -> str:
    cfg = layer.get_config()
    y = ctx.op(op_type, [_channels_first(ctx, xs[0], rank)], layer.name,
               kernel_shape=list(cfg["pool_size"]), strides=list(cfg["strides"]),
               **_pads(layer))
    return _channels_last(ctx, y, rank)


def dense(ctx: Context, layer: Any, xs: list[str]) -> str:
    y = ctx.op("MatMul", [xs[0], ctx.const(_weight(layer.kernel), layer.name + "_W")],
               layer.name)
    if layer.bias is not None:
        y = ctx.op("Add", [y, ctx.const(_weight(layer.bias), layer.name + "_B")], layer.name)
    return activation(ctx, y, layer.activation, layer.name)


def batch_norm(ctx: Context, layer: Any, xs: list[str], rank: int) -> str:
    cfg = layer.get_config()
    axis = cfg["axis"] if isinstance(cfg["axis"], int) else cfg["axis"][0]
    if axis not in (-1, rank - 1):
        raise NotImplementedError(f"onnx export: BatchNormalization '{layer.name}' normalizes "
                                  f"axis {axis}; only the last (channels) axis converts")
    mean, var = _weight(layer.moving_mean), _weight(layer.moving_variance)
    gamma = _weight(layer.gamma) if cfg["scale"] else np.ones_like(mean)
    beta = _weight(layer.beta) if cfg["center"] else np.zeros_like(mean)
    scale = (gamma / np.sqrt(var + np.float32(cfg["epsilon"]))).astype(mean.dtype)
    shift = (beta - mean * scale).astype(mean.dtype)
    y = ctx.op("Mul", [xs[0], ctx.const(scale, layer.name + "_scale")], layer.name)
    return ctx.op("Add", [y, ctx.const(shift, layer.name + "_shift")], layer.name)


def layer_norm(ctx: Context, layer: Any, xs: list[str], rank: int) -> str:
    cfg = layer.get_config()
    axes = cfg["axis"] if isinstance(cfg["axis"], (list, tuple)) else [cfg["axis"]]
    if [a % rank for a in axes] != [rank - 1] or cfg.get("rms_scaling"):
        raise NotImplementedError(f"onnx export: LayerNormalization '{layer.name}' over axes "
                                  f"{axes} (rms_scaling={cfg.get('rms_scaling')}); only the "
                                  "last axis without rms_scaling converts")
    n = (_weight(layer.gamma) if cfg["scale"] else _weight(layer.beta)).shape
    gamma = _weight(layer.gamma) if cfg["scale"] else np.ones(n, np.float32)
    beta = _weight(layer.beta) if cfg["center"] else np.zeros(n, np.float32)
    return ctx.op("LayerNormalization", [xs[0], ctx.const(gamma, layer.name + "_g"),
                                         ctx.const(beta, layer.name + "_b")], layer.name,
                  axis=-1, epsilon=float(cfg["epsilon"]))


def merge(ctx: Context, layer: Any, xs: list[str]) -> str:
    kind = type(layer).__name__
    if kind == "Concatenate":
        return ctx.op("Concat", xs, layer.name, axis=int(layer.get_config()["axis"]))
    if kind == "Subtract":
        return ctx.op("Sub", xs, layer.name)
    op_type = {"Add": "Sum", "Multiply": "Mul", "Maximum": "Max", "Minimum": "Min",
               "Average": "Mean"}[kind]
    if op_type == "Mul":
        y = xs[0]
        for other in xs[1:]:
            y = ctx.op("Mul", [y, other], layer.name)
        return y
    return ctx.op(op_type, xs, layer.name)


def _global_pool(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    op_type = "ReduceMean" if "Average" in type(layer).__name__ else "ReduceMax"
    return ctx.op(op_type, xs, layer.name, axes=list(range(1, ranks[0] - 1)),
                  keepdims=int(bool(getattr(layer, "keepdims", False))))


def _reshape(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    shape = np.array([0] + list(layer.get_config()["target_shape"]), dtype=np.int64)
    return ctx.op("Reshape", [xs[0], ctx.const(shape, layer.name + "_shape")], layer.name)


def _embedding(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    idx = ctx.op("Cast", xs, layer.name, to=7)  # int64
    return ctx.op("Gather", [ctx.const(_weight(layer.embeddings), layer.name + "_E"), idx],
                  layer.name, axis=0)


def _recurrent(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    from ember.onnx.recurrent import recurrent

    return recurrent(ctx, layer, xs[0])


def _rescaling(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    cfg = layer.get_config()
    y = ctx.op("Mul", [xs[0], ctx.const(np.float32(cfg["scale"]), "scale")], layer.name)
    return ctx.op("Add", [y, ctx.const(np.float32(cfg["offset"]), "offset")], layer.name)


Converter = Any  # (ctx, layer, input names, input ranks) -> output name
# ember layer class name -> its converter. Add a layer kind by adding an entry here (or with
# ``register_converter``); ember.onnx.more_layers adds the upsampling, padding, transposed
# and depthwise convolutions, Bidirectional and the activation layers.
CONVERTERS: dict[str, Converter] = {
    "Dense": lambda ctx, layer, xs, ranks: dense(ctx, layer, xs),
    "Conv1D": lambda ctx, layer, xs, ranks: conv(ctx, layer, xs, ranks[0]),
    "Conv2D": lambda ctx, layer, xs, ranks: conv(ctx, layer, xs, ranks[0]),
    "MaxPooling1D": lambda ctx, layer, xs, ranks: pool(ctx, layer, xs, ranks[0], "MaxPool"),
    "MaxPooling2D": lambda ctx, layer, xs, ranks: pool(ctx, layer, xs, ranks[0], "MaxPool"),
    "AveragePooling1D": lambda ctx, layer, xs, ranks: pool(ctx, layer, xs, ranks[0],
                                                           "AveragePool"),
    "AveragePooling2D": lambda ctx, layer, xs, ranks: pool(ctx, layer, xs, ranks[0],
                                                           "AveragePool"),
    "GlobalAveragePooling1D": _global_pool, "GlobalAveragePooling2D": _global_pool,
    "GlobalMaxPooling1D": _global_pool, "GlobalMaxPooling2D": _global_pool,
    "BatchNormalization": lambda ctx, layer, xs, ranks: batch_norm(ctx, layer, xs, ranks[0]),
    "LayerNormalization": lambda ctx, layer, xs, ranks: layer_norm(ctx, layer, xs, ranks[0]),
    "Dropout": lambda ctx, layer, xs, ranks: xs[0],  # inference: the identity
    "GaussianNoise": lambda ctx, layer, xs, ranks: xs[0],
    "Activation": lambda ctx, layer, xs, ranks: activation(ctx, xs[0], layer.activation,
                                                           layer.name),
    "Flatten": lambda ctx, layer, xs, ranks: ctx.op("Flatten", xs, layer.name, axis=1),
    "Reshape": _reshape,
    "Permute": lambda ctx, layer, xs, ranks: ctx.op(
        "Transpose", xs, layer.name, perm=[0] + list(layer.get_config()["dims"])),
    **{kind: lambda ctx, layer, xs, ranks: merge(ctx, layer, xs)
       for kind in ("Add", "Subtract", "Multiply", "Maximum", "Minimum", "Average",
                    "Concatenate")},
    "Embedding": _embedding,
    "SimpleRNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent,
    "Rescaling": _rescaling,
}


def register_converter(kind: str, fn: Converter) -> Converter:
    """Convert ember layers of class name ``kind`` with ``fn(ctx, layer, xs, ranks)``."""
    CONVERTERS[kind] = fn
    return fn


def convert(ctx: Context, layer: Any, xs: list[str], ranks: list[int]) -> str:
    """The ONNX output name of ``layer`` applied to ``xs`` (ranks include the batch axis)."""
    import ember.onnx.more_layers  # noqa: F401 - registers its converters

    kind = type(layer).__name__
    fn = CONVERTERS.get(kind)
    if fn is None:
        raise NotImplementedError(
            f"onnx export: layer '{layer.name}' is a {kind}, which has no ONNX conversion yet "
            f"(supported: {', '.join(sorted(CONVERTERS))})")
    return fn(ctx, layer, xs, ranks)
