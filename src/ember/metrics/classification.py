"""Classification scores on whole arrays, equal to scikit-learn's: confusion matrix,
accuracy, precision / recall / F-beta (binary, micro, macro, weighted, samples or per
class). Log loss and top-k accuracy, which score probabilities, are in ``probability_scores.py``.

Labels may be integers, floats holding whole numbers, booleans or strings. Precision with no
predicted sample (or recall with no true sample) is "ill-defined": ``zero_division`` sets
the value (0.0 with a warning by default, or 0.0, 1.0, ``np.nan`` silently).

Example:
    >>> import ember as em
    >>> em.metrics.sklearn.confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    >>> round(em.metrics.sklearn.f1_score([0, 1, 1, 0], [0, 1, 0, 0]), 4)
    0.6667
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.metrics._targets import (
    UndefinedMetricWarning,
    check_targets,
    positions,
    to_numpy,
    weighted_mean,
)

_AVERAGES = ("binary", "micro", "macro", "weighted", "samples", None)


def confusion_matrix(y_true: Any, y_pred: Any, *, labels: Any = None,
                     sample_weight: Any = None, normalize: str | None = None) -> np.ndarray:
    """``C[i, j]`` = the (weighted) number of samples of true class ``labels[i]`` predicted
    as ``labels[j]`` (labels default to the sorted classes present). Samples whose true or
    predicted label is not in ``labels`` are left out. ``normalize`` = "true" (rows sum to
    1), "pred" (columns) or "all"; rows or columns with no sample stay 0.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.confusion_matrix(["cat", "ant", "cat"], ["ant", "ant", "cat"],
        ...                             labels=["ant", "cat"])
        array([[1, 0],
               [1, 1]])
    """
    fname = "confusion_matrix"
    kind, present, yt, yp, sw = check_targets(fname, y_true, y_pred, sample_weight)
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"{fname}: {kind} targets are not supported; use "
                         "multilabel_confusion_matrix")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"{fname}: normalize must be 'true', 'pred', 'all' or None; got "
                         f"{normalize!r}")
    if labels is None:
        labels = present
    else:
        labels = to_numpy(labels)
        if labels.size == 0:
            raise ValueError(f"{fname}: labels must contain at least one label")
        if not np.isin(yt, labels).any():
            raise ValueError(f"{fname}: at least one of labels={labels.tolist()} must occur "
                             "in y_true")
    n = labels.shape[0]
    ti, pi = positions(yt, labels, fname), positions(yp, labels, fname)
    keep = (ti < n) & (pi < n)
    w = None if sw is None else sw[keep]
    cm = np.bincount(ti[keep] * n + pi[keep], weights=w, minlength=n * n).reshape(n, n)
    if sw is None or sw.dtype.kind in "biu":
        cm = np.rint(cm).astype(np.int64)
    if normalize is not None:
        cm = cm.astype(np.float64)
        denom = {"true": cm.sum(axis=1, keepdims=True), "pred": cm.sum(axis=0, keepdims=True),
                 "all": cm.sum()}[normalize]
        cm = np.divide(cm, denom, out=np.zeros_like(cm), where=np.asarray(denom) != 0)
    return cm


def accuracy_score(y_true: Any, y_pred: Any, *, normalize: bool = True,
                   sample_weight: Any = None) -> float:
    """The (weighted) fraction of samples predicted exactly right (the count when not
    ``normalize``); for multilabel indicators a sample counts when every label matches.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
        0.5
    """
    kind, _, yt, yp, sw = check_targets("accuracy_score", y_true, y_pred, sample_weight)
    hits = (yt == yp).all(axis=1) if kind == "multilabel-indicator" else yt == yp
    return weighted_mean(hits, sw, normalize, "accuracy_score")


def _label_sums(fname: str, kind: str, present: np.ndarray, yt: np.ndarray, yp: np.ndarray,
                sw: np.ndarray | None, labels: Any, samplewise: bool = False) -> tuple:
    """Per-label (weighted) true positives, predicted counts and true counts."""
    if kind == "multilabel-indicator":
        if labels is not None:
            labels = np.asarray(labels)
            if labels.size and (labels.max() >= yt.shape[1] or labels.min() < 0):
                raise ValueError(f"{fname}: multilabel labels must be column indices in "
                                 f"[0, {yt.shape[1]}); got {labels.tolist()}")
            yt, yp = yt[:, labels], yp[:, labels]
        dtype = np.int64 if sw is None else np.float64  # counts stay integers, as sklearn's
        t, p = (yt != 0).astype(dtype), (yp != 0).astype(dtype)
        if sw is not None and not samplewise:
            t, p = t * sw[:, None], p * sw[:, None]
        axis = 1 if samplewise else 0
        tp = (t * (yp != 0)).sum(axis=axis)
        return tp, p.sum(axis=axis), t.sum(axis=axis)
    if samplewise:
        raise ValueError(f"{fname}: average='samples' is only meaningful for multilabel "
                         "targets")
    if labels is None:
        chosen, n_chosen = present, len(present)
    else:
        chosen = to_numpy(labels)
        n_chosen = len(chosen)
        if len(present):
            extra = present[~np.isin(present, chosen)]
            chosen = np.concatenate([chosen, extra]) if extra.size else chosen
    ti, pi = positions(yt, chosen, fname), positions(yp, chosen, fname)
    m = len(chosen)
    hit = ti == pi
    tp = np.bincount(ti[hit], weights=None if sw is None else sw[hit], minlength=m)
    pred = np.bincount(pi, weights=sw, minlength=m)
    true = np.bincount(ti, weights=sw, minlength=m)
    return tp[:n_chosen], pred[:n_chosen], true[:n_chosen]


def multilabel_confusion_matrix(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                                labels: Any = None, samplewise: bool = False) -> np.ndarray:
    """One 2x2 matrix ``[[tn, fp], [fn, tp]]`` per label (one-vs-rest), shape (labels, 2, 2).

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.multilabel_confusion_matrix([0, 1, 1], [0, 1, 0])[1]
        array([[1, 0],
               [1, 1]])
    """
    fname = "multilabel_confusion_matrix"
    kind, present, yt, yp, sw = check_targets(fname, y_true, y_pred, sample_weight)
    tp, pred, true = _label_sums(fname, kind, present, yt, yp, sw, labels, samplewise)
    fp, fn = pred - tp, true - tp
    if samplewise:
        total = yt.shape[1] if labels is None else len(labels)
    else:
        total = yt.shape[0] if sw is None else sw.sum()
    tn = total - tp - fp - fn
    out = np.stack([tn, fp, fn, tp], axis=-1).reshape(-1, 2, 2)
    return np.rint(out).astype(np.int64) if sw is None or sw.dtype.kind in "biu" else out


def _zero_division_value(zero_division: Any, fname: str) -> float:
    if isinstance(zero_division, str) and zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float)) and not isinstance(zero_division, bool):
        if zero_division in (0, 1):
            return float(zero_division)
        if np.isnan(zero_division):
            return float("nan")
    raise ValueError(f"{fname}: zero_division must be 'warn', 0, 1 or np.nan; got "
                     f"{zero_division!r}")


def _divide(num: np.ndarray, den: np.ndarray, zero_division: Any, what: str,
            fname: str, warn: bool) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.divide(num, den, out=np.zeros_like(num), where=den != 0)
    bad = den == 0
    if bad.any():
        out[bad] = _zero_division_value(zero_division, fname)
        if warn and isinstance(zero_division, str):
            warnings.warn(f"{fname}: {what} is ill-defined and set to 0.0 where there is no "
                          f"{'predicted' if what == 'precision' else 'true'} sample; pass "
                          "zero_division to choose the value", UndefinedMetricWarning,
                          stacklevel=4)
    return out


def _nan_average(values: np.ndarray, weights: np.ndarray | None) -> float:
    """scikit-learn's ``_nanaverage``: the (weighted) mean ignoring NaN entries."""
    if values.shape[0] == 0:
        return float("nan")
    ok = ~np.isnan(values)
    if not ok.any():
        return float("nan")
    if weights is None:
        return float(values[ok].mean())
    w = np.asarray(weights, dtype=np.float64)[ok]
    return float(np.average(values[ok], weights=w)) if w.sum() != 0 \
        else float(values[ok].mean())


