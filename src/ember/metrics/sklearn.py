"""scikit-learn's scores on whole arrays, under ``sklearn.metrics``' names and arguments:
``em.metrics.sklearn.f1_score(y, p)`` is ``sklearn.metrics.f1_score(y, p)``, without
scikit-learn installed.

``em.metrics`` itself follows Keras (metric classes for ``compile`` and per-sample functions:
``em.metrics.mean_squared_error(y, p)`` gives one value per sample); the functions here score
complete predictions and return one number (or scikit-learn's arrays and dicts), which is what
``ember.model_selection`` and reports want. Where both have a name, the two meanings differ:

    >>> import ember as em
    >>> em.metrics.mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]])
    array([0.5, 0. ])
    >>> em.metrics.sklearn.mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]])
    0.25
    >>> em.metrics.sklearn.f1_score([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
"""

from __future__ import annotations

from ember.metrics._targets import UndefinedMetricWarning, type_of_target
from ember.metrics.classification import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)
from ember.metrics.curves import (
    auc,
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from ember.metrics.probability_scores import log_loss, top_k_accuracy_score
from ember.metrics.regression_scores import (
    adjusted_r2_score,
    explained_variance_score,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    r2_score,
    root_mean_squared_error,
    root_mean_squared_log_error,
)
from ember.metrics.report import classification_report

__all__ = [
    "UndefinedMetricWarning", "accuracy_score", "adjusted_r2_score", "auc",
    "average_precision_score", "classification_report", "confusion_matrix",
    "explained_variance_score", "f1_score", "fbeta_score", "log_loss", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_log_error",
    "multilabel_confusion_matrix", "precision_recall_curve", "precision_recall_fscore_support",
    "precision_score", "r2_score", "recall_score", "roc_auc_score", "roc_curve",
    "root_mean_squared_error", "root_mean_squared_log_error", "top_k_accuracy_score",
    "type_of_target",
]
