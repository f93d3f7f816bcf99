"""PyTorch ``state_dict``s into ember models: ``load_torch_state_dict(model, sd_or_path)``.

The state_dict's modules (keys grouped by their prefix, in registration order) are paired
with the model's weighted layers in order, and each pair is converted:

- ``Linear`` -> ``Dense``: the weight transposed; the first Dense after a ``Flatten`` of a
  channels-last (H, W, C) tensor also gets its rows permuted, since PyTorch flattened
  (C, H, W);
- ``Conv1d`` / ``Conv2d`` -> ``Conv1D`` / ``Conv2D``: (out, in, k...) -> (k..., in, out);
- ``BatchNorm*`` (weight, bias, running mean and variance; ``num_batches_tracked`` is
  ignored), ``LayerNorm``, ``Embedding``;
- ``RNN`` / ``LSTM`` / ``GRU`` (one layer; bidirectional into ``Bidirectional``): kernels
  transposed, PyTorch's two biases summed (LSTM, RNN) or kept as GRU's (2, 3U) bias, and
  GRU's gates reordered from PyTorch's r, z, n to Keras' z, r, h. LSTM's gate order i, f, g, o
  is Keras' already.

Everything is converted and shape-checked before any weight changes. The returned report
says which key went where, and which are missing or unused; ``strict=True`` (the default)
raises when any is. Note PyTorch's BatchNorm epsilon is 1e-5 (Keras' 1e-3): build the ember
layer with ``epsilon=1e-5`` to get the same outputs.

Example:
    >>> import numpy as np, ember as em
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    >>> sd = {"fc.weight": np.ones((2, 3), "float32"), "fc.bias": np.zeros(2, "float32")}
    >>> report = load_torch_state_dict(model, sd)
    >>> report.assigned[0][:2]
    ('fc.weight', 'dense/kernel')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ember.safe_io import FileFormatError

_IGNORED = ("num_batches_tracked",)


@dataclass
class StateDictReport:
    """What ``load_torch_state_dict`` did: ``assigned`` (torch key, ember weight, how),
    ``missing`` (ember weights no key filled), ``unused`` (keys no layer took), ``ignored``."""

    assigned: list[tuple[str, str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{k} -> {w} ({how})" for k, w, how in self.assigned]
        lines += [f"missing: {w}" for w in self.missing]
        lines += [f"unused: {k}" for k in self.unused]
        return "\n".join(lines)


def read_state_dict(source: Any, who: str = "load_torch_state_dict") -> dict[str, np.ndarray]:
    """A state_dict as NumPy arrays from a dict, a ``.safetensors`` file or a ``.pt`` file."""
    if isinstance(source, dict):
        return {str(k): _to_numpy(v, k, who) for k, v in source.items()}
    path = os.fspath(source)
    if path.endswith(".safetensors"):
        from ember.saving.reading import open_weights_file

        with open_weights_file(path, who) as f:
            return f.read()
    try:
        import torch
    except ImportError:
        raise ImportError(f"{who}: reading {path} needs PyTorch (pip install torch); or save "
                          "the state_dict with safetensors.torch.save_file") from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise FileFormatError(f"{who}: {path} holds a {type(state).__name__}, not a state_dict")
    return {str(k): _to_numpy(v, k, who) for k, v in state.items()}


def _to_numpy(value: Any, key: Any, who: str) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
        raise TypeError(f"{who}: state_dict entry {key!r} is a {type(value).__name__}; "
                        "expected a tensor or array")
    return value


def _modules(state: dict[str, np.ndarray]) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Keys grouped by module prefix, in the order the modules first appear."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        prefix, _, leaf = key.rpartition(".")
        groups.setdefault(prefix, {})[leaf] = value
    return list(groups.items())


def _weighted_layers(model: Any) -> list:
    """The model's layers that hold weights, in running order, with the layer before each
    (to find a Flatten in front of a Dense)."""
    from ember.interop.keras_layout import model_layers

    out: list = []
    flatten_shape = None
    channels_first = False  # PyTorch held the tensor as (N, C, ...) since a conv layer
    for layer in model_layers(model) if hasattr(model, "layers") else [model]:
        kind = type(layer).__name__
        if kind == "Sequential" or getattr(layer, "_graph", None) is not None:
            out += _weighted_layers(layer)
            continue
        channels_first = channels_first or kind.startswith(("Conv", "MaxPooling",
                                                            "AveragePooling"))
        if kind == "Flatten" and channels_first:
            flatten_shape = layer._build_input_shape
        if layer.weights:
            out.append((layer, flatten_shape if kind == "Dense" else None))
            flatten_shape = None
    return out


def _natural(prefix: str) -> list:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in prefix.split(".")]


def load_torch_state_dict(model: Any, state_dict_or_path: Any, strict: bool = True,
                          order: list[str] | None = None) -> StateDictReport:
    """Load a PyTorch state_dict (dict, ``.safetensors`` or ``.pt`` path) into ``model``.

    Modules pair with the model's weighted layers in the state_dict's order. A dict or a
    ``.pt`` file keeps PyTorch's registration order; a ``.safetensors`` file does not keep
    any, so its modules are taken in natural order of their names ("2" before "10"), which is
    right for ``nn.Sequential`` numbering; for named modules pass ``order=[prefixes...]``.

    Example: see the module docstring."""
    who = "load_torch_state_dict"
    if not model.built:
        raise ValueError(f"{who}: build the model first (model.build(input_shape))")
    state = read_state_dict(state_dict_or_path, who)
    report = StateDictReport()
    grouped = _modules(state)
    if order is not None:
        by_prefix = dict(grouped)
        unknown = [p for p in order if p not in by_prefix]
        if unknown:
            raise ValueError(f"{who}: order names modules {unknown} that the state_dict lacks "
                             f"(it has {list(by_prefix)[:10]})")
        grouped = [(p, by_prefix[p]) for p in order] + [
            (p, g) for p, g in grouped if p not in order]
    elif not isinstance(state_dict_or_path, dict) and \
            os.fspath(state_dict_or_path).endswith(".safetensors"):
        grouped.sort(key=lambda item: _natural(item[0]))
    modules = []
    for prefix, group in grouped:
        report.ignored += [_key(prefix, k) for k in group if k in _IGNORED]
        kept = {k: v for k, v in group.items() if k not in _IGNORED}
        if kept:
            modules.append((prefix, kept))
    layers = _weighted_layers(model)
    planned: list[tuple[Any, np.ndarray]] = []
    for i, (layer, flat_shape) in enumerate(layers):
        if i >= len(modules):
            report.missing += [w.path for w in layer.weights]
            continue
        prefix, group = modules[i]
        pairs = _convert(layer, prefix, group, flat_shape, who)
        for key, w, array, how in pairs:
            if tuple(array.shape) != tuple(w.shape):
                raise ValueError(f"{who}: '{key}' gives shape {tuple(array.shape)} for "
                                 f"'{w.path}' of layer '{layer.name}', which has "
                                 f"{tuple(w.shape)}")
            planned.append((w, array))
            report.assigned.append((key, w.path, how))
    for prefix, group in modules[len(layers):]:
        report.unused += [_key(prefix, k) for k in group]
    if strict and (report.missing or report.unused):
        raise ValueError(f"{who}: the state_dict does not match the model (strict=True): "
                         f"missing {report.missing[:6]}, unused {report.unused[:6]}")
    from ember.backend import get_array_module

    for w, array in planned:
        xp = get_array_module(w.data)
        w.data[...] = xp.asarray(array, dtype=w.data.dtype)
        w._version += 1
    return report


def _take(group: dict, prefix: str, names: tuple, layer: Any, who: str) -> list:
    missing = [n for n in names if n not in group]
    extra = sorted(set(group) - set(names))
    if missing or extra:
        raise ValueError(f"{who}: module '{prefix}' holds {sorted(group)}; layer "
                         f"'{layer.name}' ({type(layer).__name__}) takes {list(names)}")
    return [group[n] for n in names]


def _key(prefix: str, leaf: str) -> str:
    return f"{prefix}.{leaf}" if prefix else leaf


def _convert(layer: Any, prefix: str, group: dict, flat_shape: Any, who: str) -> list:
    """[(torch key, ember weight, array, how)] for one layer and one torch module."""
    kind = type(layer).__name__
    bias = getattr(layer, "bias", None) is not None
    if kind in ("Dense", "Conv1D", "Conv2D"):
        names = ("weight", "bias") if bias else ("weight",)
        arrays = _take(group, prefix, names, layer, who)
        weight = arrays[0]
        if kind == "Dense":
            how = "transposed"
            if flat_shape is not None and len(flat_shape) >= 3 and weight.ndim == 2:
                spatial, channels = tuple(flat_shape[1:-1]), flat_shape[-1]
                chw = weight.reshape((weight.shape[0], channels) + spatial)
                order = (0,) + tuple(range(2, 2 + len(spatial))) + (1,)
                weight = chw.transpose(order).reshape(weight.shape[0], -1)
                how = "rows permuted from (C, H, W) to (H, W, C), transposed"
            out = [(_key(prefix, "weight"), layer.kernel, weight.T, how)]
        else:
            order = tuple(range(2, weight.ndim)) + (1, 0)
            out = [(_key(prefix, "weight"), layer.kernel, weight.transpose(order),
                    "(out, in, k...) -> (k..., in, out)")]
        if bias:
            out.append((_key(prefix, "bias"), layer.bias, arrays[1], "as is"))
        return out
    if kind == "BatchNormalization":
        names = ("weight", "bias", "running_mean", "running_var")
        arrays = _take(group, prefix, names, layer, who)
        targets = (layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance)
        return [(_key(prefix, n), w, a, "as is") for n, w, a in zip(names, targets, arrays)]
    if kind == "LayerNormalization":
        arrays = _take(group, prefix, ("weight", "bias"), layer, who)
        return [(_key(prefix, "weight"), layer.gamma, arrays[0], "as is"),
                (_key(prefix, "bias"), layer.beta, arrays[1], "as is")]
    if kind == "Embedding":
        (weight,) = _take(group, prefix, ("weight",), layer, who)
        return [(_key(prefix, "weight"), layer.embeddings, weight, "as is")]
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        return _recurrent(layer, prefix, group, "", who)
    if kind == "Bidirectional":
        names = set(group)
        forward = {k: v for k, v in group.items() if not k.endswith("_reverse")}
        backward = {k[:-len("_reverse")]: v for k, v in group.items() if k.endswith("_reverse")}
        if not backward:
            raise ValueError(f"{who}: module '{prefix}' ({sorted(names)}) is not a "
                             f"bidirectional RNN; layer '{layer.name}' is Bidirectional")
        return (_recurrent(layer.forward_layer, prefix, forward, "", who)
                + _recurrent(layer.backward_layer, prefix, backward, "_reverse", who))
    raise NotImplementedError(f"{who}: layer '{layer.name}' is a {kind}; PyTorch weights load "
                              "into Dense, Conv1D/2D, BatchNormalization, LayerNormalization, "
                              "Embedding, SimpleRNN/LSTM/GRU and Bidirectional")


def _recurrent(layer: Any, prefix: str, group: dict, suffix: str, who: str) -> list:
    kind = type(layer).__name__
    bias = layer.bias is not None
    names = ("weight_ih_l0", "weight_hh_l0") + (("bias_ih_l0", "bias_hh_l0") if bias else ())
    if any(k.endswith("_l1") for k in group):
        raise NotImplementedError(f"{who}: module '{prefix}' is a multi-layer RNN "
                                  "(num_layers > 1); stack one ember layer per PyTorch layer "
                                  "and load each from its own keys")
    arrays = _take(group, prefix, names, layer, who)
    units = layer.units

    def gates(a: np.ndarray) -> np.ndarray:  # PyTorch r, z, n -> Keras z, r, h (rows)
        if kind != "GRU":
            return a
        return np.concatenate([a[units:2 * units], a[:units], a[2 * units:]], axis=0)

    keys = [_key(prefix, n + suffix) for n in names]
    how = "transposed" + (", gates r,z,n -> z,r,h" if kind == "GRU" else "")
    out = [(keys[0], layer.kernel, gates(arrays[0]).T, how),
           (keys[1], layer.recurrent_kernel, gates(arrays[1]).T, how)]
    if bias:
        b_ih, b_hh = gates(arrays[2]), gates(arrays[3])
        if kind == "GRU":
            if not layer.reset_after:
                raise ValueError(f"{who}: layer '{layer.name}' is a GRU with "
                                 "reset_after=False; PyTorch's GRU is reset_after=True")
            out.append((f"{keys[2]} + {keys[3]}", layer.bias, np.stack([b_ih, b_hh]),
                        "stacked (input row, recurrent row)" + how[10:]))
        else:
            out.append((f"{keys[2]} + {keys[3]}", layer.bias, b_ih + b_hh, "summed"))
    return out
