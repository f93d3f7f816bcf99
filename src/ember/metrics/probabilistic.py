"""Cross-entropy, KL-divergence and Poisson metrics (Keras 3's probabilistic metrics), on
arrays: the running mean of the per-sample loss, for watching a loss other than the one
being trained.

Probabilities are clipped to [1e-7, 1 - 1e-7] before the logarithm, as Keras does;
``from_logits=True`` takes raw scores and uses a stable log-sigmoid / log-softmax instead.

Example:
    >>> import ember as em
    >>> m = em.metrics.BinaryCrossentropy()
    >>> round(float(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    0.8149
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.base import EPSILON, _FixedFn, align, as_float, inputs, mean_last, register


def _floats(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    yt, yp, xp = inputs(y_true, y_pred)
    yp = as_float(yp)
    return yt.astype(yp.dtype, copy=False), yp, xp


def _log_softmax(x: Any, xp: Any, axis: int) -> Any:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def _log_probs(y_pred: Any, xp: Any, from_logits: bool, axis: int) -> Any:
    if from_logits:
        return _log_softmax(y_pred, xp, axis)
    p = y_pred / y_pred.sum(axis=axis, keepdims=True)
    return xp.log(xp.clip(p, EPSILON, 1.0 - EPSILON))


@register
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> Any:
    """Per-sample binary cross-entropy, averaged over the last axis."""
    yt, yp, xp = _floats(y_true, y_pred)
    yt, yp = align(yt, yp)
    if label_smoothing:
        yt = yt * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # -[y log s(x) + (1 - y) log(1 - s(x))] = max(x, 0) - x y + log(1 + exp(-|x|))
        loss = xp.maximum(yp, 0) - yp * yt + xp.log1p(xp.exp(-xp.abs(yp)))
    else:
        p = xp.clip(yp, EPSILON, 1.0 - EPSILON)
        loss = -(yt * xp.log(p) + (1.0 - yt) * xp.log(1.0 - p))
    return mean_last(loss)


@register
def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """Per-sample ``-sum(y_true * log(y_pred))`` for one-hot (or soft) labels."""
    yt, yp, xp = _floats(y_true, y_pred)
    if label_smoothing:
        yt = yt * (1.0 - label_smoothing) + label_smoothing / yt.shape[axis]
    return -(yt * _log_probs(yp, xp, from_logits, axis)).sum(axis=axis)


@register
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    axis: int = -1) -> Any:
    """Per-sample ``-log(y_pred[label])`` for integer labels shaped (n,) or (n, 1)."""
    yt, yp, xp = inputs(y_true, y_pred)
    yp = as_float(yp)
    if yt.ndim == yp.ndim and yt.shape[-1] == 1:
        yt = yt[..., 0]
    logp = _log_probs(yp, xp, from_logits, axis)
    logp = xp.moveaxis(logp, axis, -1)
    idx = yt.astype(np.int64)[..., None]
    return -xp.take_along_axis(logp, idx, axis=-1)[..., 0]


@register
def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``sum(y_true * log(y_true / y_pred))``, both clipped to [1e-7, 1]."""
    yt, yp, xp = _floats(y_true, y_pred)
    yt, yp = align(yt, yp)
    yt = xp.clip(yt, EPSILON, 1.0)
    yp = xp.clip(yp, EPSILON, 1.0)
    out = yt * xp.log(yt / yp)
    return out if out.ndim <= 1 else out.sum(axis=-1)


@register
def poisson(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean(y_pred - y_true * log(y_pred + 1e-7))``."""
    yt, yp, xp = _floats(y_true, y_pred)
    yt, yp = align(yt, yp)
    return mean_last(yp - yt * xp.log(yp + EPSILON))


@register
class BinaryCrossentropy(_FixedFn):
    """Running mean of the binary cross-entropy."""

    _config_keys = ("from_logits", "label_smoothing")

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing


@register
class CategoricalCrossentropy(_FixedFn):
    """Running mean of the categorical cross-entropy (one-hot labels).

    Example:
        >>> import ember as em
        >>> m = em.metrics.CategoricalCrossentropy()
        >>> round(float(m([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
        1.1769
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1) -> None:
        super().__init__(categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@register
class SparseCategoricalCrossentropy(_FixedFn):
    """Running mean of the sparse categorical cross-entropy (integer labels).

    Example:
        >>> import ember as em
        >>> m = em.metrics.SparseCategoricalCrossentropy()
        >>> round(float(m([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
        1.1769
    """

    _config_keys = ("from_logits", "axis")

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, axis: int = -1) -> None:
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)
        self.from_logits, self.axis = from_logits, axis


@register
class KLDivergence(_FixedFn):
    """Running mean of the Kullback-Leibler divergence ``KL(y_true || y_pred)``."""

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(kl_divergence, name=name, dtype=dtype)


@register
class Poisson(_FixedFn):
    """Running mean of the Poisson loss ``y_pred - y_true * log(y_pred)``."""

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(poisson, name=name, dtype=dtype)
