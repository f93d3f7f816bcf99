"""Regression scores on whole arrays, equal to scikit-learn's: MSE, RMSE, MAE, MAPE, MSLE,
RMSLE, R2, adjusted R2 and explained variance.

Targets are (n,) or (n, outputs). ``multioutput`` combines the outputs: "uniform_average"
(default), "raw_values" (one score per output), "variance_weighted" (R2 and explained
variance), or an array of weights.

Example:
    >>> import ember as em
    >>> y_true, y_pred = [3, -0.5, 2, 7], [2.5, 0.0, 2, 8]
    >>> em.metrics.sklearn.mean_squared_error(y_true, y_pred)
    0.375
    >>> round(em.metrics.sklearn.r2_score(y_true, y_pred), 4)
    0.9486
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.metrics._targets import UndefinedMetricWarning, sample_weights, to_numpy


def _targets(fname: str, y_true: Any, y_pred: Any, sample_weight: Any,
             multioutput: Any, allowed: tuple = ("raw_values", "uniform_average")) -> tuple:
    """(y_true, y_pred) as float64 (n, outputs), the weights, and the output weighting."""
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{fname}: {name} must be numeric; got dtype {arr.dtype}")
        if arr.ndim not in (1, 2):
            raise ValueError(f"{fname}: {name} must be (n_samples,) or (n_samples, n_outputs); "
                             f"got shape {arr.shape}")
    yt = yt.astype(np.float64).reshape(len(yt), -1)
    yp = yp.astype(np.float64).reshape(len(yp), -1)
    if yt.shape[0] != yp.shape[0]:
        raise ValueError(f"{fname}: y_true has {yt.shape[0]} samples but y_pred has "
                         f"{yp.shape[0]}")
    if yt.shape[1] != yp.shape[1]:
        raise ValueError(f"{fname}: y_true and y_pred have different numbers of outputs "
                         f"({yt.shape[1]} != {yp.shape[1]})")
    if yt.shape[0] == 0:
        raise ValueError(f"{fname}: got no samples")
    if not (np.all(np.isfinite(yt)) and np.all(np.isfinite(yp))):
        raise ValueError(f"{fname}: the inputs contain NaN or infinity")
    sw = sample_weights(sample_weight, yt.shape[0], fname)
    if isinstance(multioutput, str):
        if multioutput not in allowed:
            raise ValueError(f"{fname}: multioutput must be one of {allowed} or an array of "
                             f"weights; got {multioutput!r}")
    elif multioutput is not None:
        multioutput = to_numpy(multioutput).astype(np.float64)
        if yt.shape[1] == 1:
            raise ValueError(f"{fname}: multioutput weights need several outputs")
        if multioutput.shape != (yt.shape[1],):
            raise ValueError(f"{fname}: got {multioutput.size} multioutput weights for "
                             f"{yt.shape[1]} outputs")
    return yt, yp, None if sw is None else sw.astype(np.float64), multioutput


def _column_mean(values: np.ndarray, sw: np.ndarray | None) -> np.ndarray:
    if sw is None:
        return values.mean(axis=0)
    total = sw.sum()
    if total == 0:
        raise ZeroDivisionError("the sample weights sum to zero")
    return (values * sw[:, None]).sum(axis=0) / total


def _combine(errors: np.ndarray, multioutput: Any) -> Any:
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return errors
        return float(errors.mean())
    return float(np.average(errors, weights=multioutput))


def mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                       multioutput: Any = "uniform_average") -> Any:
    """Mean of ``(y_true - y_pred) ** 2``.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.mean_squared_error([[0.5, 1], [-1, 1]], [[0, 2], [-1, 2]],
        ...                               multioutput="raw_values")
        array([0.125, 1.   ])
    """
    yt, yp, sw, mo = _targets("mean_squared_error", y_true, y_pred, sample_weight, multioutput)
    return _combine(_column_mean((yt - yp) ** 2, sw), mo)


def root_mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                            multioutput: Any = "uniform_average") -> Any:
    """Square root of the mean squared error (per output, then combined).

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.root_mean_squared_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
        0.6124
    """
    yt, yp, sw, mo = _targets("root_mean_squared_error", y_true, y_pred, sample_weight,
                              multioutput)
    return _combine(np.sqrt(_column_mean((yt - yp) ** 2, sw)), mo)


def mean_absolute_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                        multioutput: Any = "uniform_average") -> Any:
    """Mean of ``|y_true - y_pred|``.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8])
        0.5
    """
    yt, yp, sw, mo = _targets("mean_absolute_error", y_true, y_pred, sample_weight, multioutput)
    return _combine(_column_mean(np.abs(yt - yp), sw), mo)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                                   multioutput: Any = "uniform_average") -> Any:
    """Mean of ``|y_true - y_pred| / max(|y_true|, eps)`` (a fraction, not a percentage, as
    in scikit-learn; eps is float64's machine epsilon).

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.mean_absolute_percentage_error([3, -0.5, 2, 7],
        ...                                                 [2.5, 0.0, 2, 8]), 4)
        0.3274
    """
    yt, yp, sw, mo = _targets("mean_absolute_percentage_error", y_true, y_pred,
                              sample_weight, multioutput)
    eps = np.finfo(np.float64).eps
    return _combine(_column_mean(np.abs(yp - yt) / np.maximum(np.abs(yt), eps), sw), mo)


def _log_targets(fname: str, y_true: Any, y_pred: Any, sample_weight: Any,
                 multioutput: Any) -> tuple:
    yt, yp, sw, mo = _targets(fname, y_true, y_pred, sample_weight, multioutput)
    if (yt < 0).any() or (yp < 0).any():
        raise ValueError(f"{fname}: the logarithmic error is for non-negative targets; got a "
                         f"negative value (min y_true={yt.min():g}, min y_pred={yp.min():g})")
    return np.log1p(yt), np.log1p(yp), sw, mo


def mean_squared_log_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                           multioutput: Any = "uniform_average") -> Any:
    """Mean of ``(log(1 + y_true) - log(1 + y_pred)) ** 2``; negative values are an error.

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.mean_squared_log_error([3, 5, 2.5, 7], [2.5, 5, 4, 8]), 4)
        0.0397
    """
    lt, lp, sw, mo = _log_targets("mean_squared_log_error", y_true, y_pred, sample_weight,
                                  multioutput)
    return _combine(_column_mean((lt - lp) ** 2, sw), mo)


def root_mean_squared_log_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                                multioutput: Any = "uniform_average") -> Any:
    """RMSLE, the square root of ``mean_squared_log_error``: relative errors count, large
    targets do not dominate. Negative values are an error.

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.root_mean_squared_log_error([3, 5, 2.5, 7], [2.5, 5, 4, 8]), 4)
        0.1993
    """
    lt, lp, sw, mo = _log_targets("root_mean_squared_log_error", y_true, y_pred,
                                  sample_weight, multioutput)
    return _combine(np.sqrt(_column_mean((lt - lp) ** 2, sw)), mo)


def _explained(numerator: np.ndarray, denominator: np.ndarray, multioutput: Any,
               force_finite: bool) -> Any:
    """``1 - numerator / denominator`` per output, with scikit-learn's finite conventions:
    a perfect prediction scores 1, a constant target predicted imperfectly scores 0."""
    if force_finite:
        scores = np.ones_like(numerator)
        ok = (denominator != 0) & (numerator != 0)
        scores[ok] = 1.0 - numerator[ok] / denominator[ok]
        scores[(numerator != 0) & (denominator == 0)] = 0.0
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1.0 - numerator / denominator
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        weights = None
        if multioutput == "variance_weighted" and np.any(denominator != 0):
            weights = denominator
    else:
        weights = multioutput
    result = np.average(scores, weights=weights)
    return float(result)


_R2_OUTPUTS = ("raw_values", "uniform_average", "variance_weighted")


def r2_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
             multioutput: Any = "uniform_average", force_finite: bool = True) -> Any:
    """The coefficient of determination ``1 - SS_res / SS_tot`` (1 is perfect, 0 is as good
    as predicting the mean, below 0 is worse). With all-equal targets, SS_tot is 0: the score
    is 1.0 for exact predictions and 0.0 otherwise (``force_finite=False`` gives NaN/-inf).
    Fewer than two samples give NaN with a warning.

    Example:
        >>> import ember as em
        >>> sk = em.metrics.sklearn
        >>> sk.r2_score([1, 2, 3], [1, 2, 3]), sk.r2_score([2, 2, 2], [2, 2, 3])
        (1.0, 0.0)
    """
    fname = "r2_score"
    yt, yp, sw, mo = _targets(fname, y_true, y_pred, sample_weight, multioutput, _R2_OUTPUTS)
    if yt.shape[0] < 2:
        warnings.warn(f"{fname}: R^2 is not well-defined with fewer than two samples",
                      UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    w = 1.0 if sw is None else sw[:, None]
    numerator = (w * (yt - yp) ** 2).sum(axis=0)
    denominator = (w * (yt - _column_mean(yt, sw)) ** 2).sum(axis=0)
    return _explained(numerator, denominator, mo, force_finite)


def adjusted_r2_score(y_true: Any, y_pred: Any, n_features: int, *, sample_weight: Any = None,
                      multioutput: Any = "uniform_average") -> Any:
    """R2 adjusted for the number of features p used by the model:
    ``1 - (1 - R2) (n - 1) / (n - p - 1)`` with n samples. It needs n > p + 1.

    Example:
        >>> import ember as em
        >>> sk = em.metrics.sklearn
        >>> round(sk.adjusted_r2_score([3, -0.5, 2, 7, 4], [2.5, 0.0, 2, 8, 4.5], 2), 4)
        0.8841
    """
    fname = "adjusted_r2_score"
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) \
            or n_features < 0:
        raise ValueError(f"{fname}: n_features must be an integer >= 0; got {n_features!r}")
    n = len(to_numpy(y_true))
    if n <= n_features + 1:
        raise ValueError(f"{fname}: needs more samples than n_features + 1 (got n={n} samples "
                         f"for n_features={n_features}); the factor (n - 1) / (n - p - 1) is "
                         "undefined otherwise")
    r2 = r2_score(y_true, y_pred, sample_weight=sample_weight, multioutput=multioutput)
    adjusted = 1.0 - (1.0 - np.asarray(r2)) * (n - 1) / (n - n_features - 1)
    return adjusted if isinstance(r2, np.ndarray) else float(adjusted)


def explained_variance_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                             multioutput: Any = "uniform_average",
                             force_finite: bool = True) -> Any:
    """``1 - Var(y_true - y_pred) / Var(y_true)``: R2 without penalizing a constant offset.

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.explained_variance_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]), 4)
        0.9572
    """
    yt, yp, sw, mo = _targets("explained_variance_score", y_true, y_pred, sample_weight,
                              multioutput, _R2_OUTPUTS)
    diff = yt - yp
    numerator = _column_mean((diff - _column_mean(diff, sw)) ** 2, sw)
    denominator = _column_mean((yt - _column_mean(yt, sw)) ** 2, sw)
    return _explained(numerator, denominator, mo, force_finite)
