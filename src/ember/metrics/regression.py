"""Streaming regression metrics (Keras 3's names and formulas): MSE, MAE, RMSE, MAPE, MSLE,
cosine similarity, log-cosh and R2.

Each per-sample function averages over the last axis (a rank-1 input is one value per
sample); the classes keep the running (weighted) mean of those values. ``R2Score`` keeps the
sums that R2 needs, so it is exact over any batching.

Example:
    >>> import ember as em
    >>> m = em.metrics.RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.metrics.base import (
    EPSILON,
    Mean,
    Metric,
    _FixedFn,
    align,
    as_array,
    as_float,
    divide_no_nan,
    host_sum,
    inputs,
    mean_last,
    register,
)


def _aligned_floats(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    """``(y_true, y_pred, xp)`` as float arrays of one dtype and shape (the per-sample
    functions compare them elementwise)."""
    yt, yp, xp = inputs(y_true, y_pred)
    yp = as_float(yp)
    yt = yt.astype(yp.dtype, copy=False)
    yt, yp = align(yt, yp)
    return yt, yp, xp


@register
def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean((y_true - y_pred) ** 2)`` over the last axis."""
    yt, yp, _ = _aligned_floats(y_true, y_pred)
    return mean_last((yt - yp) ** 2)


@register
def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean(|y_true - y_pred|)`` over the last axis."""
    yt, yp, xp = _aligned_floats(y_true, y_pred)
    return mean_last(xp.abs(yt - yp))


@register
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))``."""
    yt, yp, xp = _aligned_floats(y_true, y_pred)
    return 100.0 * mean_last(xp.abs((yt - yp) / xp.maximum(xp.abs(yt), EPSILON)))


@register
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean((log(1 + y_pred) - log(1 + y_true)) ** 2)``, values below 1e-7
    clipped to 1e-7 first (Keras' convention; ``em.metrics.sklearn.mean_squared_log_error``
    raises on negative values instead)."""
    yt, yp, xp = _aligned_floats(y_true, y_pred)
    diff = xp.log1p(xp.maximum(yp, EPSILON)) - xp.log1p(xp.maximum(yt, EPSILON))
    return mean_last(diff ** 2)


@register
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Per-sample cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``."""
    yt, yp, xp = _aligned_floats(y_true, y_pred)

    def unit(v: Any) -> Any:
        norm = xp.sqrt(xp.maximum((v * v).sum(axis=axis, keepdims=True), 1e-12))
        return v / norm

    return (unit(yt) * unit(yp)).sum(axis=axis)


@register
def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean(log(cosh(y_pred - y_true)))``, computed without overflow."""
    yt, yp, xp = _aligned_floats(y_true, y_pred)
    x = yp - yt
    # log(cosh(x)) = |x| + log1p(exp(-2|x|)) - log(2): never exponentiates a large number.
    return mean_last(xp.abs(x) + xp.log1p(xp.exp(-2.0 * xp.abs(x))) - np.log(2.0))


@register
class MeanSquaredError(_FixedFn):
    """Running mean of the squared error.

    Example:
        >>> import ember as em
        >>> float(em.metrics.MeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]]))
        0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, name=name, dtype=dtype)


@register
class MeanAbsoluteError(_FixedFn):
    """Running mean of the absolute error.

    Example:
        >>> import ember as em
        >>> m = em.metrics.MeanAbsoluteError()
        >>> float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0]))
        0.5
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


@register
class MeanAbsolutePercentageError(_FixedFn):
    """Running mean of the absolute percentage error (true values near 0 blow it up).

    Example:
        >>> import ember as em
        >>> float(em.metrics.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]))
        37.5
    """

    def __init__(self, name: str = "mean_absolute_percentage_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


@register
class MeanSquaredLogarithmicError(_FixedFn):
    """Running mean of the squared logarithmic error.

    Example:
        >>> import ember as em
        >>> m = em.metrics.MeanSquaredLogarithmicError()
        >>> round(float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]])), 6)
        0.120113
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


@register
class CosineSimilarity(_FixedFn):
    """Running mean of the cosine similarity along ``axis``.

    Example:
        >>> import ember as em
        >>> m = em.metrics.CosineSimilarity(axis=1)
        >>> round(float(m([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])), 6)
        0.5
    """

    _config_keys = ("axis",)

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@register
class LogCoshError(_FixedFn):
    """Running mean of ``log(cosh(y_pred - y_true))``.

    Example:
        >>> import ember as em
        >>> round(float(em.metrics.LogCoshError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])), 6)
        0.108445
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(log_cosh, name=name, dtype=dtype)


@register
class RootMeanSquaredError(Mean):
    """``sqrt`` of the running mean of the squared error (over every element).

    Example:
        >>> import ember as em
        >>> m = em.metrics.RootMeanSquaredError()
        >>> round(float(m([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])), 6)
        0.707107
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt, yp, _ = _aligned_floats(y_true, y_pred)
        super().update_state((yp - yt) ** 2, sample_weight=sample_weight)

    def result(self) -> np.float64:
        return np.sqrt(super().result())


