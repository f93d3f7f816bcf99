"""``learning_curve``: training and validation scores as the training set grows.

The picture for bias and variance: when both curves are low and close, the model underfits
(high bias: a bigger model or better features help, more data does not); when the training
score is much higher than the validation score, it overfits (high variance: more data,
regularization or a smaller model help).

Example::

    curve = em.model_selection.learning_curve(build, x, y, cv=3, metric="accuracy",
                                              fit_kwargs={"epochs": 20}, seed=0)
    print(curve)                 # sizes, training and validation mean ± std
    sizes, train_scores, val_scores = curve   # arrays, as scikit-learn returns them
    curve.plot()                 # needs matplotlib
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

from ember.model_selection import scoring
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

WHO = "learning_curve"


class CurveScores:
    """The per-row mean and spread over folds of ``train_scores`` and ``val_scores``, which a
    learning curve and a validation curve both plot."""

    train_scores: np.ndarray
    val_scores: np.ndarray

    @property
    def train_mean(self) -> np.ndarray:
        return self.train_scores.mean(axis=1)

    @property
    def train_std(self) -> np.ndarray:
        return self.train_scores.std(axis=1)

    @property
    def val_mean(self) -> np.ndarray:
        return self.val_scores.mean(axis=1)

    @property
    def val_std(self) -> np.ndarray:
        return self.val_scores.std(axis=1)


class LearningCurveResult(CurveScores):
    """``train_sizes`` (n_sizes,), ``train_scores`` and ``val_scores`` (n_sizes, n_folds).

    Unpacks as ``sizes, train_scores, val_scores`` like scikit-learn's ``learning_curve``.
    """

    def __init__(self, train_sizes: np.ndarray, train_scores: np.ndarray,
                 val_scores: np.ndarray, metric: str, greater_is_better: bool) -> None:
        self.train_sizes = train_sizes
        self.train_scores = train_scores
        self.val_scores = val_scores
        self.metric = metric
        self.greater_is_better = greater_is_better

    def __iter__(self):
        return iter((self.train_sizes, self.train_scores, self.val_scores))


    def gap(self) -> float:
        """How much better the training score is than the validation score, at the largest
        training set (positive: the model does better on data it has seen)."""
        diff = self.train_mean[-1] - self.val_mean[-1]
        return float(diff if self.greater_is_better else -diff)

    def __str__(self) -> str:
        head = ["train size", f"train {self.metric}", f"validation {self.metric}"]
        rows = [[str(n), f"{tm:.4f} ± {ts:.4f}", f"{vm:.4f} ± {vs:.4f}"]
                for n, tm, ts, vm, vs in zip(self.train_sizes, self.train_mean,
                                             self.train_std, self.val_mean, self.val_std)]
        return (f"learning curve ({self.train_scores.shape[1]} folds)\n"
                + format_table(head, rows)
                + f"\ngap between training and validation at {self.train_sizes[-1]} samples: "
                  f"{self.gap():+.4f}")

    def plot(self, ax: Any = None) -> Any:
        """Draw both curves with ±1 std bands on a matplotlib axis; returns the axis."""
        from ember.model_selection._deps import require

        plt = require("matplotlib.pyplot", "LearningCurveResult.plot")
        ax = ax or plt.gca()
        for mean, std, label in ((self.train_mean, self.train_std, "training"),
                                 (self.val_mean, self.val_std, "validation")):
            ax.plot(self.train_sizes, mean, "o-", label=label)
            ax.fill_between(self.train_sizes, mean - std, mean + std, alpha=0.2)
        ax.set_xlabel("training samples")
        ax.set_ylabel(self.metric)
        ax.legend()
        return ax


def _sizes(train_sizes: Sequence, n_max: int) -> np.ndarray:
    values = np.asarray(train_sizes)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{WHO}: train_sizes must be a non-empty list of fractions or counts; "
                         f"got {train_sizes!r}")
    out = []
    for v in values.tolist():
        if isinstance(v, bool) or not isinstance(v, Real):
            raise ValueError(f"{WHO}: train_sizes holds {v!r}; expected fractions in (0, 1] or "
                             "numbers of samples")
        if isinstance(v, Integral):
            if not 1 <= v <= n_max:
                raise ValueError(f"{WHO}: train size {v} must be between 1 and {n_max} (the "
                                 "size of the training folds)")
            out.append(int(v))
        else:
            if not 0.0 < v <= 1.0:
                raise ValueError(f"{WHO}: fraction {v} in train_sizes must be in (0, 1]")
            out.append(max(1, math.floor(v * n_max)))
    return np.unique(out)  # sorted, duplicates from rounding dropped


def learning_curve(build_fn: Callable[[], Any], x: Any, y: Any,
                   train_sizes: Sequence = (0.1, 0.325, 0.55, 0.775, 1.0), cv: Any = 5,
                   metric: Any = "accuracy", fit_kwargs: dict | None = None,
                   seed: int | None = None, verbose: int = 0) -> LearningCurveResult:
    """Train a fresh model on growing subsets of each training fold; score each on that
    subset (training score) and on the held-out fold (validation score).

    Args:
        build_fn: returns a NEW compiled model each call.
        train_sizes: fractions (of the training fold) or numbers of samples.
        cv: folds, as in ``cross_validate`` (an int gives shuffled, stratified-for-labels
            folds).
        metric: one metric name or function (see ``cross_validate``).
        fit_kwargs: passed to ``model.fit``; seed: seeds the folds, subsets and models.

    Returns:
        a ``LearningCurveResult``; ``print`` it for a table.
    """
    xs = as_inputs(x, WHO)
    y_arr = as_target(y, WHO)
    if len(y_arr) != n_samples(xs):
        raise ValueError(f"{WHO}: x has {n_samples(xs)} samples but y has {len(y_arr)}")
    scorer = scoring.get_scorer(metric, WHO)
    task, y_score = scoring.prepare_target(y_arr, [scorer], WHO)
    pairs, _ = folds(cv, xs, y_score, task, seed, None, WHO)
    n_train = min(len(tr) for tr, _ in pairs)
    sizes = _sizes(train_sizes, n_train)
    train_scores = np.zeros((len(sizes), len(pairs)))
    val_scores = np.zeros((len(sizes), len(pairs)))
    rng = np.random.default_rng(seed)
    x_val_parts = [(take(xs, te), y_score[te]) for _, te in pairs]
    for j, (train, _) in enumerate(pairs):
        order = rng.permutation(train)  # subsets drawn at random, not the first rows
        for i, size in enumerate(sizes):
            idx = order[:size]
            model_seed = None if seed is None else seed + j * len(sizes) + i
            model = build_model(build_fn, model_seed, WHO)
            fit_model(model, take(xs, idx), y_arr[idx], fit_kwargs)
            train_scores[i, j] = score(model, [scorer], take(xs, idx), y_score[idx], task,
                                       WHO)[0]
            val_scores[i, j] = score(model, [scorer], *x_val_parts[j], task, WHO)[0]
            if verbose:
                print(f"fold {j + 1}/{len(pairs)}, {size} samples: train "
                      f"{train_scores[i, j]:.4f}, validation {val_scores[i, j]:.4f}")
    return LearningCurveResult(sizes, train_scores, val_scores, scorer.name,
                               scorer.greater_is_better)
