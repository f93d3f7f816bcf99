"""Grad-CAM, guided backpropagation and Guided Grad-CAM.

Grad-CAM (Selvaraju et al., 2017) weighs each channel of a convolutional layer's output ``A`` by
the spatial mean of the score's gradient with respect to it, sums over channels and keeps the
positive part: ``cam = relu(sum_c mean_hw(d y / d A_c) * A_c)`` — a coarse map, at the layer's
resolution, of where the evidence for the class lies. Guided Grad-CAM multiplies the upsampled
map by guided backpropagation's input gradients (ReLU passes back only positive gradients where
its input was positive), as Captum's ``GuidedGradCam``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ember import backend
from ember.autograd import engine
from ember.autograd.mode import STATE, enable_grad
from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.explain import _core


def last_conv_layer(model: Any, x: np.ndarray) -> Any:
    """The last Conv2D layer the forward pass calls (Grad-CAM's default layer)."""
    convs = [layer for layer, _ in _core.call_order(model, x[:1]) if _core.is_conv2d(layer)]
    if not convs:
        raise ValueError("grad_cam: the model has no Conv2D layer; pass layer= a layer (or its "
                         "name) whose output is (N, H, W, C)")
    return convs[-1]


def layer_gradients(model: Any, x: np.ndarray, target: Any, layer: Any, who: str
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(A, dy/dA)``: the layer's output on ``x`` and the score's gradient with respect to it."""
    xt = wrap_array(x)
    xt.requires_grad = True  # so the layer's output is recorded with the weights frozen
    with _core.capture([layer]) as seen, enable_grad(), _core.weights_frozen(model):
        out = _core.forward(model, xt)
        if not seen:
            raise ValueError(f"{who}: layer {layer.name!r} was not called by the forward pass")
        acts = seen[-1][1]
        if not isinstance(acts, Tensor):
            raise ValueError(f"{who}: layer {layer.name!r} returned {type(acts).__name__}, not "
                             "a tensor")
        score = _core.select(out, target, who)
        if not acts.requires_grad:
            grads = np.zeros(acts.shape, acts.data.dtype)
        else:
            (g,) = engine.grad(score.sum(), [acts], allow_unused=True)
            grads = np.zeros(acts.shape, acts.data.dtype) if g is None \
                else backend.to_numpy(g.data)
    return backend.to_numpy(acts.data), grads


def upsample(maps: np.ndarray, size: tuple[int, int], mode: str = "bilinear") -> np.ndarray:
    """Resize (N, h, w) maps to (N, H, W) as ``torch.nn.functional.interpolate`` does
    (``"nearest"``: source index ``floor(i * h / H)``; ``"bilinear"``: align_corners=False).

    Example:
        >>> import numpy as np, ember as em
        >>> em.explain.upsample(np.array([[[0.0, 1.0]]]), (1, 4), "nearest")
        array([[[0., 0., 1., 1.]]])
    """
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"upsample: mode must be 'nearest' or 'bilinear'; got {mode!r}")
    maps = np.asarray(maps)
    h, w = maps.shape[1:3]
    big_h, big_w = int(size[0]), int(size[1])
    if mode == "nearest":
        rows = np.minimum((np.arange(big_h) * (h / big_h)).astype(np.int64), h - 1)
        cols = np.minimum((np.arange(big_w) * (w / big_w)).astype(np.int64), w - 1)
        return maps[:, rows][:, :, cols]

    def taps(n_out: int, n_in: int) -> tuple:
        src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (src - lo).astype(maps.dtype)

    r0, r1, fr = taps(big_h, h)
    c0, c1, fc = taps(big_w, w)
    top = maps[:, r0] * (1 - fr)[None, :, None] + maps[:, r1] * fr[None, :, None]
    return top[:, :, c0] * (1 - fc) + top[:, :, c1] * fc


def grad_cam(model: Any, x: Any, target: Any = None, layer: Any = None, relu: bool = True,
             upsample_to_input: str | None = None) -> np.ndarray:
    """Grad-CAM maps of shape (N, h, w) at ``layer``'s resolution (a Conv2D layer or any layer
    with (N, h, w, C) output, given by name or object; the last Conv2D by default).

    ``relu=False`` keeps negative evidence (Captum's ``LayerGradCam`` default); with
    ``upsample_to_input="nearest"`` or ``"bilinear"`` the maps are resized to the input's (H, W).

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Conv2D(2, 3, activation="relu"),
        ...                        em.layers.Flatten(), em.layers.Dense(3)])
        >>> x = np.random.default_rng(0).random((2, 6, 6, 1)).astype("float32")
        >>> em.explain.grad_cam(model, x, target=1).shape
        (2, 4, 4)
        >>> em.explain.grad_cam(model, x, target=1, upsample_to_input="bilinear").shape
        (2, 6, 6)
    """
    who = "grad_cam"
    xb = _core.as_batch(model, x, who)
    t = _core.check_target(target, len(xb), _core.n_outputs(model, xb), who)
    chosen = last_conv_layer(model, xb) if layer is None else _core.find_layer(model, layer, who)
    acts, grads = layer_gradients(model, xb, t, chosen, who)
    if acts.ndim != 4:
        raise ValueError(f"{who}: layer {chosen.name!r} outputs shape {acts.shape}; Grad-CAM "
                         "needs (N, H, W, C) feature maps")
    weights = grads.mean(axis=(1, 2), keepdims=True)  # one weight per channel
    cam = (weights * acts).sum(axis=3)
    if relu:
        cam = np.maximum(cam, 0)
    if upsample_to_input is not None:
        if xb.ndim != 4:
            raise ValueError(f"{who}: upsampling needs image inputs (N, H, W, C); got "
                             f"{xb.shape}")
        cam = upsample(cam, xb.shape[1:3], upsample_to_input)
    return cam.astype(xb.dtype)


# ---------------------------------------------------------------------- guided backprop
def guided_relu(x: Tensor) -> Tensor:
    """relu whose backward passes a gradient only where both the input and the gradient are
    positive (Springenberg et al., 2015)."""
    data = x.data * (x.data > 0)

    def backward(g: Tensor) -> tuple:
        if STATE.enabled:
            return (g * ((x.data > 0) & (g.data > 0)),)
        return (wrap_array(g.data * ((x.data > 0) & (g.data > 0))),)

    return record_op(data, (x,), backward, "guided_relu", (x,))


@contextlib.contextmanager
def guided_relus(model: Any) -> Iterator[int]:
    """Swap every ReLU of the model's layers (Dense/Conv activations, Activation("relu")) for
    ``guided_relu`` while inside, and switch the relu op's backward to the guided rule (for a
    relu called in a custom layer's or model's call); yields how many layers were swapped."""
    from ember.ops.activation_names import name_of
    from ember.ops.activation_ops import GUIDED_BACKWARD

    swapped: list[tuple[Any, str, Any]] = []
    token = GUIDED_BACKWARD.set(True)
    try:
        for layer in _core.all_layers(model):
            act = layer.__dict__.get("activation")
            # the layer passes its activation to the op, which runs guided_relu unfused
            if act is not None and name_of(act) == "relu":
                swapped.append((layer, "activation", act))
                object.__setattr__(layer, "activation", guided_relu)
        yield len(swapped)
    finally:
        GUIDED_BACKWARD.reset(token)
        for layer, name, value in reversed(swapped):
            object.__setattr__(layer, name, value)


def guided_backprop(model: Any, x: Any, target: Any = None) -> np.ndarray:
    """Input gradients with every ReLU's backward replaced by the guided rule, as Captum's
    ``GuidedBackprop`` (which overrides ``nn.ReLU`` modules). Unlike Captum, a relu called as a
    function (``em.relu`` inside a custom ``call``) is guided too.

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(3, activation="relu"), em.layers.Dense(2)])
        >>> em.explain.guided_backprop(model, np.ones((2, 4), "float32"), target=0).shape
        (2, 4)
    """
    who = "guided_backprop"
    xb = _core.as_batch(model, x, who)
    t = _core.check_target(target, len(xb), _core.n_outputs(model, xb), who)
    with guided_relus(model):
        return _core.input_gradients(model, xb, t, who)


def guided_grad_cam(model: Any, x: Any, target: Any = None, layer: Any = None,
                    interpolate_mode: str = "nearest") -> np.ndarray:
    """Guided Grad-CAM: ``guided_backprop * grad_cam`` (ReLU'd and upsampled to the input,
    broadcast over channels), as Captum's ``GuidedGradCam``; an array of ``x``'s shape.

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Conv2D(2, 3, activation="relu"),
        ...                        em.layers.Flatten(), em.layers.Dense(3)])
        >>> x = np.random.default_rng(0).random((2, 6, 6, 1)).astype("float32")
        >>> em.explain.guided_grad_cam(model, x, target=1).shape
        (2, 6, 6, 1)
    """
    cam = grad_cam(model, x, target, layer, relu=True, upsample_to_input=interpolate_mode)
    return guided_backprop(model, x, target) * cam[..., None]
