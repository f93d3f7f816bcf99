"""Ranking metrics on whole arrays, equal to scikit-learn's: ROC and precision-recall curves,
the exact ROC AUC (binary, multilabel, and multiclass one-vs-rest or one-vs-one) and
average precision.

All curves come from one sort of the scores: at each distinct score, the (weighted) true and
false positives of "predict positive when score >= this value". Tied scores form one point,
so ties are handled exactly (a tie between a positive and a negative counts one half in the
AUC, through the trapezoid).

Example:
    >>> import ember as em
    >>> em.metrics.sklearn.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
"""

from __future__ import annotations

import warnings
from itertools import combinations
from typing import Any

import numpy as np

from ember.metrics._targets import (
    UndefinedMetricWarning,
    check_lengths,
    column_or_1d,
    sample_weights,
    to_numpy,
    type_of_target,
)


def auc(x: Any, y: Any) -> float:
    """Area under the curve through the points (x, y), by the trapezoidal rule; ``x`` must
    be monotonic (increasing or decreasing).

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.auc([0.0, 0.5, 1.0], [0.0, 0.75, 1.0])
        0.625
    """
    x = column_or_1d(to_numpy(x).astype(np.float64), "x", "auc")
    y = column_or_1d(to_numpy(y).astype(np.float64), "y", "auc")
    check_lengths("auc", x=x, y=y)
    if x.shape[0] < 2:
        raise ValueError(f"auc: at least 2 points are needed; got {x.shape[0]}")
    dx = np.diff(x)
    direction = 1.0
    if np.any(dx < 0):
        if np.all(dx <= 0):
            direction = -1.0
        else:
            raise ValueError(f"auc: x is neither increasing nor decreasing: {x}")
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2.0))


def _positive(fname: str, y_true: np.ndarray, pos_label: Any) -> np.ndarray:
    """``y_true == pos_label`` as 0/1, with scikit-learn's default for pos_label=None."""
    kind = type_of_target(y_true, fname)
    if not (kind == "binary" or (kind == "multiclass" and pos_label is not None)):
        raise ValueError(f"{fname}: y_true must be binary labels (or give pos_label for "
                         f"multiclass labels); got {kind} targets")
    if pos_label is None:
        classes = np.unique(y_true)
        ok = classes.dtype.kind not in "OUS" and any(
            classes.shape == np.shape(c) and np.all(classes == c)
            for c in ([0, 1], [-1, 1], [0], [-1], [1]))
        if not ok:
            raise ValueError(f"{fname}: y_true takes values {classes.tolist()} and pos_label is "
                             "not given; make y_true take values in {0, 1} or {-1, 1}, or "
                             "pass pos_label")
        pos_label = 1
    return (y_true == pos_label).astype(np.float64)


def binary_clf_curve(fname: str, y_true: Any, y_score: Any, pos_label: Any = None,
                     sample_weight: Any = None) -> tuple:
    """(fps, tps, thresholds): the weighted false and true positives when predicting
    positive for score >= each distinct score, scores in decreasing order."""
    yt = column_or_1d(to_numpy(y_true), "y_true", fname)
    ys = column_or_1d(to_numpy(y_score), "y_score", fname)
    n = check_lengths(fname, y_true=yt, y_score=ys)
    if ys.dtype.kind not in "biuf":
        raise ValueError(f"{fname}: y_score must be numeric; got dtype {ys.dtype}")
    ys = ys.astype(np.float64)
    if not np.all(np.isfinite(ys)):
        raise ValueError(f"{fname}: y_score contains NaN or infinity")
    sw = sample_weights(sample_weight, n, fname)
    yt = _positive(fname, yt, pos_label)
    if sw is not None:
        keep = sw != 0  # zero-weight samples must not add thresholds
        yt, ys, sw = yt[keep], ys[keep], sw[keep].astype(np.float64)
    order = np.argsort(-ys, kind="stable")
    ys, yt = ys[order], yt[order]
    last = np.r_[np.flatnonzero(np.diff(ys)), yt.shape[0] - 1]
    if sw is None:
        tps = np.cumsum(yt)[last]
        fps = 1.0 + last - tps
    else:
        w = sw[order]
        tps = np.cumsum(yt * w)[last]
        fps = np.cumsum((1.0 - yt) * w)[last]
    return fps, tps, ys[last]


