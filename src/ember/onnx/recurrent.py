"""SimpleRNN, LSTM and GRU as ONNX's RNN / LSTM / GRU ops (one direction each: forward, or
reverse for go_backwards; Bidirectional is two of them).

ember keeps Keras' weights: kernels (features, gates * units), gate orders LSTM i, f, c, o and
GRU z, r, h. ONNX wants (1, gates * units, features), LSTM gates i, o, f, c (GRU's z, r, h is
the same), a bias row for the input and one for the recurrence, and time-major sequences.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_ACT = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu"}


def _blocks(a: np.ndarray, order: list[int], units: int) -> np.ndarray:
    return np.concatenate([a[..., k * units:(k + 1) * units] for k in order], axis=-1)


def recurrent(ctx: Any, layer: Any, x: str, aligned: bool = False) -> str:
    """The ONNX op of ``layer`` on ``x``. A ``go_backwards`` layer runs as
    ``direction="reverse"``, whose sequence output ONNX aligns with the input's time order:
    what Bidirectional wants (``aligned=True``); alone, it is converted without sequences."""
    from ember.layers import _config
    from ember.onnx.converters import _weight

    kind = type(layer).__name__
    cfg = layer.get_config()
    if cfg["return_state"] or (cfg["go_backwards"] and cfg["return_sequences"]
                               and not aligned):
        raise NotImplementedError(f"onnx export: {kind} '{layer.name}' with return_state, or "
                                  "go_backwards with return_sequences, is not converted")
    acts = [_config.serialize(layer.activation)]
    if kind != "SimpleRNN":
        acts = [_config.serialize(layer.recurrent_activation)] + acts
    if any(a not in _ACT for a in acts):
        raise NotImplementedError(f"onnx export: {kind} '{layer.name}' uses activations {acts}"
                                  f"; converted: {sorted(_ACT)}")
    units = layer.units
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
    order = [0, 3, 1, 2] if kind == "LSTM" else list(range(gates))
    kernel = _blocks(_weight(layer.kernel), order, units)
    rec = _blocks(_weight(layer.recurrent_kernel), order, units)
    zeros = np.zeros(gates * units, kernel.dtype)
    if layer.bias is None:
        bias = np.concatenate([zeros, zeros])
    else:
        b = _blocks(_weight(layer.bias), order, units)
        bias = np.concatenate([b[0], b[1]]) if b.ndim == 2 else np.concatenate([b, zeros])
    attrs: dict = {"hidden_size": units}
    if cfg["go_backwards"]:
        attrs["direction"] = "reverse"
    if kind == "SimpleRNN":
        attrs["activations"] = [_ACT[acts[0]]]
    elif kind == "LSTM":
        attrs["activations"] = [_ACT[acts[0]], _ACT[acts[1]], _ACT[acts[1]]]
    else:
        attrs["activations"] = [_ACT[acts[0]], _ACT[acts[1]]]
        attrs["linear_before_reset"] = int(bool(cfg.get("reset_after", True)))
    time_major = ctx.op("Transpose", [x], "time_major", perm=[1, 0, 2])
    inputs = [time_major, ctx.const(kernel.T[None].copy(), layer.name + "_W"),
              ctx.const(rec.T[None].copy(), layer.name + "_R"),
              ctx.const(bias[None].copy(), layer.name + "_B")]
    seq, last = ctx.name(layer.name + "_Y"), ctx.name(layer.name + "_Yh")
    outputs = [seq, last] + ([ctx.name(layer.name + "_Yc")] if kind == "LSTM" else [])
    op_type = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[kind]
    ctx.nodes.append(ctx.helper.make_node(op_type, inputs, outputs, name=seq, **attrs))
    axes = ctx.const(np.array([0 if not cfg["return_sequences"] else 1], np.int64), "axes")
    if not cfg["return_sequences"]:
        return ctx.op("Squeeze", [last, axes], layer.name)  # (1, B, U) -> (B, U)
    y = ctx.op("Squeeze", [seq, axes], layer.name)  # (T, 1, B, U) -> (T, B, U)
    return ctx.op("Transpose", [y], layer.name, perm=[1, 0, 2])
