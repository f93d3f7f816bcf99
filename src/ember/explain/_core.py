"""What every explanation method shares: running a model on a NumPy batch with gradients on,
picking the explained score (``target``), and catching one layer's output on the way.

The explained score of sample ``i`` is ``output[i, target[i]]`` (or ``target(output)[i]`` for a
callable target). Samples do not interact in inference mode, so the gradient of the *sum* of the
scores gives every sample's own gradient in one backward pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ember import backend
from ember.autograd import engine
from ember.autograd.mode import enable_grad
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers.call_watch import watch_calls


def model_dtype(model: Any) -> np.dtype:
    """The float type the model computes in (its first weight's; floatx before it is built)."""
    weights = getattr(model, "weights", None) or []
    for w in weights:
        if w.data.dtype.kind == "f":
            return np.dtype(w.data.dtype.name)
    return np.dtype(backend.floatx())


def as_batch(model: Any, x: Any, who: str) -> np.ndarray:
    """``x`` as a float NumPy batch in the model's dtype (float32 stays float32)."""
    if isinstance(x, Tensor):
        x = backend.to_numpy(x.data)
    arr = np.asarray(x)
    if arr.ndim < 1 or arr.shape[0] == 0:
        raise ValueError(f"{who}: x must be a non-empty batch (first axis = samples); got shape "
                         f"{arr.shape}")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{who}: x must hold numbers; got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=model_dtype(model))


def first_output(out: Any) -> Tensor:
    if isinstance(out, (list, tuple)):
        return out[0]
    if isinstance(out, dict):
        return next(iter(out.values()))
    return out


def forward(model: Any, x: Any) -> Tensor:
    """The model's (first) output for a NumPy batch (or a Tensor), in inference mode."""
    return first_output(model(x if isinstance(x, Tensor) else wrap_array(x), training=False))


def check_target(target: Any, n: int, n_outputs: int | None, who: str) -> Any:
    """``target`` as given (callable), None, or an int64 array of ``n`` class indices."""
    if target is None or callable(target):
        return target
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: target must be a class index (an int, or one per sample) or a "
                        f"function of the output; got {target!r}")
    t = np.broadcast_to(t.astype(np.int64), (n,)) if t.ndim == 0 else t.astype(np.int64)
    if t.shape != (n,):
        raise ValueError(f"{who}: target must be an int or {n} class indices (one per sample); "
                         f"got shape {t.shape}")
    if n_outputs is not None and (t.min() < 0 or t.max() >= n_outputs):
        raise ValueError(f"{who}: target {t.min() if t.min() < 0 else t.max()} is out of range "
                         f"for a model with {n_outputs} outputs")
    return np.ascontiguousarray(t)


def repeat_target(target: Any, times: int, interleave: bool) -> Any:
    """The target for a batch made of ``times`` copies of each sample (interleaved: each sample
    repeated in place, as ``np.repeat``; otherwise the whole batch tiled, step after step)."""
    if target is None or callable(target):
        return target
    return np.repeat(target, times) if interleave else np.tile(target, times)


def select(out: Tensor, target: Any, who: str) -> Tensor:
    """The explained score per sample: a Tensor of shape (N,)."""
    if callable(target):
        score = target(out)
        if not isinstance(score, Tensor) or score.shape != (out.shape[0],):
            raise ValueError(f"{who}: a target function must return a Tensor of shape "
                             f"({out.shape[0]},), one score per sample; got "
                             f"{getattr(score, 'shape', type(score).__name__)}")
        return score
    if target is None:
        if out.ndim == 1:
            return out
        if out.ndim == 2 and out.shape[1] == 1:
            return out.reshape((out.shape[0],))
        raise ValueError(f"{who}: the model has {out.shape[1:]} outputs per sample; pass target "
                         "(the class index to explain)")
    if out.ndim != 2:
        raise ValueError(f"{who}: a class-index target needs an output of shape (N, classes); "
                         f"got {out.shape}")
    onehot = np.zeros(out.shape, dtype=out.data.dtype)
    onehot[np.arange(out.shape[0]), target] = 1
    return (out * wrap_array(onehot)).sum(axis=1)


def n_outputs(model: Any, x: np.ndarray) -> int | None:
    """The number of classes (last axis of the output), from one sample's forward."""
    out = forward(model, x[:1])
    return int(out.shape[1]) if out.ndim == 2 else None