def roc_curve(y_true: Any, y_score: Any, *, pos_label: Any = None, sample_weight: Any = None,
              drop_intermediate: bool = True) -> tuple:
    """(fpr, tpr, thresholds) of the receiver operating characteristic, starting at (0, 0)
    with threshold ``inf``; ``drop_intermediate`` drops points on straight segments.

    Example:
        >>> import ember as em
        >>> fpr, tpr, thr = em.metrics.sklearn.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> fpr.tolist(), tpr.tolist(), thr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    fps, tps, thr = binary_clf_curve("roc_curve", y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        corner = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.flatnonzero(np.r_[True, corner, True])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    thr = np.r_[np.inf, thr]
    if fps[-1] <= 0:
        warnings.warn("roc_curve: no negative samples in y_true; the false positive rate is "
                      "undefined (NaN)", UndefinedMetricWarning, stacklevel=2)
        fpr = np.full(fps.shape, np.nan)
    else:
        fpr = fps / fps[-1]
    if tps[-1] <= 0:
        warnings.warn("roc_curve: no positive samples in y_true; the true positive rate is "
                      "undefined (NaN)", UndefinedMetricWarning, stacklevel=2)
        tpr = np.full(tps.shape, np.nan)
    else:
        tpr = tps / tps[-1]
    return fpr, tpr, thr


def precision_recall_curve(y_true: Any, y_score: Any, *, pos_label: Any = None,
                           sample_weight: Any = None, drop_intermediate: bool = False) -> tuple:
    """(precision, recall, thresholds), recall decreasing, ending at precision 1, recall 0.

    Example:
        >>> import ember as em
        >>> p, r, t = em.metrics.sklearn.precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> p.round(3).tolist(), r.tolist(), t.tolist()
        ([0.5, 0.667, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    fname = "precision_recall_curve"
    fps, tps, thr = binary_clf_curve(fname, y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and fps.shape[0] > 2:
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])),
                                    True])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    if tps[-1] == 0:
        warnings.warn(f"{fname}: no positive class in y_true; recall is set to one for all "
                      "thresholds", UserWarning, stacklevel=2)
        recall = np.ones_like(tps)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thr[::-1]


def _binary_roc_auc(y_true: np.ndarray, y_score: np.ndarray, sample_weight: Any = None,
                    max_fpr: float | None = None) -> float:
    if len(np.unique(y_true)) != 2:
        warnings.warn("roc_auc_score: only one class is present in y_true; ROC AUC is not "
                      "defined then (NaN)", UndefinedMetricWarning, stacklevel=3)
        return float("nan")
    fpr, tpr, _ = roc_curve(y_true, y_score, sample_weight=sample_weight)
    if max_fpr is None or max_fpr == 1:
        return auc(fpr, tpr)
    if not 0 < max_fpr <= 1:
        raise ValueError(f"roc_auc_score: max_fpr must be in (0, 1]; got {max_fpr!r}")
    stop = np.searchsorted(fpr, max_fpr, "right")
    tpr = np.append(tpr[:stop], np.interp(max_fpr, fpr[stop - 1:stop + 1],
                                          tpr[stop - 1:stop + 1]))
    fpr = np.append(fpr[:stop], max_fpr)
    partial = auc(fpr, tpr)
    lo, hi = 0.5 * max_fpr ** 2, max_fpr  # McClish: 0.5 for chance, 1 for perfect
    return 0.5 * (1 + (partial - lo) / (hi - lo))


