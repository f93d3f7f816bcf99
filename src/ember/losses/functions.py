"""Loss functions, as ``keras.losses``: each returns one loss per sample (the mean or sum over
the last axis), differentiable in ``y_pred``. The classes in ``classes.py`` reduce them to the
scalar that training minimizes.

``y_true`` may be a NumPy array or a Tensor; a trailing axis of size 1 may differ between the
two, as Keras allows ((batch,) labels against (batch, 1) predictions).

Example:
    >>> import ember as em
    >>> em.losses.mean_squared_error([[0.0, 1.0]], em.tensor([[1.0, 1.0]]))
    tensor([0.5])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ember import ops, serialization
from ember.autograd.tensor import Tensor
from ember.backend import xp_of
from ember.losses._inputs import (
    EPSILON,
    as_pred,
    as_true,
    check_smoothing,
    labels_array,
    pair,
    produced_by,
)
from ember.ops.shape import check_label_range

_LOG2 = math.log(2.0)


def _mean_last(x: Tensor, axis: int = -1) -> Tensor:
    return x if x.ndim == 0 else ops.mean(x, axis=axis)


def _sum_last(x: Tensor, axis: int = -1) -> Tensor:
    return x if x.ndim == 0 else ops.sum(x, axis=axis)


# ------------------------------------------------------------------ regression
@serialization.register()
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((y_true - y_pred) ** 2, axis=-1)``."""
    t, p = pair(y_true, y_pred, "mean_squared_error")
    return _mean_last(ops.square(p - t))


@serialization.register()
def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    t, p = pair(y_true, y_pred, "mean_absolute_error")
    return _mean_last(ops.abs(p - t))


@serialization.register()
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)``."""
    t, p = pair(y_true, y_pred, "mean_absolute_percentage_error")
    return _mean_last(ops.abs((t - p) / ops.maximum(ops.abs(t), EPSILON))) * 100.0


@serialization.register()
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((log(1 + y_pred) - log(1 + y_true)) ** 2, axis=-1)``, values below 1e-7 raised
    to 1e-7."""
    t, p = pair(y_true, y_pred, "mean_squared_logarithmic_error")
    diff = ops.log1p(ops.maximum(p, EPSILON)) - ops.log1p(ops.maximum(t, EPSILON))
    return _mean_last(ops.square(diff))


@serialization.register()
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Quadratic for small errors, linear for large ones: ``0.5 * e ** 2`` where
    ``|e| <= delta``, ``delta * |e| - 0.5 * delta ** 2`` elsewhere; mean over the last axis.

    Example:
        >>> import ember as em
        >>> loss = em.losses.huber([[0.0, 1.0], [0.0, 0.0]], em.tensor([[0.6, 0.4], [0.4, 0.6]]))
        >>> print(loss.numpy().round(4))
        [0.18 0.13]
    """
    if not delta >= 0:
        raise ValueError(f"huber: delta must be >= 0; got {delta!r}")
    t, p = pair(y_true, y_pred, "huber")
    err = p - t
    abs_err = ops.abs(err)
    quadratic = ops.square(err) * 0.5
    linear = abs_err * delta - 0.5 * delta * delta
    return _mean_last(ops.where(abs_err.data <= delta, quadratic, linear))


@serialization.register()
def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow as
    ``x + softplus(-2x) - log(2)``."""
    t, p = pair(y_true, y_pred, "log_cosh")
    x = p - t
    return _mean_last(x + ops.softplus(x * -2.0) - _LOG2)


@serialization.register()
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for vectors pointing the
    same way, 0 for orthogonal ones, 1 for opposite ones (Keras' sign: minimizing it aligns the
    prediction with the target); 0 when either vector is zero."""
    t, p = pair(y_true, y_pred, "cosine_similarity")
    return -ops.sum(_l2_normalize(t, axis) * _l2_normalize(p, axis), axis=axis)


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    sq = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(sq, 1e-12))


# ------------------------------------------------------------------ probabilistic
@serialization.register()
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-(t * log(p) + (1 - t) * log(1 - p))``, mean over ``axis``.

    ``from_logits=True``: ``y_pred`` holds logits (finite for any confidence). Otherwise
    probabilities, clipped to [1e-7, 1 - 1e-7] (``compile`` uses the logits of a model whose
    last activation is a sigmoid). ``label_smoothing`` moves targets towards 0.5.

    Example:
        >>> import ember as em
        >>> loss = em.losses.binary_crossentropy([[0.0, 1.0], [0.0, 0.0]],
        ...                                      em.tensor([[0.6, 0.4], [0.4, 0.6]]))
        >>> print(loss.numpy().round(4))
        [0.9163 0.7136]
    """
    who = "binary_crossentropy"
    p_raw = as_pred(y_pred)
    t, p = pair(y_true, p_raw, who)
    ls = check_smoothing(label_smoothing, who)
    if ls:
        t = t * (1.0 - ls) + 0.5 * ls
    if from_logits:
        _warn_not_logits(p_raw, "sigmoid", who)
        return _mean_last(ops.sigmoid_cross_entropy(p, t), axis)
    pc = ops.clip(p, EPSILON, 1.0 - EPSILON)
    ce = -(t * ops.log(pc) + (1.0 - t) * ops.log(1.0 - pc))
    return _mean_last(ce, axis)


