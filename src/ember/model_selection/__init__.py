"""Model selection: splitting data, cross-validation and learning curves.

- ``train_test_split``, ``train_val_test_split``: random (optionally stratified) splits.
- ``KFold``, ``StratifiedKFold``, ``LeaveOneOut``, ...: scikit-learn's splitters, re-exported
  (``pip install 'ember[sklearn]'``).
- ``cross_validate(build_fn, x, y, cv=5, ...)``: a fresh model per fold; per-fold scores,
  mean and standard deviation.
- ``learning_curve(build_fn, x, y, ...)``: training vs validation score as the training set
  grows, to tell high bias from high variance.
- ``validation_curve(estimator, x, y, param_name=..., param_range=...)``: training vs
  validation score as one hyperparameter varies (model complexity).

Example:
    >>> import numpy as np, ember as em
    >>> kf = em.model_selection.KFold(n_splits=4)
    >>> [len(test) for _, test in kf.split(np.zeros(10))]
    [3, 3, 2, 2]
"""

from __future__ import annotations

from typing import Any

from ember.model_selection.learning_curve import LearningCurveResult, learning_curve
from ember.model_selection.scoring import Scorer, get_scorer
from ember.model_selection.split import SPLITTERS, train_test_split, train_val_test_split
from ember.model_selection.validation import CrossValidationResult, cross_validate
from ember.model_selection.validation_curve import ValidationCurveResult, validation_curve


def __getattr__(name: str) -> Any:
    # scikit-learn's splitters are imported on first use: ember.model_selection loads without
    # scikit-learn, and asking for a splitter then names the extra to install.
    if name in SPLITTERS:
        from ember.model_selection.split import splitter

        return splitter(name)
    raise AttributeError(f"module 'ember.model_selection' has no attribute {name!r}")


__all__ = [
    "train_test_split", "train_val_test_split", "cross_validate", "CrossValidationResult",
    "learning_curve", "LearningCurveResult", "Scorer", "get_scorer", *SPLITTERS,
    "validation_curve", "ValidationCurveResult",
]