def precision_recall_fscore_support(y_true: Any, y_pred: Any, *, beta: float = 1.0,
                                    labels: Any = None, pos_label: Any = 1,
                                    average: str | None = None, sample_weight: Any = None,
                                    zero_division: Any = "warn", warn_for: tuple = (
                                        "precision", "recall", "f-score")) -> tuple:
    """Precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, F-beta and support (the
    number of true samples) per class, or averaged (then support is None).

    ``average``: "binary" (only ``pos_label``), "micro" (global counts), "macro" (unweighted
    mean of the classes), "weighted" (mean weighted by support), "samples" (per sample, for
    multilabel data) or None (one value per class, in ``labels`` order).

    Example:
        >>> import ember as em
        >>> p, r, f, s = em.metrics.sklearn.precision_recall_fscore_support(
        ...     ["a", "b", "b", "c"], ["a", "b", "c", "c"])
        >>> p.round(2).tolist(), r.tolist(), s.tolist()
        ([1.0, 1.0, 0.5], [1.0, 0.5, 1.0], [1, 2, 1])
    """
    fname = "precision_recall_fscore_support"
    return _prfs(fname, y_true, y_pred, beta, labels, pos_label, average, sample_weight,
                 zero_division, warn_for)


def _prfs(fname: str, y_true: Any, y_pred: Any, beta: float, labels: Any, pos_label: Any,
          average: Any, sample_weight: Any, zero_division: Any, warn_for: tuple) -> tuple:
    _zero_division_value(zero_division, fname)
    if average not in _AVERAGES:
        raise ValueError(f"{fname}: average must be one of {_AVERAGES}; got {average!r}")
    if beta < 0:
        raise ValueError(f"{fname}: beta must be >= 0; got {beta!r}")
    kind, present, yt, yp, sw = check_targets(fname, y_true, y_pred, sample_weight)
    if average == "binary":
        if kind != "binary":
            options = [a for a in _AVERAGES[1:] if kind != "multiclass" or a != "samples"]
            raise ValueError(f"{fname}: the target is {kind} but average='binary' scores "
                             f"one positive class; choose average from {options}")
        if pos_label not in present.tolist() and len(present) >= 2:
            raise ValueError(f"{fname}: pos_label={pos_label!r} is not a valid label; it "
                             f"should be one of {present.tolist()}")
        labels = [pos_label]
    elif pos_label not in (None, 1):
        warnings.warn(f"{fname}: pos_label={pos_label!r} is ignored when average={average!r}"
                      " (use labels=[pos_label] to score one class)", UserWarning,
                      stacklevel=3)
    samplewise = average == "samples"
    tp, pred, true = _label_sums(fname, kind, present, yt, yp, sw, labels, samplewise)
    if average == "micro":
        tp, pred, true = tp.sum(keepdims=True), pred.sum(keepdims=True), true.sum(keepdims=True)
    precision = _divide(tp, pred, zero_division, "precision", fname, "precision" in warn_for)
    recall = _divide(tp, true, zero_division, "recall", fname, "recall" in warn_for)
    if np.isposinf(beta):
        f = recall
    elif beta == 0:
        f = precision
    else:
        b2 = beta ** 2
        f = _divide((1 + b2) * np.asarray(tp, dtype=np.float64), b2 * true + pred,
                    zero_division, "f-score", fname, "f-score" in warn_for)
    if average is None:
        return precision, recall, f, true
    weights = true if average == "weighted" else (sw if samplewise else None)
    return (_nan_average(precision, weights), _nan_average(recall, weights),
            _nan_average(f, weights), None)


