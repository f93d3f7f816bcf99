"""Cross-entropy, KL-divergence and Poisson metrics (Keras 3's probabilistic metrics), on
arrays: the running mean of the per-sample loss, for watching a loss other than the one
being trained.

The cross-entropies are the losses of the same name (``ember.losses``), so a metric and a
loss agree on the same outputs: probabilities given as such are clipped to [1e-7, 1 - 1e-7]
before the logarithm, as Keras does, while a softmax or sigmoid output Tensor is scored from
its logits; ``from_logits=True`` takes raw scores.

Example:
    >>> import ember as em
    >>> m = em.metrics.BinaryCrossentropy()
    >>> round(float(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 4)
    0.8149
"""

from __future__ import annotations

from typing import Any

from ember.autograd.mode import no_grad
from ember.losses import focal as _focal
from ember.losses import functions as _losses
from ember.metrics.base import EPSILON, _FixedFn, align, as_float, inputs, mean_last, register


def _floats(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    yt, yp, xp = inputs(y_true, y_pred)
    yp = as_float(yp)
    return yt.astype(yp.dtype, copy=False), yp, xp


def per_sample_loss(fn: Any, y_true: Any, y_pred: Any, **kwargs: Any) -> Any:
    """The per-sample values of the loss ``fn`` of the same name, as an array: the metric and
    the loss share one computation, so they agree on the same outputs. Given the model's
    output Tensor (as ``fit`` passes it), a softmax or sigmoid output is scored from its
    logits, as the loss is (finite for any confidence), instead of from clipped
    probabilities (at most -log(1e-7) = 16.1 per sample)."""
    with no_grad():
        out = fn(y_true, y_pred, **kwargs)
    return out.data


@register
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> Any:
    """Per-sample binary cross-entropy, averaged over the last axis."""
    return per_sample_loss(_losses.binary_crossentropy, y_true, y_pred, from_logits=from_logits,
                 label_smoothing=label_smoothing)


@register
def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """Per-sample ``-sum(y_true * log(y_pred))`` for one-hot (or soft) labels."""
    return per_sample_loss(_losses.categorical_crossentropy, y_true, y_pred,
                           from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    axis: int = -1) -> Any:
    """Per-sample ``-log(y_pred[label])`` for integer labels shaped (n,) or (n, 1)."""
    return per_sample_loss(_losses.sparse_categorical_crossentropy, y_true, y_pred,
                 from_logits=from_logits, axis=axis)


@register
def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Any:
    """Per-sample binary focal cross-entropy: the loss ``em.losses.binary_focal_crossentropy``
    (the same computation), as an array.

    Example:
        >>> import ember as em
        >>> values = em.metrics.binary_focal_crossentropy([[0.0, 1.0]], [[0.4, 0.6]])
        >>> [round(float(v), 4) for v in values]
        [0.0817]
    """
    return per_sample_loss(_focal.binary_focal_crossentropy, y_true, y_pred,
                           apply_class_balancing=apply_class_balancing, alpha=alpha,
                           gamma=gamma, from_logits=from_logits,
                           label_smoothing=label_smoothing, axis=axis)


@register
def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """Per-sample categorical focal cross-entropy: the loss
    ``em.losses.categorical_focal_crossentropy`` (the same computation), as an array."""
    return per_sample_loss(_focal.categorical_focal_crossentropy, y_true, y_pred, alpha=alpha,
                           gamma=gamma, from_logits=from_logits,
                           label_smoothing=label_smoothing, axis=axis)


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
    takes_tensor = True  # fit passes the output Tensor: its logits give the loss' value

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
    takes_tensor = True  # fit passes the output Tensor: its logits give the loss' value

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
    takes_tensor = True  # fit passes the output Tensor: its logits give the loss' value

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