def average_binary_score(fname: str, metric: Any, y_true: np.ndarray, y_score: np.ndarray,
                         average: Any, sample_weight: Any = None) -> Any:
    """Apply a binary ``metric(y_true, y_score, sample_weight)`` to each column of indicator
    data and average: "micro", "macro", "weighted" (by column support), "samples" or None."""
    if average not in (None, "micro", "macro", "weighted", "samples"):
        raise ValueError(f"{fname}: average must be one of None, 'micro', 'macro', "
                         f"'weighted', 'samples'; got {average!r}")
    if type_of_target(y_true, fname) == "binary" and y_true.ndim == 1:
        return metric(y_true, y_score, sample_weight=sample_weight)
    if y_true.shape != y_score.shape:
        raise ValueError(f"{fname}: y_true {y_true.shape} and y_score {y_score.shape} must have "
                         "the same shape")
    yt, ys = y_true.astype(np.float64), y_score.astype(np.float64)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    score_w, avg_w, axis = sw, None, 1
    if average == "micro":
        score_w = None if sw is None else np.repeat(sw, yt.shape[1])
        yt, ys = yt.ravel()[:, None], ys.ravel()[:, None]
    elif average == "weighted":
        avg_w = (yt * (1.0 if sw is None else sw[:, None])).sum(axis=0)
        if np.isclose(avg_w.sum(), 0.0):
            return 0
    elif average == "samples":
        avg_w, score_w, axis = sw, None, 0
    count = yt.shape[axis]
    scores = np.array([metric(np.take(yt, c, axis=axis), np.take(ys, c, axis=axis),
                              sample_weight=score_w) for c in range(count)])
    if average is None:
        return scores
    if avg_w is not None:
        scores = np.where(avg_w == 0, 0.0, scores)
        return float(np.average(scores, weights=avg_w))
    return float(np.mean(scores))


def roc_auc_score(y_true: Any, y_score: Any, *, average: str | None = "macro",
                  sample_weight: Any = None, max_fpr: float | None = None,
                  multi_class: str = "raise", labels: Any = None) -> Any:
    """The exact area under the ROC curve (the probability that a random positive scores
    above a random negative, ties counting one half).

    Binary ``y_true`` takes ``y_score`` of shape (n,) for the larger label; multilabel
    indicators take (n, labels); multiclass labels need ``multi_class="ovr"`` (each class
    against the rest, averaged "macro" or "weighted" by prevalence, or "micro") or "ovo"
    (Hand & Till's mean over class pairs) and probabilities (rows summing to 1).
    ``max_fpr`` gives the McClish-standardized partial AUC (binary only).

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.roc_auc_score([0, 1, 2, 2], [[.8, .1, .1], [.2, .7, .1],
        ...                                  [.1, .3, .6], [.3, .3, .4]], multi_class="ovr")
        1.0
    """
    fname = "roc_auc_score"
    yt, ys = to_numpy(y_true), to_numpy(y_score).astype(np.float64)
    kind = type_of_target(yt, fname)
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt[:, 0]
    n = check_lengths(fname, y_true=yt, y_score=ys)
    sw = sample_weights(sample_weight, n, fname)
    if kind == "multiclass" or (kind == "binary" and ys.ndim == 2 and ys.shape[1] > 2):
        if max_fpr is not None and max_fpr != 1.0:
            raise ValueError(f"{fname}: max_fpr (partial AUC) is not available for multiclass "
                             "targets")
        return _multiclass_roc_auc(fname, yt, ys, labels, multi_class, average, sw)
    if kind == "binary":
        if ys.ndim == 2 and ys.shape[1] == 1:
            ys = ys[:, 0]
        if ys.ndim != 1:
            raise ValueError(f"{fname}: binary y_true needs y_score of shape (n_samples,), the "
                             f"score of the larger label; got {ys.shape} (use y_score[:, 1])")
        classes = np.unique(yt)
        positive = (yt == classes[-1]).astype(np.float64) if len(classes) == 2 \
            else np.zeros(len(yt))
        return _binary_roc_auc(positive, ys, sw, max_fpr)
    if kind != "multilabel-indicator":
        raise ValueError(f"{fname}: y_true must be binary, multiclass or a multilabel "
                         f"indicator; got {kind} targets")

    def metric(t: np.ndarray, s: np.ndarray, sample_weight: Any = None) -> float:
        return _binary_roc_auc(t, s, sample_weight, max_fpr)

    return average_binary_score(fname, metric, yt, ys, average, sw)


