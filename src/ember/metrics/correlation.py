"""Pearson and concordance correlation (Keras 3): per-sample functions along ``axis`` and the
streaming metrics that keep their running (weighted) mean over samples.

As in Keras, each sample's coefficient is computed across its last axis (the outputs), not
across the batch: ``y`` shaped (samples, outputs) gives one coefficient per sample.

Example:
    >>> import ember as em
    >>> y_true = [[0, 1, 0.5], [1, 1, 0.2]]
    >>> y_pred = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]
    >>> em.metrics.concordance_correlation(y_true, y_pred).round(6).tolist()
    [0.975609, 0.987654]
    >>> m = em.metrics.PearsonCorrelation()
    >>> round(float(m(y_true, y_pred)), 5)
    0.9967
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.base import EPSILON, _FixedFn, align, as_float, inputs, register


def _pair(y_true: Any, y_pred: Any, who: str) -> tuple:
    yt, yp, xp = inputs(y_true, y_pred)
    yp = as_float(yp)
    yt = yt.astype(yp.dtype, copy=False)
    yt, yp = align(yt, yp)
    if yt.shape != yp.shape:
        raise ValueError(f"{who}: y_true {tuple(yt.shape)} and y_pred {tuple(yp.shape)} must "
                         "have the same shape")
    return yt, yp, xp


@register
def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Pearson's r of ``y_true`` and ``y_pred`` along ``axis`` (one value per sample); a
    constant row gives NaN, as in Keras (0 / 0).

    Example:
        >>> import ember as em
        >>> em.metrics.pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]).round(4)
        array([0.9934])
    """
    yt, yp, xp = _pair(y_true, y_pred, "pearson_correlation")
    with np.errstate(invalid="ignore", divide="ignore"):
        t = yt - yt.mean(axis=axis, keepdims=True)
        p = yp - yp.mean(axis=axis, keepdims=True)
        t = t / t.std(axis=axis, keepdims=True)
        p = p / p.std(axis=axis, keepdims=True)
        return (t * p).mean(axis=axis)


@register
def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Lin's concordance coefficient ``2 cov / (var_t + var_p + (mean_t - mean_p)**2)``
    along ``axis`` (one value per sample; Keras adds 1e-7 to the denominator).

    Example:
        >>> import ember as em
        >>> em.metrics.concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]).round(4)
        array([1.])
    """
    yt, yp, xp = _pair(y_true, y_pred, "concordance_correlation")
    mean_t = yt.mean(axis=axis, keepdims=True)
    mean_p = yp.mean(axis=axis, keepdims=True)
    var_t = yt.var(axis=axis, keepdims=True)
    var_p = yp.var(axis=axis, keepdims=True)
    # Keras centres y_true on y_pred's mean here; the mean over the axis is the same
    # covariance either way, since y_pred - mean_p sums to zero
    covar = (yt - mean_p) * (yp - mean_p)
    norm = var_t + var_p + (mean_t - mean_p) ** 2
    return (2 * covar / (norm + EPSILON)).mean(axis=axis)


class _Correlation(_FixedFn):
    _config_keys = ("axis",)
    _function: Any = None

    def __init__(self, name: str | None = None, dtype: Any = None, axis: int = -1) -> None:
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: axis must be an int; got {axis!r}")
        super().__init__(type(self)._function, name=name or self._function.__name__,
                         dtype=dtype, axis=int(axis))
        self.axis = int(axis)


@register
class PearsonCorrelation(_Correlation):
    """The running mean over samples of :func:`pearson_correlation` (weighted by
    ``sample_weight``).

    Example:
        >>> import ember as em
        >>> m = em.metrics.PearsonCorrelation()
        >>> m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]); round(float(m.result()), 4)
        0.9934
    """

    _function = staticmethod(pearson_correlation)

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype, axis=axis)


@register
class ConcordanceCorrelation(_Correlation):
    """The running mean over samples of :func:`concordance_correlation` (weighted by
    ``sample_weight``).

    Example:
        >>> import ember as em
        >>> m = em.metrics.ConcordanceCorrelation()
        >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]); round(float(m.result()), 4)
        1.0
    """

    _function = staticmethod(concordance_correlation)

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype, axis=axis)
