"""Thresholded confusion counts and the metrics built on them (Keras 3): TruePositives, ...,
Precision and Recall (``AUC`` lives in ``auc.py``).

A prediction counts as positive at threshold t when ``y_pred > t``. For every batch, each
prediction is placed in the bucket of thresholds below it (one ``searchsorted``), and one
weighted ``bincount`` gives, per bucket, the positive and negative label weight; a reversed
cumulative sum turns buckets into counts at every threshold. The cost per batch is
O(n log T + T), never O(n * T).

Example:
    >>> import ember as em
    >>> p = em.metrics.Precision()
    >>> p.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(p.result()), 6)
    0.666667
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.metrics.base import (
    Metric,
    align,
    as_array,
    as_float,
    divide_no_nan,
    inputs,
    register,
)

NEG_INF = -1e10  # what top_k filtering puts in place of the predictions it drops


def parse_thresholds(thresholds: Any, default: float, who: str) -> list[float]:
    """A list of thresholds in [0, 1] (``default`` when None)."""
    if thresholds is None:
        return [default]
    values = list(np.ravel(thresholds)) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    bad = [t for t in values if t is None or not 0.0 <= float(t) <= 1.0]
    if bad or not values:
        raise ValueError(f"{who}: thresholds must be values in [0, 1]; got {thresholds!r}")
    return [float(t) for t in values]


def _top_k_mask(x: Any, k: int, xp: Any) -> Any:
    """True for the k largest values along the last axis (ties: the lower index first)."""
    order = xp.argsort(-x, axis=-1, kind="stable")
    rank = xp.argsort(order, axis=-1, kind="stable")
    return rank < k


def confusion_counts(y_true: Any, y_pred: Any, thresholds: Any, *, top_k: int | None = None,
                     class_id: int | None = None, sample_weight: Any = None,
                     multi_label: bool = False, label_weights: Any = None,
                     clip: bool = False, who: str = "metric") -> tuple:
    """Weighted (tp, fp, tn, fn) at each threshold: NumPy float64 arrays shaped (T,), or
    (T, labels) when ``multi_label``. Labels are cast to bool; ``y_pred > t`` is positive."""
    yt, yp, xp = inputs(y_true, y_pred)
    yp = as_float(yp)
    yp, yt = align(yp, yt)
    if yt.shape != yp.shape:
        raise ValueError(f"{who}: y_true {tuple(yt.shape)} and y_pred {tuple(yp.shape)} must "
                         "have the same shape (binary or one-hot labels, one per prediction)")
    sw = None
    if sample_weight is not None:
        sw = as_float(as_array(sample_weight, xp))[..., None]
        _, sw = align(yt, sw, expand_rank_1=False)
    if top_k is not None:
        yp = xp.where(_top_k_mask(yp, top_k, xp), yp, NEG_INF)
    if class_id is not None:
        if yp.ndim < 2:
            raise ValueError(f"{who}: class_id needs y_pred shaped (samples, classes); got "
                             f"{tuple(yp.shape)}")
        if not 0 <= class_id < yp.shape[-1]:
            raise ValueError(f"{who}: class_id={class_id} is out of range for "
                             f"{yp.shape[-1]} classes")
        yt, yp = yt[..., class_id:class_id + 1], yp[..., class_id:class_id + 1]
    if clip:
        yp = xp.clip(yp, 0.0, 1.0)
    weights = None
    if sw is not None:
        try:
            weights = xp.broadcast_to(sw, yp.shape)
        except ValueError:
            raise ValueError(f"{who}: sample_weight of shape {tuple(sw.shape)} does not fit "
                             f"y_pred of shape {tuple(yp.shape)}") from None
    if label_weights is not None:
        lw = xp.broadcast_to(xp.asarray(label_weights, dtype=np.float64), yp.shape)
        weights = lw if weights is None else weights * lw
    thr = np.asarray(thresholds, dtype=np.float64)
    order = np.argsort(thr, kind="stable")
    nt = thr.shape[0]
    pos = (yt != 0).astype(np.int64)
    # Bucket b = how many thresholds lie strictly below the prediction, so the prediction is
    # positive at sorted thresholds 0..b-1.
    bucket = xp.searchsorted(xp.asarray(thr[order]), yp.ravel() if not multi_label else yp,
                             side="left")
    if multi_label:
        if yp.ndim != 2:
            raise ValueError(f"{who}: multi_label needs y_pred shaped (samples, labels); got "
                             f"{tuple(yp.shape)}")
        labels = yp.shape[1]
        bucket = bucket + (nt + 1) * xp.arange(labels)[None, :]
    else:
        labels = 1
    codes = (2 * bucket + pos.reshape(bucket.shape)).ravel()
    w = None if weights is None else weights.reshape(-1)
    counts = xp.bincount(codes, weights=w, minlength=2 * (nt + 1) * labels)
    counts = backend.to_numpy(counts).astype(np.float64).reshape(labels, nt + 1, 2)
    neg_b, pos_b = counts[..., 0], counts[..., 1]
    # Counts at sorted threshold i = the buckets above it (i + 1 .. T).
    tp = np.cumsum(pos_b[:, ::-1], axis=1)[:, ::-1][:, 1:]
    fp = np.cumsum(neg_b[:, ::-1], axis=1)[:, ::-1][:, 1:]
    fn = pos_b.sum(axis=1, keepdims=True) - tp
    tn = neg_b.sum(axis=1, keepdims=True) - fp
    out = []
    for c in (tp, fp, tn, fn):
        full = np.empty_like(c)
        full[:, order] = c
        out.append(full.T if multi_label else full[0])
    return tuple(out)


class _ThresholdMetric(Metric):
    """Shared parts of the metrics that count at a list of thresholds."""

    _counts: tuple[str, ...] = ()

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if top_k is not None and (not isinstance(top_k, (int, np.integer)) or top_k < 1):
            raise ValueError(f"{who}: top_k must be a positive integer; got {top_k!r}")
        self.init_thresholds = thresholds.tolist() if isinstance(thresholds, np.ndarray) \
            else thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default, who)
        for n in self._counts:
            self.add_variable(n, (len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        tp, fp, tn, fn = confusion_counts(
            y_true, y_pred, self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight, who=type(self).__name__)
        self._add({"true_positives": tp, "false_positives": fp, "true_negatives": tn,
                   "false_negatives": fn})

    def _add(self, counts: dict) -> None:
        for n in self._counts:
            setattr(self, n, getattr(self, n) + counts[n])

    def _one(self, value: np.ndarray) -> Any:
        return np.float64(value[0]) if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {"thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id, "name": self.name, "dtype": self.dtype}


class _ConditionCount(_ThresholdMetric):
    _counts = ("accumulator",)
    _cond = ""

    def __init__(self, thresholds: Any = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def _add(self, counts: dict) -> None:
        self.accumulator = self.accumulator + counts[self._cond]

    def result(self) -> Any:
        return self._one(self.accumulator.copy())

    def get_config(self) -> dict:
        return {"thresholds": self.init_thresholds, "name": self.name, "dtype": self.dtype}


@register
class TruePositives(_ConditionCount):
    """The (weighted) number of true positives at each threshold (default 0.5).

    Example:
        >>> import ember as em
        >>> float(em.metrics.TruePositives()([0, 1, 1, 1], [1, 0, 1, 1]))
        2.0
    """

    _cond = "true_positives"


@register
class FalsePositives(_ConditionCount):
    """The (weighted) number of false positives at each threshold (default 0.5)."""

    _cond = "false_positives"


@register
class TrueNegatives(_ConditionCount):
    """The (weighted) number of true negatives at each threshold (default 0.5)."""

    _cond = "true_negatives"


@register
class FalseNegatives(_ConditionCount):
    """The (weighted) number of false negatives at each threshold (default 0.5)."""

    _cond = "false_negatives"


@register
class Precision(_ThresholdMetric):
    """``tp / (tp + fp)`` at each threshold (default 0.5; 0 when nothing is predicted
    positive). ``top_k`` keeps only the k highest predictions of each sample as candidates;
    ``class_id`` restricts the counts to one column of one-hot/multi-label data. With a loss on
    logits, use ``thresholds=0``.

    Example:
        >>> import ember as em
        >>> float(em.metrics.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1]))
        0.0
    """

    _counts = ("true_positives", "false_positives")

    def result(self) -> Any:
        return self._one(divide_no_nan(self.true_positives,
                                       self.true_positives + self.false_positives))


@register
class Recall(_ThresholdMetric):
    """``tp / (tp + fn)`` at each threshold (default 0.5; 0 when there are no positives).

    Example:
        >>> import ember as em
        >>> round(float(em.metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1])), 6)
        0.666667
    """

    _counts = ("true_positives", "false_negatives")

    def result(self) -> Any:
        return self._one(divide_no_nan(self.true_positives,
                                       self.true_positives + self.false_negatives))
