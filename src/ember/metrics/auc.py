"""``AUC``: Keras' streaming approximation of the area under the ROC or precision-recall
curve, from confusion counts at a fixed grid of thresholds.

Example:
    >>> import ember as em
    >>> m = em.metrics.AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.metrics.base import EPSILON, Metric, as_array, as_float, divide_no_nan, register
from ember.metrics.confusion import confusion_counts, parse_thresholds


def _sigmoid(x: Any, xp: Any) -> Any:
    e = xp.exp(-xp.abs(x))  # never overflows
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@register
class AUC(Metric):
    """Area under the ROC (default) or precision-recall curve, approximated on a grid of
    thresholds (Keras' streaming AUC).

    This is an approximation, not the exact AUC: predictions are clipped to [0, 1] and
    counted at ``num_thresholds`` thresholds (``num_thresholds - 2`` evenly spaced in (0, 1),
    plus -1e-7 and 1 + 1e-7), and the curve through those points is integrated with the
    ``summation_method``: "interpolation" (trapezoids for ROC; for PR, Davis & Goadrich's
    interpolation of the counts), "minoring" (a lower bound) or "majoring" (an upper bound).
    The error shrinks as the thresholds split the predictions finely; predictions crowded
    between two thresholds, or scores far outside [0, 1] (pass ``from_logits=True`` for
    logits), make it large. ``em.metrics.sklearn.roc_auc_score`` gives the exact value.
    ``multi_label``
    computes one AUC per column and averages them (weighted by ``label_weights``); otherwise
    every element of multi-column data is one binary decision.

    Example:
        >>> import ember as em
        >>> m = em.metrics.AUC(num_thresholds=3)
        >>> float(m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
        0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        super().__init__(name=name, dtype=dtype)
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR'; got {curve!r}")
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring'; got {summation_method!r}")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, 0.5, "AUC"))
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1; got "
                                 f"{num_thresholds!r}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        self._thresholds = np.array([0.0 - EPSILON] + inner + [1.0 + EPSILON])
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None \
            else np.asarray(label_weights, dtype=np.float64)
        self.from_logits = bool(from_logits)
        self._built = False
        if num_labels and not self.multi_label:
            raise ValueError("AUC: num_labels is needed only when multi_label=True")
        if not self.multi_label:
            self._build(None)
        elif num_labels:
            self._build(int(num_labels))

    @property
    def thresholds(self) -> list[float]:
        """The thresholds the curve is evaluated at (with the two end points)."""
        return list(self._thresholds)

    def _build(self, labels: int | None) -> None:
        shape = (self.num_thresholds,) if labels is None else (self.num_thresholds, labels)
        for n in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.add_variable(n, shape)
        self._built = True

    def _build_from_state(self, state: dict) -> None:
        shape = np.shape(state["true_positives"])
        self._build(shape[1] if len(shape) == 2 else None)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yp = as_float(as_array(y_pred))
        if self.from_logits:
            yp = _sigmoid(yp, backend.get_array_module(yp))
        if not self._built:
            if yp.ndim != 2:
                raise ValueError(f"AUC: multi_label needs y_pred shaped (samples, labels); got "
                                 f"{tuple(yp.shape)}")
            self._build(yp.shape[1])
        tp, fp, tn, fn = confusion_counts(
            y_true, yp, self._thresholds, sample_weight=sample_weight,
            multi_label=self.multi_label, clip=True, who="AUC",
            label_weights=None if self.multi_label else self.label_weights)
        self.true_positives = self.true_positives + tp
        self.false_positives = self.false_positives + fp
        self.true_negatives = self.true_negatives + tn
        self.false_negatives = self.false_negatives + fn

    def _average(self, by_label: np.ndarray) -> np.float64:
        if not self.multi_label:
            return np.float64(by_label)
        if self.label_weights is None:
            return np.float64(by_label.mean())
        return np.float64(divide_no_nan((by_label * self.label_weights).sum(),
                                        self.label_weights.sum()))

    def _interpolate_pr_auc(self) -> np.float64:
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        ratio = np.where(ratio > 0, ratio, 1.0)
        increments = divide_no_nan(slope * (dtp + intercept * np.log(ratio)),
                                   np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increments.sum(axis=0))

    def result(self) -> np.float64:
        if not self._built:
            return np.float64(0.0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = (self.true_positives, self.false_positives, self.true_negatives,
                          self.false_negatives)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average(((x[:-1] - x[1:]) * heights).sum(axis=0))

    def get_config(self) -> dict:
        config = {"num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "name": self.name,
                  "dtype": self.dtype, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(), "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return config