@register
class R2Score(Metric):
    """The coefficient of determination ``1 - SS_res / SS_tot``, accumulated exactly.

    Inputs are (n, outputs) (a rank-1 input is one output). ``class_aggregation`` combines the
    outputs: "uniform_average" (default), "variance_weighted_average", or None for one score
    per output. ``num_regressors > 0`` gives the adjusted R2 ``1 - (1 - R2)(n - 1)/(n - p - 1)``
    with n the number of samples. An output whose targets are all equal scores 1.0 when the
    predictions are exact and 0.0 otherwise (scikit-learn's convention, where Keras gives NaN
    or 0.0).

    Example:
        >>> import ember as em
        >>> round(float(em.metrics.R2Score()([[1], [4], [3]], [[2], [4], [4]])), 6)
        0.571429
    """

    _AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError(f"R2Score: class_aggregation must be one of {self._AGGREGATIONS}; "
                             f"got {class_aggregation!r}")
        if not isinstance(num_regressors, (int, np.integer)) or num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be an integer >= 0; got "
                             f"{num_regressors!r}")
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.add_variable("num_samples")
        self._built = False

    def _build(self, outputs: int) -> None:
        for n in ("squared_sum", "sum", "residual", "count"):
            self.add_variable(n, (outputs,))
        self._built = True

    def _build_from_state(self, state: dict) -> None:
        self._build(np.shape(state["sum"])[0])

    def set_state(self, state: dict) -> None:
        if not self._built and "sum" in state:
            self._build_from_state(state)
        super().set_state(state)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt, yp, xp = _aligned_floats(y_true, y_pred)
        if yp.ndim == 1:
            yt, yp = yt[:, None], yp[:, None]
        if yp.ndim != 2 or yt.shape != yp.shape:
            raise ValueError(f"R2Score: expected y_true and y_pred shaped (batch, outputs); got "
                             f"{tuple(yt.shape)} and {tuple(yp.shape)}")
        if not self._built:
            self._build(yp.shape[1])
        elif yp.shape[1] != self.sum.shape[0]:
            raise ValueError(f"R2Score: got {yp.shape[1]} outputs; earlier batches had "
                             f"{self.sum.shape[0]}")
        if sample_weight is None:
            sw = xp.ones_like(yt)
        else:
            sw = as_float(as_array(sample_weight, xp))
            if sw.ndim == 1:
                sw = sw[:, None]
            sw = xp.broadcast_to(sw, yt.shape)
        wy = yt * sw
        self.sum = self.sum + host_sum(wy, axis=0)
        self.squared_sum = self.squared_sum + host_sum(yt * wy, axis=0)
        self.residual = self.residual + host_sum((yt - yp) ** 2 * sw, axis=0)
        self.count = self.count + host_sum(sw, axis=0)
        self.num_samples += yt.shape[0]

    def result(self) -> Any:
        if not self._built or not self.num_samples:
            return np.float64(0.0)
        mean = divide_no_nan(self.sum, self.count)
        total = self.squared_sum - self.sum * mean
        # The one-pass formula leaves rounding noise where the targets are all equal.
        total = np.where(total <= 1e-12 * np.abs(self.squared_sum), 0.0, total)
        raw = np.where(self.residual == 0, 1.0, 0.0)
        valid = (total > 0) & (self.residual > 0)
        raw[valid] = 1.0 - self.residual[valid] / total[valid]
        if self.class_aggregation == "uniform_average":
            score = np.float64(raw.mean())
        elif self.class_aggregation == "variance_weighted_average":
            score = np.float64((total * raw).sum() / total.sum()) if total.sum() > 0 \
                else np.float64(raw.mean())
        else:
            score = raw
        p, n = self.num_regressors, self.num_samples
        if p:
            if p >= n - 1:
                warnings.warn(f"R2Score: num_regressors={p} needs more than {p + 1} samples "
                              f"(got {n:.0f}); returning the unadjusted R2", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1) / (n - p - 1)
        return score

    def get_config(self) -> dict:
        return {"class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors, "name": self.name, "dtype": self.dtype}
