"""Evaluation metrics, as ``keras.metrics``: streaming metric classes and per-sample functions.

Streaming metrics (``em.metrics.AUC()``, ``"precision"``, ...) are what ``compile(metrics=...)``
takes: ``fit`` feeds them every batch and logs ``float(metric.result())``. They work on NumPy
or CuPy arrays, outside the autograd graph, and give the same value however the data is split
into batches. The functions are Keras' per-sample ones: ``em.metrics.mean_squared_error(y, p)``
returns one value per sample (the cross-entropies and hinges are the losses of the same name).

scikit-learn's scores on whole arrays (``confusion_matrix``, ``f1_score``, ``roc_auc_score``,
``r2_score``, and its scalar ``mean_squared_error``) are in ``em.metrics.sklearn``, with
scikit-learn's names, arguments and results.

Example:
    >>> import ember as em
    >>> m = em.metrics.get("precision")
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    >>> em.metrics.mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]])
    array([0.5, 0. ])
    >>> em.metrics.sklearn.precision_score([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
"""

from __future__ import annotations

import inspect
from typing import Any

from ember import serialization
from ember.metrics import sklearn
from ember.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ember.metrics.at_constraint import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from ember.metrics.auc import AUC
from ember.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from ember.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from ember.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from ember.metrics.fscore import F1Score, FBetaScore
from ember.metrics.hinge import categorical_hinge, hinge, huber, squared_hinge
from ember.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from ember.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from ember.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from ember.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

_CLASSES = (
    Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score, TruePositives,
    FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall, AUC, FBetaScore, F1Score,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
    Poisson,
)
_CLASSES += (Hinge, SquaredHinge, CategoricalHinge)
_CLASSES += (PearsonCorrelation, ConcordanceCorrelation, IoU, BinaryIoU, MeanIoU, OneHotIoU,
             OneHotMeanIoU, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
             SpecificityAtSensitivity)
_BY_CLASS_NAME = {cls.__name__: cls for cls in _CLASSES}

# Names ``get`` understands (lower-case; class names work too, in any case). "f1_score" and
# "fbeta_score" average over classes ("macro") so that fit can log one number.
_ALIASES: dict[str, tuple] = {
    "accuracy": (Accuracy, {}), "acc": (Accuracy, {}),
    "binary_accuracy": (BinaryAccuracy, {}),
    "categorical_accuracy": (CategoricalAccuracy, {}),
    "sparse_categorical_accuracy": (SparseCategoricalAccuracy, {}),
    "top_k_categorical_accuracy": (TopKCategoricalAccuracy, {}),
    "sparse_top_k_categorical_accuracy": (SparseTopKCategoricalAccuracy, {}),
    "mse": (MeanSquaredError, {}), "mean_squared_error": (MeanSquaredError, {}),
    "mae": (MeanAbsoluteError, {}), "mean_absolute_error": (MeanAbsoluteError, {}),
    "rmse": (RootMeanSquaredError, {}), "root_mean_squared_error": (RootMeanSquaredError, {}),
    "mape": (MeanAbsolutePercentageError, {}),
    "mean_absolute_percentage_error": (MeanAbsolutePercentageError, {}),
    "msle": (MeanSquaredLogarithmicError, {}),
    "mean_squared_logarithmic_error": (MeanSquaredLogarithmicError, {}),
    "cosine_similarity": (CosineSimilarity, {}), "logcosh": (LogCoshError, {}),
    "log_cosh": (LogCoshError, {}), "log_cosh_error": (LogCoshError, {}),
    "r2": (R2Score, {}), "r2_score": (R2Score, {}),
    "auc": (AUC, {}), "pr_auc": (AUC, {"curve": "PR"}),
    "precision": (Precision, {}), "recall": (Recall, {}),
    "true_positives": (TruePositives, {}), "false_positives": (FalsePositives, {}),
    "true_negatives": (TrueNegatives, {}), "false_negatives": (FalseNegatives, {}),
    "f1_score": (F1Score, {"average": "macro"}), "f1": (F1Score, {"average": "macro"}),
    "fbeta_score": (FBetaScore, {"average": "macro"}),
    "binary_crossentropy": (BinaryCrossentropy, {}), "bce": (BinaryCrossentropy, {}),
    "categorical_crossentropy": (CategoricalCrossentropy, {}),
    "sparse_categorical_crossentropy": (SparseCategoricalCrossentropy, {}),
    "kl_divergence": (KLDivergence, {}), "kld": (KLDivergence, {}),
    "poisson": (Poisson, {}),
}
_ALIASES.update({"hinge": (Hinge, {}), "squared_hinge": (SquaredHinge, {}),
                 "categorical_hinge": (CategoricalHinge, {})})
# Keras' get() knows these two by their function names too
_ALIASES.update({"pearson_correlation": (PearsonCorrelation, {}),
                 "concordance_correlation": (ConcordanceCorrelation, {})})


