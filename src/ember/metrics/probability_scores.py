"""Scores of predicted probabilities, equal to scikit-learn's: log loss (cross-entropy) and
top-k accuracy.

Example:
    >>> import ember as em
    >>> round(em.metrics.sklearn.log_loss([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]]), 4)
    0.2284
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.metrics._targets import to_numpy, type_of_target, unique_labels, weighted_mean


def log_loss(y_true: Any, y_pred: Any, *, normalize: bool = True, sample_weight: Any = None,
             labels: Any = None) -> float:
    """Cross-entropy of predicted probabilities: ``-mean(sum_k t_k log p_k)``.

    ``y_pred`` is (n, classes), columns in sorted label order, or (n,) for the probability of
    the larger of two labels. Probabilities are clipped to [eps, 1 - eps] with eps the
    machine epsilon of their float type, as current scikit-learn does.

    Example:
        >>> import ember as em
        >>> round(em.metrics.sklearn.log_loss(["spam", "ham", "ham", "spam"],
        ...                           [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 4)
        0.2162
    """
    fname = "log_loss"
    yt = to_numpy(y_true)
    p = to_numpy(y_pred)
    if p.dtype.kind != "f":
        p = p.astype(np.float64)
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt[:, 0]
    if yt.ndim != 1:
        raise ValueError(f"{fname}: y_true must be 1-D class labels; got shape {yt.shape}")
    if len(yt) != len(p):
        raise ValueError(f"{fname}: y_true has {len(yt)} samples but y_pred has {len(p)}")
    if p.size and p.max() > 1:
        raise ValueError(f"{fname}: y_pred must hold probabilities; got a value {p.max()} > 1")
    if p.size and p.min() < 0:
        raise ValueError(f"{fname}: y_pred must hold probabilities; got a value {p.min()} < 0")
    sw = None if sample_weight is None else to_numpy(sample_weight).ravel()
    classes = unique_labels(fname, yt) if labels is None else np.unique(to_numpy(labels))
    if labels is not None and not np.isin(yt, classes).all():
        raise ValueError(f"{fname}: y_true has values not in labels={classes.tolist()}")
    if classes.shape[0] < 2:
        what = "y_true contains only one label" if labels is None else "labels has one label"
        raise ValueError(f"{fname}: {what} ({classes.tolist()}); pass every class through "
                         "labels=")
    onehot = (yt[:, None] == classes[None, :]).astype(np.float64)
    if p.ndim == 1:
        p = p[:, None]
    if p.shape[1] == 1:
        p = np.concatenate([1 - p, p], axis=1)
    if p.shape[1] != classes.shape[0]:
        raise ValueError(f"{fname}: y_pred has {p.shape[1]} columns but there are "
                         f"{classes.shape[0]} classes {classes.tolist()}; pass labels= to list "
                         "every class")
    eps = np.finfo(p.dtype).eps
    if not np.allclose(p.sum(axis=1), 1, rtol=np.sqrt(eps), atol=0):
        warnings.warn(f"{fname}: the rows of y_pred do not sum to one; pass probabilities",
                      UserWarning, stacklevel=2)
    p = np.clip(p, eps, 1 - eps).astype(np.float64)
    loss = -(onehot * np.log(p)).sum(axis=1)
    return weighted_mean(loss, sw, normalize, fname)


def top_k_accuracy_score(y_true: Any, y_score: Any, *, k: int = 2, normalize: bool = True,
                         sample_weight: Any = None, labels: Any = None) -> float:
    """The fraction of samples whose true class is among the ``k`` highest scores (ties are
    broken towards the higher column index, as scikit-learn's sort does).

    Example:
        >>> import ember as em
        >>> em.metrics.sklearn.top_k_accuracy_score([0, 1, 2, 2], [[.5, .2, .2], [.3, .4, .2],
        ...                                  [.2, .4, .3], [.7, .2, .1]], k=2)
        0.75
    """
    fname = "top_k_accuracy_score"
    yt = to_numpy(y_true)
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt[:, 0]
    kind = type_of_target(yt, fname)
    if kind == "binary" and labels is not None and len(labels) > 2:
        kind = "multiclass"
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"{fname}: y_true must be binary or multiclass labels; got {kind}")
    score = to_numpy(y_score).astype(np.float64)
    if kind == "binary":
        if score.ndim == 2 and score.shape[1] != 1:
            raise ValueError(f"{fname}: y_true is binary but y_score has {score.shape[1]} "
                             "columns; pass labels= when y_true misses some classes")
        score = score.ravel()
    elif score.ndim != 2:
        raise ValueError(f"{fname}: y_score must be (n_samples, n_classes) for multiclass "
                         f"y_true; got shape {score.shape}")
    if len(score) != len(yt):
        raise ValueError(f"{fname}: y_true has {len(yt)} samples but y_score has {len(score)}")
    n_score = score.shape[1] if score.ndim == 2 else 2
    if labels is None:
        classes = np.unique(yt)
    else:
        classes = to_numpy(labels)
        if len(np.unique(classes)) != len(classes) or \
                not np.array_equal(np.unique(classes), classes):
            raise ValueError(f"{fname}: labels must be unique and sorted")
        if not np.isin(yt, classes).all():
            raise ValueError(f"{fname}: y_true contains labels not in labels=")
    if len(classes) != n_score:
        raise ValueError(f"{fname}: {len(classes)} classes but y_score has {n_score} columns; "
                         "pass every class through labels=")
    encoded = np.searchsorted(classes, yt)
    if kind == "binary":
        if k == 1:
            threshold = 0.5 if score.min() >= 0 and score.max() <= 1 else 0
            hits = (score > threshold).astype(np.int64) == encoded
        else:
            hits = np.ones(len(yt), dtype=bool)
    else:
        ranked = np.argsort(score, axis=1, kind="mergesort")[:, ::-1][:, :k]
        hits = (ranked == encoded[:, None]).any(axis=1)
    sw = None if sample_weight is None else to_numpy(sample_weight).ravel()
    return weighted_mean(hits, sw, normalize, fname)
