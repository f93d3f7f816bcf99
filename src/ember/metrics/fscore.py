"""F-beta and F1 scores over a stream of batches (Keras 3's ``FBetaScore`` and ``F1Score``).

Inputs are (samples, classes): one-hot or multi-label ``y_true``, scores ``y_pred``. With
``threshold=None`` the largest score of each row is the predicted class (a row of zeros
predicts nothing); otherwise every score ``> threshold`` is a positive prediction. The
per-class true positives, false positives, false negatives and supports are summed over
batches, so the result does not depend on how the data was split.

Example:
    >>> import numpy as np
    >>> import ember as em
    >>> m = em.metrics.F1Score(threshold=0.5)
    >>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> np.round(m.result(), 4)
    array([0.5   , 0.8   , 0.6667])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.base import (
    EPSILON,
    Metric,
    align,
    as_array,
    as_float,
    host_sum,
    inputs,
    register,
)

_AVERAGES = (None, "micro", "macro", "weighted")


@register
class FBetaScore(Metric):
    """``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)`` per class, or
    averaged: ``average`` None (one score per class), "micro" (global counts), "macro"
    (unweighted mean over classes) or "weighted" (mean weighted by class support). As in
    Keras, the divisions add 1e-7 to their denominators. For one sigmoid output (n, 1), pass
    ``threshold=0.5``: the argmax of a single column would predict every sample positive.

    Example:
        >>> import numpy as np
        >>> import ember as em
        >>> m = em.metrics.FBetaScore(beta=2.0, threshold=0.5, average="micro")
        >>> m.update_state(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.8, 0.7]]))
        >>> round(float(m.result()), 4)
        0.9091
    """

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{who}: average must be one of {_AVERAGES}; got {average!r}")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"{who}: beta must be a number > 0; got {beta!r}")
        if threshold is not None and (isinstance(threshold, bool)
                                      or not isinstance(threshold, (int, float))
                                      or not 0.0 < threshold <= 1.0):
            raise ValueError(f"{who}: threshold must be in (0, 1] or None; got {threshold!r}")
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self._built = False

    def _build(self, classes: int | None) -> None:
        shape = () if self.average == "micro" else (classes,)
        for n in ("true_positives", "false_positives", "false_negatives",
                  "intermediate_weights"):
            self.add_variable(n, shape)
        self._classes = classes
        self._built = True

    def _build_from_state(self, state: dict) -> None:
        shape = np.shape(state["true_positives"])
        self._build(shape[0] if shape else None)  # micro counts do not say how many classes

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt, yp, xp = inputs(y_true, y_pred)
        yt, yp = align(yt, yp)  # labels (n,) against a sigmoid output (n, 1)
        who = type(self).__name__
        if yp.ndim != 2 or yt.shape != yp.shape:
            raise ValueError(f"{who}: expected y_true and y_pred shaped (batch, classes); got "
                             f"{tuple(yt.shape)} and {tuple(yp.shape)} (one-hot encode "
                             "integer labels first)")
        if not self._built:
            self._build(yp.shape[1])
        elif self._classes is None:
            self._classes = yp.shape[1]
        elif yp.shape[1] != self._classes:
            raise ValueError(f"{who}: got {yp.shape[1]} classes; earlier batches had "
                             f"{self._classes}")
        yp = as_float(yp)
        if self.threshold is None:
            top = yp.max(axis=-1, keepdims=True)
            pred = (yp >= top) & (xp.abs(yp) > 1e-9)  # a row of zeros predicts nothing
        else:
            pred = yp > self.threshold
        pred = pred.astype(np.float64)
        true = as_float(yt).astype(np.float64, copy=False)
        if sample_weight is not None:
            sw = as_float(as_array(sample_weight, xp)).reshape(-1, 1)
            pred_w, true_w = pred * sw, true * sw
        else:
            pred_w, true_w = pred, true
        axis = None if self.average == "micro" else 0
        self.true_positives = self.true_positives + host_sum(pred_w * true, axis)
        self.false_positives = self.false_positives + host_sum(pred_w * (1 - true), axis)
        self.false_negatives = self.false_negatives + host_sum((1 - pred) * true_w, axis)
        self.intermediate_weights = self.intermediate_weights + host_sum(true_w, axis)

    def result(self) -> Any:
        if not self._built:
            return np.float64(0.0)
        tp = np.asarray(self.true_positives, dtype=np.float64)
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta ** 2
        f = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            w = np.asarray(self.intermediate_weights)
            return np.float64((f * w / (w.sum() + EPSILON)).sum())
        if self.average is not None:
            return np.float64(f.mean())
        return f

    def get_config(self) -> dict:
        return {"average": self.average, "beta": self.beta, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


@register
class F1Score(FBetaScore):
    """The F-beta score with beta = 1: the harmonic mean of precision and recall.

    Example:
        >>> import numpy as np
        >>> import ember as em
        >>> m = em.metrics.F1Score(average="macro")
        >>> float(m(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.3, 0.7]]))) > 0.99
        True
    """

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
