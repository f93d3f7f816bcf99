"""``validation_curve``: training and validation scores as one hyperparameter varies.

The picture for model complexity: at the simple end both scores are poor (underfitting, high
bias); as the model grows the training score keeps improving while the validation score peaks
and then falls (overfitting, high variance). The best setting is the validation peak.
``learning_curve`` varies the amount of data instead.

Two kinds of estimator, as scikit-learn's ``validation_curve`` takes:

- a scikit-learn estimator (anything with ``get_params``/``set_params``, ember's
  ``em.sklearn.EmberClassifier`` / ``EmberRegressor`` included): cloned and given
  ``param_name=value`` for each value, folds and scoring exactly as scikit-learn's;
- an ember build function ``build_fn(**{param_name: value})`` returning a NEW compiled model:
  scored with ember's metric names (as ``cross_validate``), ``fit_params`` passed to ``fit``.

Example::

    def build(units):
        model = em.Sequential([em.layers.Dense(units, activation="relu"),
                               em.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    curve = em.model_selection.validation_curve(build, x, y, param_name="units",
                                                param_range=[1, 4, 16, 64], cv=3,
                                                fit_params={"epochs": 30}, seed=0)
    train_scores, val_scores = curve      # (n_values, n_folds) arrays, as scikit-learn
    print(curve); curve.plot()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember.model_selection import scoring
from ember.model_selection.learning_curve import CurveScores
from ember.model_selection.validation import (
    as_inputs,
    as_target,
    build_model,
    fit_model,
    folds,
    format_table,
    n_samples,
    score,
    take,
)

WHO = "validation_curve"


class ValidationCurveResult(CurveScores):
    """``param_range`` (n_values,), ``train_scores`` and ``test_scores`` (n_values, n_folds).

    Unpacks as ``train_scores, test_scores`` like scikit-learn's ``validation_curve``.
    """

    def __init__(self, param_name: str, param_range: list, train_scores: np.ndarray,
                 test_scores: np.ndarray, metric: str, greater_is_better: bool) -> None:
        self.param_name = param_name
        self.param_range = param_range
        self.train_scores = train_scores
        self.test_scores = test_scores
        self.metric = metric
        self.greater_is_better = greater_is_better

    def __iter__(self):
        return iter((self.train_scores, self.test_scores))

    @property
    def val_scores(self) -> np.ndarray:
        """The held-out scores (``test_scores``, under ``learning_curve``'s name)."""
        return self.test_scores

    @property
    def best_index(self) -> int:
        """The position of the best mean validation score."""
        m = self.val_mean
        return int(np.nanargmax(m) if self.greater_is_better else np.nanargmin(m))

    @property
    def best_param(self) -> Any:
        """The value of ``param_name`` with the best mean validation score."""
        return self.param_range[self.best_index]

    def __str__(self) -> str:
        head = [self.param_name, f"train {self.metric}", f"validation {self.metric}"]
        rows = [[str(p), f"{tm:.4f} ± {ts:.4f}", f"{vm:.4f} ± {vs:.4f}"]
                for p, tm, ts, vm, vs in zip(self.param_range, self.train_mean, self.train_std,
                                             self.val_mean, self.val_std)]
        return (f"validation curve ({self.train_scores.shape[1]} folds)\n"
                + format_table(head, rows)
                + f"\nbest {self.param_name}: {self.best_param!r} (validation "
                  f"{self.val_mean[self.best_index]:.4f})")

    def plot(self, ax: Any = None, log_x: bool = False) -> Any:
        """Both curves with ±1 std bands on a matplotlib axis (numeric values on the x axis,
        others by position); returns the axis."""
        from ember.model_selection._deps import require

        plt = require("matplotlib.pyplot", "ValidationCurveResult.plot")
        ax = ax or plt.gca()
        numeric = all(isinstance(p, (int, float, np.number)) and not isinstance(p, bool)
                      for p in self.param_range)
        xs = np.asarray(self.param_range, dtype=float) if numeric else np.arange(
            len(self.param_range))
        for mean, std, label in ((self.train_mean, self.train_std, "training"),
                                 (self.val_mean, self.val_std, "validation")):
            ax.plot(xs, mean, "o-", label=label)
            ax.fill_between(xs, mean - std, mean + std, alpha=0.2)
        if not numeric:
            ax.set_xticks(xs, [str(p) for p in self.param_range])
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel(self.param_name)
        ax.set_ylabel(self.metric)
        ax.legend()
        return ax


def _is_sklearn_estimator(obj: Any) -> bool:
    return hasattr(obj, "get_params") and hasattr(obj, "set_params") and hasattr(obj, "fit")


def validation_curve(estimator: Any, x: Any, y: Any, *, param_name: str,
                     param_range: Sequence, groups: Any = None, cv: Any = 5,
                     scoring: Any = None, fit_params: dict | None = None,
                     seed: int | None = None, verbose: int = 0) -> ValidationCurveResult:
    """For each value of ``param_name`` in ``param_range``, train on each training fold and
    score on it (training score) and on the held-out fold (validation score).

    Args:
        estimator: a scikit-learn estimator (``em.sklearn.EmberClassifier`` included) or an
            ember build function taking ``param_name`` as a keyword.
        param_name, param_range: the hyperparameter and its values (scikit-learn's names).
        cv: a number of folds, a splitter or (train, test) pairs. For scikit-learn estimators
            an int means scikit-learn's folds (stratified, unshuffled, for classifiers); for
            build functions ember's shuffled folds from ``seed``.
        scoring: scikit-learn estimators: None (``estimator.score``), a scikit-learn scorer
            name or ``fn(estimator, X, y)``. Build functions: an ember metric name or function
            (None: "accuracy" for class labels, "r2" otherwise).
        fit_params: passed to ``fit``; seed: folds and model seeds for build functions.

    Returns:
        a ``ValidationCurveResult``: unpacks as ``train_scores, test_scores``; ``print`` it.
    """
    values = list(param_range)
    if not isinstance(param_name, str) or not param_name:
        raise ValueError(f"{WHO}: param_name must be the name of a hyperparameter; got "
                         f"{param_name!r}")
    if not values:
        raise ValueError(f"{WHO}: param_range is empty; give the values of {param_name!r} "
                         "to try")
    if _is_sklearn_estimator(estimator):
        return _sklearn_curve(estimator, x, y, param_name, values, groups, cv, scoring,
                              fit_params, verbose)
    if not callable(estimator):
        raise TypeError(f"{WHO}: estimator must be a scikit-learn estimator or a function "
                        f"returning a new compiled ember model; got {type(estimator).__name__}")
    return _ember_curve(estimator, x, y, param_name, values, groups, cv, scoring, fit_params,
                        seed, verbose)


def _sklearn_curve(estimator: Any, x: Any, y: Any, param_name: str, values: list,
                   groups: Any, cv: Any, scoring: Any, fit_params: dict | None,
                   verbose: int) -> ValidationCurveResult:
    from ember.model_selection._deps import require

    base = require("sklearn.base", WHO)
    ms = require("sklearn.model_selection", WHO)
    metrics = require("sklearn.metrics", WHO)
    valid = estimator.get_params(deep=True)
    if param_name not in valid:
        raise ValueError(f"{WHO}: {type(estimator).__name__} has no parameter {param_name!r}; "
                         f"its parameters are {sorted(valid)}")
    splitter = ms.check_cv(cv, y, classifier=base.is_classifier(estimator))
    x_arr, y_arr = np.asarray(x) if not hasattr(x, "iloc") else x, np.asarray(y)
    pairs = list(splitter.split(x_arr, y_arr, groups))
    scorer = metrics.check_scoring(estimator, scoring=scoring)
    train = np.zeros((len(values), len(pairs)))
    test = np.zeros((len(values), len(pairs)))
    for i, value in enumerate(values):
        for j, (tr, te) in enumerate(pairs):
            model = base.clone(estimator).set_params(**{param_name: value})
            xs = x_arr.iloc if hasattr(x_arr, "iloc") else x_arr
            model.fit(xs[tr], y_arr[tr], **(fit_params or {}))
            train[i, j] = scorer(model, xs[tr], y_arr[tr])
            test[i, j] = scorer(model, xs[te], y_arr[te])
            if verbose:
                print(f"{param_name}={value!r}, fold {j + 1}/{len(pairs)}: train "
                      f"{train[i, j]:.4f}, validation {test[i, j]:.4f}")
    name = scoring if isinstance(scoring, str) else "score"
    return ValidationCurveResult(param_name, values, train, test, name, True)


def _ember_curve(build_fn: Callable, x: Any, y: Any, param_name: str, values: list,
                 groups: Any, cv: Any, metric: Any, fit_params: dict | None,
                 seed: int | None, verbose: int) -> ValidationCurveResult:
    from ember.metrics.sklearn import type_of_target

    xs = as_inputs(x, WHO)
    y_arr = as_target(y, WHO)
    if len(y_arr) != n_samples(xs):
        raise ValueError(f"{WHO}: x has {n_samples(xs)} samples but y has {len(y_arr)}")
    if metric is None:
        metric = "r2" if type_of_target(y_arr).startswith("continuous") else "accuracy"
    scorer = scoring.get_scorer(metric, WHO)
    task, y_score = scoring.prepare_target(y_arr, [scorer], WHO)
    pairs, _ = folds(cv, xs, y_score, task, seed, groups, WHO)
    train = np.zeros((len(values), len(pairs)))
    test = np.zeros((len(values), len(pairs)))
    for i, value in enumerate(values):
        for j, (tr, te) in enumerate(pairs):
            model_seed = None if seed is None else seed + i * len(pairs) + j
            model = build_model(lambda v=value: build_fn(**{param_name: v}), model_seed, WHO)
            fit_model(model, take(xs, tr), y_arr[tr], fit_params)
            train[i, j] = score(model, [scorer], take(xs, tr), y_score[tr], task, WHO)[0]
            test[i, j] = score(model, [scorer], take(xs, te), y_score[te], task, WHO)[0]
            if verbose:
                print(f"{param_name}={value!r}, fold {j + 1}/{len(pairs)}: train "
                      f"{train[i, j]:.4f}, validation {test[i, j]:.4f}")
    return ValidationCurveResult(param_name, values, train, test, scorer.name,
                                 scorer.greater_is_better)
