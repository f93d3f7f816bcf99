"""The loss functions of ``em.nn.functional`` (PyTorch's names, arguments and defaults)."""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor
from ember.backend import xp_of
from ember.ops import activation_ops as _act
from ember.ops import elementwise as _ew
from ember.ops import nn as _nn
from ember.ops.shape import take_along_axis


def _reduce(loss: Tensor, reduction: str, fn: str, weights: Tensor | None = None) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean() if weights is None else loss.sum() / weights.sum()
    raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C) against class indices (N,) or class
    probabilities (N, C), as ``torch.nn.functional.cross_entropy``.

    Channels-last: the class axis is the LAST one ((N, H, W, C) for images; PyTorch's is 1).
    ``weight`` rescales each class (the mean then divides by the summed weights of the
    targets), ``ignore_index`` drops those targets.

    Example:
        >>> import ember as em
        >>> F = em.nn.functional
        >>> round(F.cross_entropy(em.zeros(2, 4), em.tensor([0, 3])).item(), 4)   # log(4)
        1.3863
    """
    input = as_tensor(input)
    t = target.data if isinstance(target, Tensor) else xp_of(input.data).asarray(target)
    index_target = t.dtype.kind in "iu"
    if not index_target or (weight is None and not (t == ignore_index).any()):
        if weight is None:
            if reduction == "mean":
                return _nn.softmax_cross_entropy(input, target, -1, label_smoothing, "mean")
            loss = _nn.softmax_cross_entropy(input, target, -1, label_smoothing)
            return _reduce(loss, reduction, "cross_entropy")
        w = as_tensor(weight).astype(input.data.dtype)
        logp = _nn.log_softmax(input, -1)
        tgt = as_tensor(target)
        loss = -(tgt * logp * w).sum(axis=-1)
        return _reduce(loss, reduction, "cross_entropy")
    keep = t != ignore_index
    safe = xp_of(t).where(keep, t, 0)
    loss = _nn.softmax_cross_entropy(input, safe, -1, label_smoothing)
    xp = xp_of(input.data)
    dt = input.data.dtype
    w = xp.ones(input.shape[-1], dtype=dt) if weight is None else as_tensor(weight).data.astype(dt)
    sample_w = Tensor(w[safe] * keep.astype(dt))
    return _reduce(loss * sample_w, reduction, "cross_entropy", sample_w)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C) at class indices
    ``target`` (N,); the class axis is the last one."""
    input = as_tensor(input)
    t = target.data if isinstance(target, Tensor) else xp_of(input.data).asarray(target)
    xp = xp_of(input.data)
    keep = t != ignore_index
    safe = xp.where(keep, t, 0).astype("int64")
    picked = take_along_axis(input, safe[..., None], -1).squeeze(-1)
    dt = input.data.dtype
    w = xp.ones(input.shape[-1], dtype=dt) if weight is None else as_tensor(weight).data.astype(dt)
    sample_w = Tensor(w[safe] * keep.astype(dt))
    return _reduce(-picked * sample_w, reduction, "nll_loss", sample_w)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (``reduction`` 'mean', 'sum' or 'none')."""
    d = _ew.sub(input, target)
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error."""
    return _reduce(_ew.abs(_ew.sub(input, target)), reduction, "l1_loss")


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (Huber / beta)."""
    d = _ew.abs(_ew.sub(input, target))
    loss = _ew.where(d.data < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    d = _ew.abs(_ew.sub(input, target))
    loss = _ew.where(d.data < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(loss, reduction, "huber_loss")


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) of probabilities ``input``; each log is clamped at -100
    as in PyTorch, so p = 0 or 1 gives a finite loss."""
    p = as_tensor(input)
    if bool(((p.data < 0) | (p.data > 1)).any()):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1]; use "
                         "binary_cross_entropy_with_logits for logits")
    t = as_tensor(target)
    log_p = _ew.clip(_ew.log(p), -100.0, None)
    log_q = _ew.clip(_ew.log(1 - p), -100.0, None)
    loss = -(t * log_p + (1 - t) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None
                                     ) -> Tensor:
    """Binary cross-entropy of sigmoid(``input``), computed stably from the logits;
    ``pos_weight`` multiplies the positive term (one value per class, last axis)."""
    if pos_weight is None:
        loss = _nn.sigmoid_cross_entropy(input, target)
    else:
        z, t = as_tensor(input), as_tensor(target)
        log_w = (as_tensor(pos_weight) - 1) * t + 1
        loss = (1 - t) * z + log_w * _act.softplus(-z)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """KL divergence with ``input`` as log-probabilities: target * (log target - input)
    ('batchmean' divides the sum by the batch size, as PyTorch recommends)."""
    input, t = as_tensor(input), as_tensor(target)
    if log_target:
        loss = _ew.exp(t) * (t - input)
    else:
        safe = _ew.where(t.data > 0, t, 1.0)
        loss = _ew.where(t.data > 0, t * (_ew.log(safe) - input), 0.0)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0]
    return _reduce(loss, reduction, "kl_div")