# Functions with a streaming class computing the same value over batches: Keras' per-sample
# function (its mean over samples) and scikit-learn's whole-array score. In compile, stream it.
_STREAMING_TWINS = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    sklearn.mean_squared_error: MeanSquaredError, sklearn.mean_absolute_error: MeanAbsoluteError,
    sklearn.root_mean_squared_error: RootMeanSquaredError, sklearn.r2_score: R2Score,
}


def get(identifier: Any) -> Metric | None:
    """A streaming ``Metric`` from a name (Keras' names and aliases: "mse", "auc",
    "precision", "sparse_categorical_accuracy", ... or a class name such as "AUC"), a
    ``serialize`` dict, a ``Metric`` (returned as is) or class, or a function
    ``fn(y_true, y_pred) -> per-sample values`` (wrapped in ``MeanMetricWrapper``). A metric
    made from a name takes that name, as Keras' ``compile`` logs it.

    Example:
        >>> import ember as em
        >>> em.metrics.get("mae")
        MeanAbsoluteError(name='mae')
        >>> em.metrics.get("AUC").name
        'AUC'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _ALIASES:
            cls, kwargs = _ALIASES[key]
            return cls(name=identifier, **kwargs)
        for name, cls in _BY_CLASS_NAME.items():
            if name.lower() == key and cls not in (MeanMetricWrapper,):
                return cls(name=identifier)
        bare = identifier.removeprefix("metrics.")
        fn = serialization.registered().get(f"metrics.{bare}")
        if callable(fn) and not inspect.isclass(fn):  # a per-sample function saved by name
            return MeanMetricWrapper(fn, name=bare)
        raise ValueError(f"metrics.get: unknown metric {identifier!r}; valid names: "
                         f"{', '.join(sorted(_ALIASES))} (or a class name: "
                         f"{', '.join(sorted(_BY_CLASS_NAME))})")
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    streaming = _STREAMING_TWINS.get(identifier) if callable(identifier) else None
    if streaming is not None:
        return streaming(name=identifier.__name__)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"metrics.get: expected a metric name, a Metric, a function or a config "
                    f"dict; got {type(identifier).__name__}")


def serialize(metric: Metric) -> dict:
    """``{"class_name": ..., "config": ...}``: a JSON-ready description (not the state)."""
    if not isinstance(metric, Metric):
        raise TypeError(f"metrics.serialize: expected a Metric; got {metric!r}")
    return serialization.serialize(metric)


def deserialize(config: dict, custom_objects: dict | None = None) -> Metric:
    """A new metric from ``serialize``'s dict (class names with or without the "metrics."
    prefix; ``custom_objects`` maps names of user-defined metrics to their classes)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"metrics.deserialize: expected {{'class_name': ..., 'config': ...}}; "
                         f"got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _BY_CLASS_NAME.get(name) \
        or _BY_CLASS_NAME.get(str(name).removeprefix("metrics."))
    if cls is None:
        return serialization.deserialize(config, custom_objects)
    return cls.from_config(dict(config.get("config", {})))


# scikit-learn's scores used to live here too; their names still resolve, with a warning, to
# em.metrics.sklearn (the ones Keras also has, such as mean_squared_error, mean Keras' here).
_MOVED_TO_SKLEARN = frozenset(sklearn.__all__) - {
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error"}


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_SKLEARN:
        import warnings

        warnings.warn(f"em.metrics.{name} is scikit-learn's score and lives in "
                      f"em.metrics.sklearn; use em.metrics.sklearn.{name}", DeprecationWarning,
                      stacklevel=2)
        return getattr(sklearn, name)
    raise AttributeError(f"module 'ember.metrics' has no attribute {name!r}")


__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CosineSimilarity", "F1Score", "FBetaScore", "FalseNegatives",
    "FalsePositives", "KLDivergence", "LogCoshError", "Mean", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Metric", "Poisson", "Precision", "R2Score", "Recall",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives", "accuracy", "binary_accuracy", "binary_crossentropy",
    "categorical_accuracy", "categorical_crossentropy", "categorical_hinge",
    "cosine_similarity", "deserialize", "get", "hinge", "huber", "kl_divergence", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "serialize", "sklearn",
    "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
]
__all__ += ["CategoricalHinge", "Hinge", "SquaredHinge"]
__all__ += ["BinaryIoU", "ConcordanceCorrelation", "IoU", "MeanIoU", "OneHotIoU",
            "OneHotMeanIoU", "PearsonCorrelation", "PrecisionAtRecall", "RecallAtPrecision",
            "SensitivityAtSpecificity", "SpecificityAtSensitivity", "binary_focal_crossentropy",
            "categorical_focal_crossentropy", "concordance_correlation", "pearson_correlation"]
