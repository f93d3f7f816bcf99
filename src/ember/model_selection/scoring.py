"""Metric names for ``cross_validate`` / ``learning_curve``: what each needs from the model.

A scorer turns ``(y_true, model outputs)`` into one number with a scikit-learn-style score
of ``em.metrics.sklearn``.
Classification scorers read class labels (the argmax, or the sigmoid thresholded at 0.5),
probabilities (``log_loss``) or the positive-class score (``roc_auc``); regression scorers
read the outputs as values. Errors are reported as they are (``mse``, not scikit-learn's
``neg_mean_squared_error``): ``greater_is_better`` says which way is good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ember.model_selection._outputs import as_probabilities

# name -> (em.metrics.sklearn function, what it reads, task, greater_is_better, extra kwargs)
_TABLE: dict[str, tuple[str, str, str, bool, dict]] = {
    "accuracy": ("accuracy_score", "labels", "classification", True, {}),
    "precision": ("precision_score", "labels", "classification", True, {"average": "auto"}),
    "recall": ("recall_score", "labels", "classification", True, {"average": "auto"}),
    "f1": ("f1_score", "labels", "classification", True, {"average": "auto"}),
    "roc_auc": ("roc_auc_score", "score", "classification", True, {}),
    "log_loss": ("log_loss", "proba", "classification", False, {}),
    "r2": ("r2_score", "values", "regression", True, {}),
    "mse": ("mean_squared_error", "values", "regression", False, {}),
    "rmse": ("root_mean_squared_error", "values", "regression", False, {}),
    "mae": ("mean_absolute_error", "values", "regression", False, {}),
    "mape": ("mean_absolute_percentage_error", "values", "regression", False, {}),
    "explained_variance": ("explained_variance_score", "values", "regression", True, {}),
}
for _avg in ("macro", "micro", "weighted"):
    for _base in ("precision", "recall", "f1"):
        _fn, _reads, _task, _gib, _ = _TABLE[_base]
        _TABLE[f"{_base}_{_avg}"] = (_fn, _reads, _task, _gib, {"average": _avg})
_ALIASES = {"acc": "accuracy", "auc": "roc_auc", "mean_squared_error": "mse",
            "root_mean_squared_error": "rmse", "mean_absolute_error": "mae",
            "r2_score": "r2", "accuracy_score": "accuracy", "f1_score": "f1",
            "precision_score": "precision", "recall_score": "recall",
            "roc_auc_score": "roc_auc", "mean_absolute_percentage_error": "mape",
            "explained_variance_score": "explained_variance"}

_KIND_WORDS = {
    "continuous": "continuous (floats that are not whole numbers)",
    "continuous-multioutput": "continuous with several columns",
    "multiclass-multioutput": "several columns of class labels",
    "multilabel-indicator": "a multilabel 0/1 indicator matrix",
    "unknown": "of an unrecognised shape or type",
}


@dataclass
class Scorer:
    """One metric: ``scorer(y_true, outputs)`` -> float."""

    name: str
    fn: Callable
    reads: str  # "labels", "proba", "score" or "values"
    task: str  # "classification", "regression" or "any"
    greater_is_better: bool = True
    kwargs: dict = field(default_factory=dict)

    def __call__(self, y_true: np.ndarray, outputs: Any, task: str,
                 logits: bool = False) -> float:
        reads = self.reads if self.reads != "auto" else (
            "labels" if task == "classification" else "values")
        kwargs = dict(self.kwargs)
        if kwargs.get("average") == "auto":
            kwargs["average"] = "binary" if _n_classes(y_true, outputs) <= 2 else "macro"
        if reads == "values":
            pred = np.asarray(outputs)
            if pred.ndim == 2 and pred.shape[1] == 1 and np.ndim(y_true) == 1:
                pred = pred[:, 0]
            return float(self.fn(y_true, pred, **kwargs))
        proba = as_probabilities(outputs, logits, who=f"metric {self.name!r}")
        if reads == "labels":
            return float(self.fn(y_true, proba.argmax(axis=1), **kwargs))
        if reads == "score" and proba.shape[1] == 2:
            return float(self.fn(y_true, proba[:, 1], **kwargs))
        if reads == "score":
            kwargs.setdefault("multi_class", "ovr")
        kwargs.setdefault("labels", np.arange(proba.shape[1]))
        return float(self.fn(y_true, proba, **kwargs))


def _n_classes(y_true: np.ndarray, outputs: Any) -> int:
    width = np.shape(outputs)[-1] if np.ndim(outputs) == 2 else 1
    return max(len(np.unique(y_true)), 2 if width == 1 else width)


def get_scorer(metric: Any, who: str = "cross_validate") -> Scorer:
    """A ``Scorer`` from a name ("accuracy", "f1", "roc_auc", "r2", "mse", ...), a function of
    ``em.metrics.sklearn`` (``em.metrics.sklearn.f1_score``) or any
    ``fn(y_true, y_pred) -> float``."""
    from ember.metrics import sklearn as em_metrics

    if isinstance(metric, Scorer):
        return metric
    if isinstance(metric, str):
        key = _ALIASES.get(metric.lower(), metric.lower())
        if key not in _TABLE:
            raise ValueError(f"{who}: unknown metric {metric!r}; use one of "
                             f"{sorted(_TABLE)} or a function fn(y_true, y_pred)")
        fn_name, reads, task, gib, kwargs = _TABLE[key]
        return Scorer(key, getattr(em_metrics, fn_name), reads, task, gib, dict(kwargs))
    if callable(metric):
        name = getattr(metric, "__name__", type(metric).__name__)
        if getattr(em_metrics, name, None) is metric and name in _ALIASES:
            scorer = get_scorer(name, who)  # known: read labels, scores or values as needed
            scorer.name = name
            scorer.kwargs = {k: v for k, v in scorer.kwargs.items() if v != "auto"}
            return scorer
        gib = not any(w in name.lower() for w in ("loss", "error", "mse", "mae"))
        return Scorer(name, metric, "auto", "any", gib)
    raise TypeError(f"{who}: a metric must be a name or a function fn(y_true, y_pred); got "
                    f"{type(metric).__name__}")


def get_scorers(metrics: Any, who: str) -> list[Scorer]:
    """One scorer per metric; ``metrics`` may be one metric or a sequence of them."""
    if isinstance(metrics, (str, Scorer)) or callable(metrics):
        metrics = [metrics]
    scorers = [get_scorer(m, who) for m in metrics]
    if not scorers:
        raise ValueError(f"{who}: metrics is empty; pass e.g. metrics=('accuracy',)")
    names = [s.name for s in scorers]
    if len(set(names)) != len(names):
        raise ValueError(f"{who}: metric names must be unique; got {names}")
    return scorers


def prepare_target(y: np.ndarray, scorers: list[Scorer], who: str) -> tuple[str, np.ndarray]:
    """``(task, y_for_scoring)``: "classification" or "regression", after checking that each
    metric fits the kind of target ``y`` is (one-hot rows become integer labels)."""
    from ember.metrics.sklearn import type_of_target

    kind = type_of_target(y)
    labels = y
    if kind == "multilabel-indicator" and y.ndim == 2 and np.all(y.sum(axis=1) == 1):
        kind, labels = "multiclass", y.argmax(axis=1)  # one-hot rows
    tasks = {s.task for s in scorers} - {"any"}
    if len(tasks) > 1:
        cls = [s.name for s in scorers if s.task == "classification"]
        reg = [s.name for s in scorers if s.task == "regression"]
        raise ValueError(f"{who}: classification metrics {cls} and regression metrics {reg} "
                         "cannot be mixed; y is either class labels or continuous values")
    is_labels = kind in ("binary", "multiclass")
    task = tasks.pop() if tasks else ("classification" if is_labels else "regression")
    for s in scorers:
        if s.task == "classification" and not is_labels:
            raise ValueError(
                f"{who}: metric {s.name!r} needs class labels (a binary or multiclass target), "
                f"but y is {_KIND_WORDS.get(kind, kind)}, e.g. {np.ravel(y)[:3].tolist()}; use "
                "a regression metric ('r2', 'mse', 'rmse', 'mae') or pass class labels")
        if s.task == "regression" and labels.dtype.kind not in "biuf":
            raise ValueError(
                f"{who}: metric {s.name!r} needs numeric targets, but y holds {labels.dtype} "
                "labels; use a classification metric ('accuracy', 'f1', 'roc_auc', "
                "'log_loss')")
    if task == "classification" and labels.dtype.kind not in "biuf":
        raise ValueError(f"{who}: y holds {labels.dtype} labels; a model predicts integer "
                         "class codes, so encode the labels first (e.g. with "
                         "em.data.from_dataframe or sklearn's LabelEncoder)")
    return task, labels