@serialization.register()
def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-sum(t * log(p), axis)`` for one-hot (or soft) targets ``t``.

    ``from_logits=True``: ``y_pred`` holds logits (finite for any confidence). Otherwise
    probabilities, normalized and clipped to [1e-7, 1 - 1e-7] (``compile`` uses the logits of
    a model whose last activation is a softmax). ``label_smoothing`` mixes the target with the
    uniform distribution over the classes.

    Example:
        >>> import ember as em
        >>> loss = em.losses.categorical_crossentropy(
        ...     [[0, 1, 0], [0, 0, 1]], em.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))
        >>> print(loss.numpy().round(4))
        [0.0513 2.3026]
    """
    who = "categorical_crossentropy"
    p = as_pred(y_pred)
    if p.ndim == 0:
        raise ValueError(f"{who}: y_pred must have a class axis; got a scalar")
    t = as_true(y_true, p)
    if t.shape != p.shape:
        hint = (" (integer class labels: use sparse_categorical_crossentropy)"
                if t.ndim == p.ndim - 1 or (t.ndim == p.ndim and t.shape[-1] == 1) else "")
        raise ValueError(f"{who}: y_true has shape {tuple(t.shape)} but y_pred has shape "
                         f"{tuple(p.shape)}; one-hot targets of the same shape are "
                         f"expected{hint}")
    ls = check_smoothing(label_smoothing, who)
    if p.shape[axis] == 1:
        warnings.warn(f"{who}: y_pred has a single class along axis {axis} (shape "
                      f"{tuple(p.shape)}), so the loss is always 0; for two classes use one "
                      "sigmoid unit and binary_crossentropy", UserWarning, stacklevel=2)
    if from_logits:
        _warn_not_logits(p, "softmax", who)
        return ops.softmax_cross_entropy(p, t, axis=axis, label_smoothing=ls)
    if ls:
        t = t * (1.0 - ls) + ls / p.shape[axis]
    out = ops.clip(p / ops.sum(p, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON)
    return -ops.sum(t * ops.log(out), axis=axis)


@serialization.register()
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1,
                                    reduction: str = "none") -> Tensor:
    """Categorical cross-entropy with integer class labels ``y_true`` of shape (batch,) or
    (batch, 1) (floats holding whole numbers are accepted), against (batch, classes).

    ``ignore_class``: samples with this label get loss 0 and are left out of the mean.
    With ``from_logits=True`` (which ``compile`` chooses for a softmax output) this is one
    fused op; ``reduction="mean"`` (no ``ignore_class``) folds the batch mean into it.

    Example:
        >>> import ember as em
        >>> loss = em.losses.sparse_categorical_crossentropy(
        ...     [1, 2], em.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))
        >>> print(loss.numpy().round(4))
        [0.0513 2.3026]
    """
    who = "sparse_categorical_crossentropy"
    p = as_pred(y_pred)
    if p.ndim == 0:
        raise ValueError(f"{who}: y_pred must have a class axis; got a scalar")
    labels = labels_array(y_true, p)
    if labels.ndim == p.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    ax = axis % p.ndim
    expected = p.shape[:ax] + p.shape[ax + 1:]
    if labels.shape != expected:
        hint = (" (one-hot targets: use categorical_crossentropy)"
                if labels.shape == p.shape else "")
        raise ValueError(f"{who}: y_true has shape {labels.shape} but y_pred has shape "
                         f"{tuple(p.shape)}; integer labels of shape {expected} or "
                         f"{expected + (1,)} are expected{hint}")
    xp = xp_of(p.data)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind not in "fb":
            raise TypeError(f"{who}: labels must be integers; got dtype {labels.dtype}")
        if labels.dtype.kind == "f":
            _check_whole(labels, xp, p.shape[ax], who)
        labels = labels.astype("int64")
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = xp.where(valid, labels, 0)
    fused_mean = "mean" if reduction == "mean" and valid is None else "none"
    if from_logits:
        _warn_not_logits(p, "softmax", who)
        loss = ops.softmax_cross_entropy(p, labels, axis=ax, reduction=fused_mean)
    else:
        loss = _sparse_from_probabilities(p, labels, ax, who)
    if reduction == "mean" and loss.ndim:
        loss = ops.mean(loss)
    if valid is not None:
        loss = ops.where(valid, loss, 0.0)
        loss._mask = valid  # the Loss class averages over the valid samples only
    return loss


def _check_whole(labels: Any, xp: Any, classes: int, who: str) -> None:
    """Float labels must hold whole numbers: 0.7 would silently become class 0."""
    frac = labels != xp.floor(labels)
    if bool(frac.any()):
        first = int(xp.argmax(frac.reshape(-1)))
        value = float(labels.reshape(-1)[first])
        hint = (" (probabilities or soft targets of shape (batch, classes): use "
                "categorical_crossentropy)")
        raise ValueError(f"{who}: y_true holds float labels that are not whole numbers "
                         f"({int(frac.sum())} of {labels.size}; the first is {value} at index "
                         f"{first}); class indices 0..{classes - 1} are expected{hint}")


def _sparse_from_probabilities(p: Tensor, labels: Any, ax: int, who: str) -> Tensor:
    check_label_range(labels, p.shape[ax], who)
    out = ops.clip(p / ops.sum(p, axis=ax, keepdims=True), EPSILON, 1.0 - EPSILON)
    xp = xp_of(p.data)
    picked = ops.take_along_axis(out, xp.expand_dims(labels, ax), axis=ax)
    return -ops.log(ops.squeeze(picked, ax))


def _warn_not_logits(p: Any, op: str, who: str) -> None:
    if produced_by(p, op):
        warnings.warn(f"{who}: from_logits=True, but y_pred is the output of a {op}, so it "
                      f"holds probabilities, not logits; use from_logits=False (or remove the "
                      f"{op})", UserWarning, stacklevel=3)


@serialization.register()
def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to [1e-7, 1]."""
    t, p = pair(y_true, y_pred, "kl_divergence")
    t = ops.clip(t, EPSILON, 1.0)
    p = ops.clip(p, EPSILON, 1.0)
    return _sum_last(t * ops.log(t / p))


