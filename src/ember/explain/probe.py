"""One forward and backward pass over a probe batch, measured per layer: the gradient norm of
each kernel (and its ratio to the kernel's norm), the fraction of dead ReLUs, of saturated
sigmoid/tanh units, and the first layer whose output is not finite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ember import backend
from ember.autograd import engine
from ember.autograd.mode import enable_grad
from ember.autograd.tensor import Tensor
from ember.explain import _core

# What a layer computes, for "the first op that produced NaN/inf" (by layer type).
OPS = {
    "Dense": "the matrix product x @ kernel + bias", "Conv2D": "the convolution",
    "Conv1D": "the convolution", "BatchNormalization": "the normalisation (division by the "
    "batch's standard deviation)", "LayerNormalization": "the normalisation",
    "Activation": "the activation", "Softmax": "the softmax", "Embedding": "the lookup",
}


@dataclass
class LayerStats:
    """What the probe measured in one layer (None where it does not apply)."""

    name: str
    kind: str
    activation: str | None
    grad_norm: float | None = None
    weight_norm: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None
    output_finite: bool = True

    @property
    def grad_ratio(self) -> float | None:
        """||dL/dW|| / ||W|| for the layer's kernel: how strongly one step can move it."""
        if self.grad_norm is None or not self.weight_norm:
            return None
        return self.grad_norm / self.weight_norm


def activation_name(layer: Any) -> str | None:
    from ember import activations

    act = layer.__dict__.get("activation")
    if act is activations.relu:
        return "relu"
    if act is activations.sigmoid:
        return "sigmoid"
    if act is activations.tanh:
        return "tanh"
    return None


def kernel_of(layer: Any) -> Any:
    kernel = layer.__dict__.get("kernel")
    if kernel is not None:
        return kernel
    own = [w for w in layer.trainable_weights if w.ndim >= 2]
    return own[0] if own else None


def leaf_layers(model: Any) -> list:
    return [layer for layer in _core.all_layers(model) if not layer._sublayers()]


def _norm(a: Any) -> float:
    a = backend.to_numpy(a)
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def _finite(a: Any) -> bool:
    if not isinstance(a, Tensor):
        return True
    return bool(np.isfinite(backend.to_numpy(a.data)).all())


def first_non_finite(seen: list, x: np.ndarray) -> dict | None:
    """Where NaN/inf first appears in a recorded forward pass: the input itself, or the first
    layer whose output is not finite (with whether its input and its weights were)."""
    if not np.isfinite(x).all():
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        return {"where": "input", "rows": np.flatnonzero(bad).tolist(),
                "nan": bool(np.isnan(x).any())}
    for layer, out, inp in seen:
        if _finite(_core.first_output(out)):
            continue
        weights_ok = all(np.isfinite(backend.to_numpy(w.data)).all() for w in layer.weights)
        data = backend.to_numpy(_core.first_output(out).data)
        info = {"where": "layer", "layer": layer.name, "kind": type(layer).__name__,
                "op": OPS.get(type(layer).__name__, f"{type(layer).__name__}.call"),
                "input_finite": _finite(inp), "weights_finite": weights_ok,
                "nan": bool(np.isnan(data).any())}
        if isinstance(inp, Tensor) and info["input_finite"]:
            info["input_max"] = float(np.abs(backend.to_numpy(inp.data)).max())
        return info
    return None


def run_probe(model: Any, x: np.ndarray, y: Any) -> tuple[list[LayerStats], float, dict | None]:
    """Per-layer statistics on the batch ``(x, y)`` (inference mode, the compiled loss), the
    loss, and where the forward pass first produced NaN/inf (None if nowhere)."""
    trainer = model._require_compiled("diagnose")
    layers = leaf_layers(model)
    xb = _core.as_batch(model, x, "diagnose")
    with _core.capture(layers, inputs=True) as seen, enable_grad():
        out = _core.forward(model, xb)
        ys = [np.asarray(y)] if y is not None else [None]
        loss = trainer.loss(ys, [out], None)
        params = [w for w in model.trainable_weights]
        grads = engine.grad(loss, params, allow_unused=True) if loss.requires_grad and params \
            else [None] * len(params)
    by_id = {id(p): g for p, g in zip(params, grads)}
    bad = first_non_finite(seen, xb)
    stats, done = [], set()
    for layer, value, _ in seen:
        if id(layer) in done:
            continue
        done.add(id(layer))
        act = activation_name(layer)
        s = LayerStats(layer.name, type(layer).__name__, act)
        kernel = kernel_of(layer)
        if kernel is not None and kernel.requires_grad:
            g = by_id.get(id(kernel))
            s.weight_norm = _norm(kernel.data)
            s.grad_norm = 0.0 if g is None else _norm(g.data)
        outv = _core.first_output(value)
        if isinstance(outv, Tensor) and outv.ndim >= 2:
            a = backend.to_numpy(outv.data)
            s.output_finite = bool(np.isfinite(a).all())
            flat = a.reshape(-1, a.shape[-1])
            if act == "relu":
                s.dead_fraction = float((flat.max(axis=0) <= 0).mean())
            elif act == "sigmoid":
                s.saturated_fraction = float(((a < 0.01) | (a > 0.99)).mean())
            elif act == "tanh":
                s.saturated_fraction = float((np.abs(a) > 0.99).mean())
        stats.append(s)
    return stats, float(loss.item()), bad


def weight_snapshot(model: Any) -> dict[str, np.ndarray]:
    """A copy of each layer's kernel (by layer name), for the update-to-weight ratio."""
    out = {}
    for layer in leaf_layers(model):
        kernel = kernel_of(layer)
        if kernel is not None and kernel.requires_grad:
            out[layer.name] = backend.to_numpy(kernel.data).copy()
    return out


def update_ratios(before: dict[str, np.ndarray], model: Any) -> dict[str, float]:
    """||W_after - W_before|| / ||W_before|| per layer kernel (one optimizer step's size)."""
    ratios = {}
    for layer in leaf_layers(model):
        old = before.get(layer.name)
        kernel = kernel_of(layer)
        if old is None or kernel is None:
            continue
        new = backend.to_numpy(kernel.data)
        denom = _norm(old)
        if denom > 0 and np.isfinite(denom):
            ratios[layer.name] = _norm(new - old) / denom
    return ratios


def locate_non_finite(model: Any, x: Any) -> dict | None:
    """Run ``x`` forward (no gradients) and say where NaN/inf first appears (None: nowhere)."""
    from ember.autograd.mode import no_grad

    xb = _core.as_batch(model, x, "diagnose")
    with _core.capture(leaf_layers(model), inputs=True) as seen, no_grad():
        _core.forward(model, xb)
    return first_non_finite(seen, xb)
