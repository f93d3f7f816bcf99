"""Neural-network kernels: softmax, log_softmax, fused cross-entropies, dropout.

The two cross-entropies are fused kernels: the loss and its gradient (softmax - target, or
sigmoid - target) come from the logits directly, which is both stable (no log(0)) and fast.
Their backward is a raw array kernel, so they refuse double backward (``fused=True``); compose
``-(target * log_softmax(x)).sum(-1)`` when second derivatives are needed.
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.activation_names import known_as
from ember.ops.elementwise import _ft
from ember.ops.reduction import max_kept
from ember.ops.reduction import sum as _sum
from ember.ops.shape import check_label_range


def _softmax_array(a: Any, axis: int) -> Any:
    xp = xp_of(a)
    e = a - max_kept(a, axis)
    xp.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the max for stability."""
    x = _ft(x)
    data = _softmax_array(x.data, axis)

    def backward(g: Tensor) -> tuple:
        return (out * (g - _sum(g * out, axis=axis, keepdims=True)),)

    out = record_op(data, (x,), backward, "softmax", keep_output=True)
    return out


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``: log-probabilities without overflow or log(0)."""
    from ember.ops.elementwise import exp

    x = _ft(x)
    xp = xp_of(x.data)
    shifted = x.data - max_kept(x.data, axis)
    if shifted.size:
        data = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    else:  # an empty axis (or batch): an empty result, without log(0) of the empty sum
        data = shifted

    def backward(g: Tensor) -> tuple:
        return (g - exp(out) * _sum(g, axis=axis, keepdims=True),)

    out = record_op(data, (x,), backward, "log_softmax", keep_output=True)
    return out


def softmax_cross_entropy(logits: Any, target: Any, axis: int = -1,
                          label_smoothing: float = 0.0, reduction: str = "none") -> Tensor:
    """Per-sample cross-entropy of softmax(logits) against ``target``.

    ``target`` holds integer class labels (the logits' shape without ``axis``; whole-valued
    floats are accepted) or a probability distribution (one-hot or soft; the logits' shape, and
    differentiable when it requires grad, as in PyTorch). Returns the logits' shape without
    ``axis``. Confident wrong predictions give a large finite loss, never inf or NaN.
    ``label_smoothing`` mixes the target with the uniform distribution, as PyTorch and Keras.
    ``reduction="mean"`` returns the mean over all samples as part of the same node (the
    training loss at every step: one recorded op instead of two).

    Example:
        >>> import ember as em
        >>> em.softmax_cross_entropy(em.tensor([[0.0, 0.0]]), em.tensor([1])).item()
        0.6931...
    """
    logits = _ft(logits)
    z = logits.data
    xp = xp_of(z)
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
    ax = axis % z.ndim
    shifted = z - max_kept(z, ax)
    e = xp.exp(shifted)
    s = e.sum(axis=ax, keepdims=True)
    logp = shifted - xp.log(s)
    n_cls = z.shape[ax]
    if reduction not in ("none", "mean"):
        raise ValueError(f"softmax_cross_entropy: reduction must be 'none' or 'mean'; got "
                         f"{reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"softmax_cross_entropy: label_smoothing must be in [0, 1]; got "
                         f"{label_smoothing}")
    sparse = t.ndim == z.ndim - 1 and t.dtype.kind in "iuf"
    if sparse and t.dtype.kind == "f":  # labels read from a CSV or DataFrame arrive as floats
        if t.size and not bool((t == xp.floor(t)).all()):
            raise ValueError("softmax_cross_entropy: integer class labels expected; got "
                             "non-integer floats")
        t = t.astype("int64")
    if sparse:
        expected = z.shape[:ax] + z.shape[ax + 1:]
        if t.shape != expected:
            raise ValueError(f"softmax_cross_entropy: labels of shape {t.shape} do not match "
                             f"logits {z.shape} (expected labels of shape {expected})")
        check_label_range(t, n_cls, "softmax_cross_entropy")
        if logp.ndim == 2 and ax == 1:  # (batch, classes): plain integer indexing is cheapest
            picked = logp[xp.arange(logp.shape[0]), t]
        else:
            picked = xp.take_along_axis(logp, xp.expand_dims(t, ax), axis=ax).squeeze(ax)
        loss = -picked
        if label_smoothing:
            loss = (1 - label_smoothing) * loss - label_smoothing * logp.mean(axis=ax)
    else:
        if t.shape != z.shape:
            raise ValueError(f"softmax_cross_entropy: targets of shape {t.shape} do not match "
                             f"logits {z.shape} (pass integer labels or one row per sample)")
        t = t.astype(z.dtype, copy=False)
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / n_cls
        loss = -(t * logp).sum(axis=ax)
    loss = loss.astype(z.dtype, copy=False)
    count = loss.size
    if reduction == "mean":  # sum / count is what mean() computes, without its Python layer
        loss = xp.asarray(loss.sum() / count if count else xp.nan, dtype=z.dtype)

    def backward(g: Tensor) -> tuple:
        p = e / s
        if sparse:
            if label_smoothing:
                p -= label_smoothing / n_cls
            _subtract_at(p, t, ax, xp, 1.0 - label_smoothing)
        else:
            p *= t.sum(axis=ax, keepdims=True)  # d/dz of -sum(t * logp) = p * sum(t) - t
            p -= t
        if reduction == "mean":  # d(mean)/d(loss_i) = 1/n for every sample
            gz = g.data * (1.0 / count) if count else g.data
        else:
            gz = xp.expand_dims(g.data, ax)
        p *= gz
        if not soft_grad:
            return (wrap_array(p),)
        # the second is d/dt of -sum(t' * logp)
        return wrap_array(p), wrap_array(logp * gz * (label_smoothing - 1))

    # soft targets that require grad (distillation) get a gradient too, as in PyTorch
    soft_grad = not sparse and isinstance(target, Tensor) and target.requires_grad
    parents = (logits, target) if soft_grad else (logits,)
    # backward reads only arrays computed here (e, s, logp), so nothing joins the version check
    return record_op(loss, parents, backward, "softmax_cross_entropy", fused=True)


def _subtract_at(p: Any, labels: Any, axis: int, xp: Any, amount: float) -> None:
    """p[..., label, ...] -= amount along ``axis``, in place (NumPy and CuPy alike)."""
    if p.ndim == 2 and axis == 1:
        p[xp.arange(p.shape[0]), labels] -= amount
        return
    shape = [1] * p.ndim
    shape[axis] = p.shape[axis]
    p[xp.expand_dims(labels, axis) == xp.arange(p.shape[axis]).reshape(shape)] -= amount


def sigmoid_cross_entropy(logits: Any, target: Any) -> Tensor:
    """Elementwise binary cross-entropy of sigmoid(logits) against ``target`` in [0, 1].

    Computed as max(z, 0) - z * t + log(1 + exp(-|z|)): finite for any logit. A target that
    requires grad gets one (-z), as in PyTorch.
    """
    logits = _ft(logits)
    z = logits.data
    xp = xp_of(z)
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
    t = t.astype(z.dtype, copy=False)
    try:
        loss = xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))
    except ValueError:
        raise ValueError(f"sigmoid_cross_entropy: targets of shape {t.shape} do not match "
                         f"logits {z.shape}") from None

    def backward(g: Tensor) -> tuple:
        p = xp.tanh(z * 0.5)
        p *= 0.5
        p += 0.5
        p = p - t  # not in place: t may broadcast p to a larger shape
        p *= g.data
        if not t_grad:
            return (wrap_array(p),)
        return wrap_array(p), wrap_array(-z * g.data)

    t_grad = isinstance(target, Tensor) and target.requires_grad
    parents = (logits, target) if t_grad else (logits,)
    return record_op(loss, parents, backward, "sigmoid_cross_entropy", (logits,), fused=True)


def dropout(x: Any, rate: float, training: bool = True) -> Tensor:
    """Inverted dropout: zero each value with probability ``rate``, scale the rest by
    1 / (1 - rate), so that inference needs no rescaling. Identity when not training."""
    x = _ft(x)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1); got {rate}")
    if not training or rate == 0.0:
        return x
    xp = xp_of(x.data)
    keep = backend.rng(xp).random(x.shape, dtype="float32") >= rate
    mask = keep.astype(x.data.dtype) * (1.0 / (1.0 - rate))
    return record_op(x.data * mask, (x,), lambda g: (g * mask,), "dropout")


known_as("softmax", softmax)  # a model resolves (softmax, cross-entropy) to the fused loss