@serialization.register()
def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``: the Poisson negative
    log-likelihood of counts ``y_true`` with rate ``y_pred`` (up to a constant)."""
    t, p = pair(y_true, y_pred, "poisson")
    return _mean_last(p - t * ops.log(p + EPSILON))


# ------------------------------------------------------------------ hinge (margin) losses
def _hinge_labels(t: Tensor) -> Tensor:
    """Labels in {0, 1} become {-1, 1}; labels already in {-1, 1} are kept (as Keras)."""
    xp = xp_of(t.data)
    if bool(xp.all((t.data == 0) | (t.data == 1))):
        return t * 2.0 - 1.0
    return t


@serialization.register()
def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - t * y_pred, 0), axis=-1)`` with labels ``t`` in {-1, 1} (or {0, 1})."""
    t, p = pair(y_true, y_pred, "hinge")
    return _mean_last(ops.relu(1.0 - _hinge_labels(t) * p))


@serialization.register()
def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(max(1 - t * y_pred, 0) ** 2, axis=-1)`` with labels in {-1, 1} (or {0, 1})."""
    t, p = pair(y_true, y_pred, "squared_hinge")
    return _mean_last(ops.square(ops.relu(1.0 - _hinge_labels(t) * p)))


@serialization.register()
def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``max(neg - pos + 1, 0)`` with ``pos = sum(t * p)`` and ``neg = max((1 - t) * p)``
    for one-hot ``t``."""
    t, p = pair(y_true, y_pred, "categorical_hinge")
    pos = ops.sum(t * p, axis=-1)
    neg = ops.max((1.0 - t) * p, axis=-1)
    return ops.relu(neg - pos + 1.0)


# Keras' short aliases
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "cosine_similarity",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge", "mse", "MSE",
    "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "kullback_leibler_divergence",
    "logcosh", "bce", "BCE",
]