def _score(which: int, fname: str, y_true: Any, y_pred: Any, beta: float, labels: Any,
           pos_label: Any, average: Any, sample_weight: Any, zero_division: Any) -> Any:
    warn = {0: ("precision",), 1: ("recall",), 2: ("f-score",)}[which]
    out = _prfs(fname, y_true, y_pred, beta, labels, pos_label, average, sample_weight,
                zero_division, warn)[which]
    return out if average is None else float(out)


def precision_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: Any = 1,
                    average: str | None = "binary", sample_weight: Any = None,
                    zero_division: Any = "warn") -> Any:
    """Precision ``tp / (tp + fp)``; see ``precision_recall_fscore_support`` for ``average``.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.precision_score([0, 1, 1, 0], [1, 1, 1, 0])
        0.6666666666666666
    """
    return _score(0, "precision_score", y_true, y_pred, 1.0, labels, pos_label, average,
                  sample_weight, zero_division)


def recall_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: Any = 1,
                 average: str | None = "binary", sample_weight: Any = None,
                 zero_division: Any = "warn") -> Any:
    """Recall ``tp / (tp + fn)``; see ``precision_recall_fscore_support`` for ``average``.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.recall_score([0, 1, 1, 0], [1, 1, 0, 0])
        0.5
    """
    return _score(1, "recall_score", y_true, y_pred, 1.0, labels, pos_label, average,
                  sample_weight, zero_division)


def fbeta_score(y_true: Any, y_pred: Any, *, beta: float, labels: Any = None,
                pos_label: Any = 1, average: str | None = "binary", sample_weight: Any = None,
                zero_division: Any = "warn") -> Any:
    """F-beta ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``: recall counts ``beta`` times
    as much as precision.

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.fbeta_score([0, 1, 1, 0], [1, 1, 0, 0], beta=2.0), 4)
        0.5
    """
    return _score(2, "fbeta_score", y_true, y_pred, beta, labels, pos_label, average,
                  sample_weight, zero_division)


def f1_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: Any = 1,
             average: str | None = "binary", sample_weight: Any = None,
             zero_division: Any = "warn") -> Any:
    """F1, the harmonic mean of precision and recall: ``2 tp / (2 tp + fp + fn)``.

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average="macro")
        0.26666666666666666
    """
    return _score(2, "f1_score", y_true, y_pred, 1.0, labels, pos_label, average,
                  sample_weight, zero_division)
