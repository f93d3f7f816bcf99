"""One rate at the best threshold that keeps another above a floor (Keras 3):
PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity.

They count tp/fp/tn/fn at ``num_thresholds`` thresholds evenly spaced over [0, 1] (0 and 1
included; a single threshold is 0.5), as Keras does, with predictions clipped to [0, 1]; the
result is the largest value of the first rate over the thresholds where the constrained rate
is at least the given floor (0 when none is).

Example:
    >>> import ember as em
    >>> m = em.metrics.PrecisionAtRecall(recall=0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); float(m.result())
    0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.base import Metric, divide_no_nan, register
from ember.metrics.confusion import confusion_counts


def evenly_spaced_thresholds(num_thresholds: int, who: str) -> list[float]:
    """Keras' thresholds: ``[0, 1/(n-1), ..., 1]``, or ``[0.5]`` for one."""
    if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 0:
        raise ValueError(f"{who}: num_thresholds must be an integer > 0; got "
                         f"{num_thresholds!r}")
    if num_thresholds == 1:
        return [0.5]
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0] + inner + [1.0]


class _AtConstraint(Metric):
    """Shared state: the four confusion counts at each threshold."""

    _value_name = ""  # the constructor argument holding the floor

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        who = type(self).__name__
        if not isinstance(value, (int, float, np.floating)) or not 0 <= value <= 1:
            raise ValueError(f"{who}: {self._value_name} must be in the range [0, 1]; got "
                             f"{value!r}")
        super().__init__(name=name, dtype=dtype)
        self.value = float(value)
        setattr(self, self._value_name, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        self.thresholds = evenly_spaced_thresholds(num_thresholds, who)
        for n in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            self.add_variable(n, (len(self.thresholds),))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds,
                                          class_id=self.class_id, sample_weight=sample_weight,
                                          clip=True, who=type(self).__name__)
        self.true_positives = self.true_positives + tp
        self.false_positives = self.false_positives + fp
        self.true_negatives = self.true_negatives + tn
        self.false_negatives = self.false_negatives + fn

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        return {"recall": divide_no_nan(tp, tp + fn), "precision": divide_no_nan(tp, tp + fp),
                "specificity": divide_no_nan(tn, tn + fp)}

    def _best(self, constrained: np.ndarray, dependent: np.ndarray) -> np.float64:
        feasible = constrained >= self.value
        return np.float64(max(0.0, np.where(feasible, dependent, 0.0).max(initial=0.0)))

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._value_name: self.value}


@register
class PrecisionAtRecall(_AtConstraint):
    """The best precision where recall >= ``recall``.

    Example:
        >>> import ember as em
        >>> m = em.metrics.PrecisionAtRecall(0.8)
        >>> float(m([0, 0, 1, 1], [0.2, 0.6, 0.7, 0.9]))  # at threshold 0.65: recall 1
        1.0
    """

    _value_name = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> np.float64:
        r = self._rates()
        return self._best(r["recall"], r["precision"])


@register
class RecallAtPrecision(_AtConstraint):
    """The best recall where precision >= ``precision``."""

    _value_name = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> np.float64:
        r = self._rates()
        return self._best(r["precision"], r["recall"])


@register
class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) where specificity >= ``specificity``."""

    _value_name = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> np.float64:
        r = self._rates()
        return self._best(r["specificity"], r["recall"])


@register
class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity where sensitivity (recall) >= ``sensitivity``."""

    _value_name = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> np.float64:
        r = self._rates()
        return self._best(r["recall"], r["specificity"])