def scores(model: Any, x: np.ndarray, target: Any, who: str, batch_size: int = 512
           ) -> np.ndarray:
    """The explained score of each sample, without gradients."""
    from ember.autograd.mode import no_grad

    parts = []
    with no_grad():
        for i in range(0, len(x), batch_size):
            t = _slice_target(target, i, i + batch_size)
            parts.append(backend.to_numpy(select(forward(model, x[i:i + batch_size]), t,
                                                 who).data))
    return np.concatenate(parts)


def _slice_target(target: Any, start: int, stop: int) -> Any:
    return target[start:stop] if isinstance(target, np.ndarray) else target


@contextlib.contextmanager
def weights_frozen(model: Any) -> Iterator[None]:
    """The model's weights stop requiring gradients while inside: an attribution needs only
    d score / d input, and the ops then skip the weight gradients (a third or more of a
    convolution's backward pass)."""
    flagged = [w for w in model.weights if w.requires_grad]
    for w in flagged:
        w.requires_grad = False
    try:
        yield
    finally:
        for w in flagged:
            w.requires_grad = True


# The largest layer output one forward/backward pass may make (see ``pass_rows``).
PASS_BYTES = 16 << 20


def pass_rows(model: Any, x: np.ndarray) -> int:
    """How many rows of ``x`` one forward/backward pass should take at most: as many as keep
    the largest layer output (measured on one sample) under ``PASS_BYTES`` (16 MiB).

    Why: NumPy gets arrays of tens of MB from fresh ``mmap``'d pages (glibc's allocator hands
    them back to the kernel when freed), and the kernel zero-fills every page at its first
    touch: time the process spends in the kernel, not computing. Measured on Integrated
    Gradients over the MNIST convnet of ``benchmarks/bench_explain.py`` (1,600 rows; its
    largest output, Conv2D 32's, is 86.5 kB a row): one BLAS thread, user time 0.67-0.76 s
    whatever the pass size, system time 0.57-0.9 s in 1,024-row passes, 0.005-0.14 s in 32- to
    192-row ones. Not smaller: on a loaded machine every product is a meeting point of the
    BLAS threads, and more passes cost more (same run, median of 5: 192-row passes 2.68 s,
    96-row 3.05 s, 1,024-row 3.82 s, Captum 3.40 s). The rows do not interact in inference
    mode, so the attributions are the same (to float rounding).
    """
    sample = x[:1]
    sizes = [sample.nbytes]
    for _, out in call_order(model, sample):
        out = first_output(out)
        if isinstance(out, Tensor):
            sizes.append(out.data.nbytes)
    return max(1, PASS_BYTES // max(sizes))


def input_gradients(model: Any, x: np.ndarray, target: Any, who: str,
                    batch_size: int | None = None) -> np.ndarray:
    """d score_i / d x_i for every sample, in chunks of ``batch_size`` rows (``pass_rows``'
    when None)."""
    step = pass_rows(model, x) if not batch_size else int(batch_size)
    step = -(-len(x) // -(-len(x) // step))  # passes of even size: no small last one
    parts = []
    for i in range(0, len(x), step):
        xt = wrap_array(x[i:i + step])
        xt.requires_grad = True
        with enable_grad(), weights_frozen(model):
            score = select(forward(model, xt), _slice_target(target, i, i + step), who)
            (g,) = engine.grad(score.sum(), [xt], allow_unused=True)
        parts.append(np.zeros_like(xt.data) if g is None else backend.to_numpy(g.data))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


# ---------------------------------------------------------------------- layers
def all_layers(model: Any) -> list:
    """Every layer inside the model (not the model itself), each once."""
    return [layer for layer in model._walk() if layer is not model]


def find_layer(model: Any, layer: Any, who: str) -> Any:
    """A layer object from a name or the layer itself."""
    layers = all_layers(model)
    if isinstance(layer, str):
        for candidate in layers:
            if candidate.name == layer:
                return candidate
        raise ValueError(f"{who}: the model has no layer named {layer!r}; its layers are "
                         f"{[c.name for c in layers]}")
    if any(layer is c for c in layers):
        return layer
    raise ValueError(f"{who}: {layer!r} is not a layer of this model")


# the layers' call watcher, under the name ember.explain reads best
capture = watch_calls


def call_order(model: Any, x: np.ndarray) -> list[tuple[Any, Any]]:
    """``(layer, output Tensor)`` for every layer call of one forward pass on ``x``.

    Layers that contain other layers (a nested Sequential) are listed after their insides."""
    from ember.autograd.mode import no_grad

    with capture(all_layers(model)) as seen, no_grad():
        forward(model, x)
    return list(seen)


def is_conv2d(layer: Any) -> bool:
    from ember.layers.convolutional import Conv2D

    return isinstance(layer, Conv2D)
