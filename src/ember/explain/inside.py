"""Looking inside a network: every layer's output, a convolution's filters, and the input that
a unit responds to most (activation maximisation, Erhan et al., 2009)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd import engine
from ember.autograd.mode import enable_grad
from ember.autograd.tensor import Tensor, wrap_array
from ember.explain import _core


def activations(model: Any, x: Any) -> dict[str, np.ndarray]:
    """Every intermediate layer's output on the batch ``x``, by layer name, in call order
    (a layer called twice appears as ``name``, ``name:1``; nested models list their layers, then
    themselves).

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(4, activation="relu", name="hidden"),
        ...                        em.layers.Dense(2, name="out")])
        >>> acts = em.explain.activations(model, np.ones((3, 5), "float32"))
        >>> {k: v.shape for k, v in acts.items()}
        {'hidden': (3, 4), 'out': (3, 2)}
    """
    xb = _core.as_batch(model, x, "activations")
    out: dict[str, np.ndarray] = {}
    for layer, value in _core.call_order(model, xb):
        name, k = layer.name, 1
        while name in out:
            name, k = f"{layer.name}:{k}", k + 1
        first = _core.first_output(value)
        if isinstance(first, Tensor):
            out[name] = backend.to_numpy(first.data)
    return out


def conv_filters(model: Any, layer: Any = None) -> np.ndarray:
    """A convolution's filters as (filters, kh, kw, in_channels) (the last Conv2D by default).

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Conv2D(4, 3), em.layers.Flatten(), em.layers.Dense(2)])
        >>> model.build((None, 8, 8, 1)); em.explain.conv_filters(model).shape
        (4, 3, 3, 1)
    """
    if layer is None:
        convs = [c for c in _core.all_layers(model) if _core.is_conv2d(c)]
        if not convs:
            raise ValueError("conv_filters: the model has no Conv2D layer")
        chosen = convs[-1]
    else:
        chosen = _core.find_layer(model, layer, "conv_filters")
    kernel = getattr(chosen, "kernel", None)
    if kernel is None or kernel.ndim != 4:
        raise ValueError(f"conv_filters: layer {chosen.name!r} has no 2-D convolution kernel "
                         "(is it built?)")
    return np.transpose(backend.to_numpy(kernel.data), (3, 0, 1, 2)).copy()


def _input_shape(model: Any, input_shape: Any) -> tuple:
    if input_shape is not None:
        return tuple(int(d) for d in input_shape)
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and shape and all(d is not None for d in shape[1:]):
        return tuple(shape[1:])
    raise ValueError("maximize_activation: cannot tell the model's input shape; pass "
                     "input_shape (one sample's shape, e.g. (28, 28, 1))")


def maximize_activation(model: Any, layer: Any, unit: int, input_shape: Any = None,
                        steps: int = 100, learning_rate: float = 0.1, l2: float = 1e-2,
                        seed: int = 0, x0: Any = None) -> tuple[np.ndarray, list[float]]:
    """The input that maximises one unit: gradient ascent on
    ``mean(activation of unit) - l2 * ||x||^2`` from small noise (or ``x0``).

    ``unit`` is a channel of a (N, H, W, C) output (its spatial mean is maximised) or a
    feature of a (N, F) output. Each step moves ``learning_rate`` along the gradient divided by
    its RMS (so the step size does not depend on the unit's scale). Returns ``(x, objective)``:
    the input (one sample, of shape ``(1, *input_shape)``) and the objective after every step.

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(3, activation="relu", name="h")])
        >>> model.build((None, 4))
        >>> x, curve = em.explain.maximize_activation(model, "h", unit=0, steps=20)
        >>> x.shape, curve[-1] >= curve[0]
        ((1, 4), True)
    """
    who = "maximize_activation"
    chosen = _core.find_layer(model, layer, who)
    dtype = _core.model_dtype(model)
    if x0 is None:
        rng = np.random.default_rng(seed)
        x = (rng.normal(size=(1,) + _input_shape(model, input_shape)) * 0.01).astype(dtype)
    else:
        x = _core.as_batch(model, x0, who)[:1].copy()
    curve: list[float] = []
    for _ in range(int(steps)):
        xt = wrap_array(x)
        xt.requires_grad = True
        with _core.capture([chosen]) as seen, enable_grad(), _core.weights_frozen(model):
            _core.forward(model, xt)
            acts = _core.first_output(seen[-1][1])
            n_units = acts.shape[-1]
            if not 0 <= unit < n_units:
                raise ValueError(f"{who}: unit {unit} is out of range for layer "
                                 f"{chosen.name!r} with {n_units} units")
            picked = acts[..., unit]
            objective = picked.mean() - (xt * xt).sum() * l2
            (g,) = engine.grad(objective, [xt], allow_unused=True)
        curve.append(float(objective.item()))
        if g is None:
            break
        grad = backend.to_numpy(g.data)
        x = x + (learning_rate * grad / (np.sqrt((grad ** 2).mean()) + 1e-8)).astype(dtype)
    return x, curve