def _multiclass_roc_auc(fname: str, yt: np.ndarray, ys: np.ndarray, labels: Any,
                        multi_class: str, average: Any, sw: Any) -> Any:
    if ys.ndim != 2:
        raise ValueError(f"{fname}: multiclass y_true needs y_score shaped (n_samples, "
                         f"n_classes); got {ys.shape}")
    if not np.allclose(1, ys.sum(axis=1)):
        raise ValueError(f"{fname}: multiclass y_score must hold probabilities (each row "
                         "summing to 1); apply a softmax first")
    if multi_class not in ("ovr", "ovo"):
        raise ValueError(f"{fname}: multiclass targets need multi_class='ovr' or 'ovo'; got "
                         f"{multi_class!r}")
    options = ("micro", "macro", "weighted", None) if multi_class == "ovr" \
        else ("macro", "weighted")
    if average not in options:
        raise ValueError(f"{fname}: average must be one of {options} for multi_class="
                         f"{multi_class!r}; got {average!r}")
    if labels is not None:
        classes = to_numpy(labels).ravel()
        if len(np.unique(classes)) != len(classes) or \
                not np.array_equal(np.unique(classes), classes):
            raise ValueError(f"{fname}: labels must be unique and sorted")
        if not np.isin(yt, classes).all():
            raise ValueError(f"{fname}: y_true contains labels not in labels=")
    else:
        classes = np.unique(yt)
    if len(classes) != ys.shape[1]:
        raise ValueError(f"{fname}: {len(classes)} classes but y_score has {ys.shape[1]} "
                         "columns; pass every class through labels=")
    if multi_class == "ovo":
        if sw is not None:
            raise ValueError(f"{fname}: sample_weight is not supported with multi_class='ovo'")
        enc = np.searchsorted(classes, yt)
        pair_scores, prevalence = [], []
        for a, b in combinations(np.unique(enc), 2):
            mask = (enc == a) | (enc == b)
            a_true = (enc[mask] == a).astype(np.float64)
            s_a = _binary_roc_auc(a_true, ys[mask, a])
            s_b = _binary_roc_auc(1.0 - a_true, ys[mask, b])
            pair_scores.append((s_a + s_b) / 2)
            prevalence.append(mask.mean())
        weights = prevalence if average == "weighted" else None
        return float(np.average(pair_scores, weights=weights))
    onehot = (yt[:, None] == classes[None, :]).astype(np.float64)

    def metric(t: np.ndarray, s: np.ndarray, sample_weight: Any = None) -> float:
        return _binary_roc_auc(t, s, sample_weight)

    return average_binary_score(fname, metric, onehot, ys, average, sw)


def average_precision_score(y_true: Any, y_score: Any, *, average: str | None = "macro",
                            pos_label: Any = 1, sample_weight: Any = None) -> Any:
    """Average precision: ``sum_n (R_n - R_{n-1}) P_n`` over the thresholds (the step-wise
    area under the precision-recall curve, no interpolation). Multiclass labels are scored
    one-vs-rest and averaged like multilabel columns.

    Example:
        >>> import ember as em
        >>> sk = em.metrics.sklearn
        >>> round(sk.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
        0.8333
    """
    fname = "average_precision_score"
    yt, ys = to_numpy(y_true), to_numpy(y_score)
    kind = type_of_target(yt, fname)
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt[:, 0]
    n = check_lengths(fname, y_true=yt, y_score=ys)
    sw = sample_weights(sample_weight, n, fname)
    present = np.unique(yt)
    if kind == "binary":
        if present.shape[0] == 2 and pos_label not in present.tolist():
            raise ValueError(f"{fname}: pos_label={pos_label!r} is not a valid label; it should "
                             f"be one of {present.tolist()}")
    elif kind in ("multilabel-indicator", "multiclass"):
        if pos_label != 1:
            raise ValueError(f"{fname}: pos_label is fixed to 1 for {kind} y_true")
        if kind == "multiclass":
            yt = (yt[:, None] == present[None, :]).astype(np.int64)
            if ys.shape != yt.shape:
                raise ValueError(f"{fname}: multiclass y_true needs y_score shaped "
                                 f"(n_samples, n_classes) = {yt.shape}; got {ys.shape}")
    else:
        raise ValueError(f"{fname}: y_true must be binary, multiclass or multilabel; got "
                         f"{kind} targets")

    def metric(t: np.ndarray, s: np.ndarray, sample_weight: Any = None) -> float:
        precision, recall, _ = precision_recall_curve(t, s, pos_label=pos_label,
                                                      sample_weight=sample_weight)
        return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))

    return average_binary_score(fname, metric, yt, ys, average, sw)
