"""``cross_validate``: k-fold cross-validation of an ember model, a fresh model per fold.

``build_fn()`` returns a new compiled model; each fold trains one on the other folds and
scores it on the held-out fold. Class-label targets get stratified folds (as scikit-learn does
for classifiers), so every fold keeps the class proportions. Folds are shuffled (from
``seed``), so data sorted by class or by time still gives representative folds.

Example::

    import ember as em

    def build():
        model = em.Sequential([em.layers.Dense(16, activation="relu"),
                               em.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model

    result = em.model_selection.cross_validate(build, x, y, cv=5, metrics=("accuracy", "f1"),
                                               fit_kwargs={"epochs": 20}, seed=0)
    print(result)                  # a table: one row per fold, then mean and std
    result.mean("accuracy"), result.std("accuracy"), result["test_accuracy"]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.model_selection import scoring
from ember.model_selection._outputs import from_logits
from ember.model_selection.split import splitter

WHO = "cross_validate"


# ---------------------------------------------------------------------- data helpers
def as_inputs(x: Any, who: str) -> Any:
    """x as an array, a list of arrays (several inputs) or a dict of arrays."""
    from ember.models import data_adapter as da

    if isinstance(x, dict):
        return {k: da.to_numpy(v, f"{who}: x[{k!r}]") for k, v in x.items()}
    arrays = da.flatten_structure(x, f"{who}: x")
    if arrays is None:
        raise ValueError(f"{who}: x is required")
    return arrays if isinstance(x, (list, tuple)) and len(arrays) > 1 else arrays[0]


def as_target(y: Any, who: str) -> np.ndarray:
    """y as a NumPy array; pandas object columns of strings become a string array."""
    if y is None:
        raise ValueError(f"{who}: y is required")
    arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if arr.dtype == object and arr.size and all(isinstance(v, str) for v in arr.ravel()):
        arr = arr.astype(str)
    if arr.ndim == 0:
        raise ValueError(f"{who}: y must have one entry per sample; got a scalar")
    return arr


def take(x: Any, idx: np.ndarray) -> Any:
    if isinstance(x, dict):
        return {k: v[idx] for k, v in x.items()}
    if isinstance(x, list):
        return [v[idx] for v in x]
    return x[idx]


def n_samples(x: Any) -> int:
    first = next(iter(x.values())) if isinstance(x, dict) else x[0] if isinstance(x, list) else x
    return len(first)


def folds(cv: Any, x: Any, y: np.ndarray, task: str, seed: int | None, groups: Any,
          who: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """The (train, test) index pairs and whether they are stratified."""
    n = n_samples(x)
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if not 2 <= cv <= n:
            raise ValueError(f"{who}: cv={cv} must be between 2 and the number of samples ({n})")
        stratify = task == "classification"
        if stratify and np.unique(y).size > 1 and np.bincount(
                np.unique(y, return_inverse=True)[1]).min() < cv:
            warnings.warn(f"{who}: a class has fewer samples than cv={cv} folds, so the "
                          "folds are not stratified", UserWarning, stacklevel=3)
            stratify = False
        name = "StratifiedKFold" if stratify else "KFold"
        split = splitter(name)(n_splits=int(cv), shuffle=True, random_state=seed)
        return [(tr, te) for tr, te in split.split(np.zeros(n), y)], stratify
    if hasattr(cv, "split"):
        pairs = list(cv.split(np.zeros(n), y, groups))
        return pairs, "Stratified" in type(cv).__name__
    try:
        pairs = [(np.asarray(tr), np.asarray(te)) for tr, te in cv]
    except (TypeError, ValueError):
        raise TypeError(f"{who}: cv must be a number of folds, a splitter such as "
                        f"em.model_selection.KFold(5), or (train, test) index pairs; got "
                        f"{type(cv).__name__}") from None
    if not pairs:
        raise ValueError(f"{who}: cv gave no (train, test) splits")
    return pairs, False


# ---------------------------------------------------------------------- one fold
def build_model(build_fn: Callable, seed: int | None, who: str) -> Any:
    """A fresh compiled model from ``build_fn()``, seeded for reproducibility when asked."""
    if not callable(build_fn):
        raise TypeError(f"{who}: build_fn must be a function that returns a new compiled "
                        f"model; got {type(build_fn).__name__}")
    if seed is not None:
        from ember.utils import set_random_seed

        set_random_seed(seed)
    model = build_fn()
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        raise TypeError(f"{who}: build_fn() must return a compiled ember model; it returned "
                        f"{type(model).__name__}")
    if getattr(model, "compiled", True) is False:
        raise ValueError(f"{who}: the model from build_fn() is not compiled; call "
                         "model.compile(optimizer=..., loss=...) inside build_fn")
    return model


def fit_model(model: Any, x: Any, y: np.ndarray, fit_kwargs: dict | None) -> Any:
    kwargs = {"verbose": 0, **(fit_kwargs or {})}
    for bad in ("x", "y"):
        if bad in kwargs:
            raise ValueError(f"fit_kwargs must not contain {bad!r}: the folds provide the data")
    return model.fit(x, y, **kwargs)


def score(model: Any, scorers: list, x: Any, y: np.ndarray, task: str, who: str) -> list:
    out = model.predict(x, verbose=0)
    if isinstance(out, list):
        raise ValueError(f"{who}: the model has {len(out)} outputs; scoring needs one")
    logits = from_logits(model)
    return [s(y, out, task, logits) for s in scorers]


# ---------------------------------------------------------------------- the result
class CrossValidationResult(dict):
    """Per-fold scores, as scikit-learn's ``cross_validate`` dict (``"test_<metric>"``,
    ``"train_<metric>"``, ``"fit_time"``, ``"score_time"``: one entry per fold), plus
    ``mean()``, ``std()``, the training ``histories`` and a readable table as ``str()``."""

    def __init__(self, data: dict, metrics: list[str], stratified: bool, task: str,
                 histories: list, models: list | None) -> None:
        super().__init__(data)
        self.metrics = metrics
        self.stratified = stratified
        self.task = task
        self.histories = histories
        self.models = models

    @property
    def n_splits(self) -> int:
        return len(self["fit_time"])

    @property
    def scores(self) -> dict[str, np.ndarray]:
        """metric -> its test score in each fold."""
        return {m: self[f"test_{m}"] for m in self.metrics}

    def mean(self, metric: str | None = None) -> Any:
        """The mean test score of ``metric`` (all metrics as a dict when None)."""
        if metric is None:
            return {m: self.mean(m) for m in self.metrics}
        return float(np.mean(self[f"test_{self._check(metric)}"]))

    def std(self, metric: str | None = None) -> Any:
        """The standard deviation of the test scores over the folds."""
        if metric is None:
            return {m: self.std(m) for m in self.metrics}
        return float(np.std(self[f"test_{self._check(metric)}"]))

    def _check(self, metric: str) -> str:
        if metric not in self.metrics:
            raise KeyError(f"no metric {metric!r} in this result; it has {self.metrics}")
        return metric

    def summary(self) -> str:
        """One line per metric: ``accuracy: 0.9561 ± 0.0123``."""
        return "\n".join(f"{m}: {self.mean(m):.4f} ± {self.std(m):.4f}" for m in self.metrics)

    def __str__(self) -> str:
        kind = "stratified " if self.stratified else ""
        cols = [f"test_{m}" for m in self.metrics] + [
            f"train_{m}" for m in self.metrics if f"train_{m}" in self]
        head = ["fold"] + [c.replace("test_", "") for c in cols] + ["fit time"]
        rows = [[str(i + 1)] + [f"{self[c][i]:.4f}" for c in cols] + [f"{self['fit_time'][i]:.2f}s"]
                for i in range(self.n_splits)]
        rows.append(["mean"] + [f"{np.mean(self[c]):.4f}" for c in cols]
                    + [f"{np.mean(self['fit_time']):.2f}s"])
        rows.append(["std"] + [f"{np.std(self[c]):.4f}" for c in cols] + [""])
        title = f"{self.n_splits}-fold {kind}cross-validation"
        return "\n".join([title, format_table(head, rows), self.summary()])


def format_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                       for i, (h, w) in enumerate(zip(head, widths)))]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------- the loop
def cross_validate(build_fn: Callable[[], Any], x: Any, y: Any, cv: Any = 5,
                   fit_kwargs: dict | None = None, metrics: Any = ("accuracy",),
                   seed: int | None = None, return_train_score: bool = False,
                   return_models: bool = False, groups: Any = None,
                   verbose: int = 0) -> CrossValidationResult:
    """Cross-validate the model ``build_fn()`` makes: k folds, a fresh model per fold.

    Args:
        build_fn: called once per fold with no argument; returns a NEW compiled model.
        x, y: the data (arrays, DataFrames; x may be a list or dict for several inputs).
            Classification targets are integer class codes (or one-hot rows).
        cv: the number of folds (stratified for class labels, shuffled from ``seed``), a
            scikit-learn splitter (``em.model_selection.LeaveOneOut()``, ...) or an iterable
            of (train, test) index arrays.
        fit_kwargs: passed to ``model.fit`` (``epochs``, ``batch_size``, ``callbacks``, ...).
        metrics: names ("accuracy", "f1", "roc_auc", "log_loss", "r2", "mse", "rmse", "mae",
            ...), functions of ``em.metrics`` or any ``fn(y_true, y_pred) -> float``.
        seed: seeds the fold shuffle and each fold's model (fold i uses ``seed + i``).
        return_train_score: also score each model on its training folds.
        return_models: keep the trained models in ``result.models``.
        groups: group labels for group-aware splitters (``GroupKFold``).
        verbose: 1 prints one line per fold.

    Returns:
        a ``CrossValidationResult`` (a dict of per-fold arrays; ``print`` it for a table).
    """
    xs = as_inputs(x, WHO)
    y_arr = as_target(y, WHO)
    if len(y_arr) != n_samples(xs):
        raise ValueError(f"{WHO}: x has {n_samples(xs)} samples but y has {len(y_arr)}")
    scorers = scoring.get_scorers(metrics, WHO)
    task, y_score = scoring.prepare_target(y_arr, scorers, WHO)
    pairs, stratified = folds(cv, xs, y_score, task, seed, groups, WHO)
    data: dict[str, list] = {"fit_time": [], "score_time": []}
    for s in scorers:
        data[f"test_{s.name}"] = []
        if return_train_score:
            data[f"train_{s.name}"] = []
    histories, models = [], []
    for i, (train, test) in enumerate(pairs):
        model = build_model(build_fn, None if seed is None else seed + i, WHO)
        start = time.perf_counter()
        history = fit_model(model, take(xs, train), y_arr[train], fit_kwargs)
        data["fit_time"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for s, v in zip(scorers, score(model, scorers, take(xs, test), y_score[test], task,
                                       WHO)):
            data[f"test_{s.name}"].append(v)
        data["score_time"].append(time.perf_counter() - start)
        if return_train_score:
            for s, v in zip(scorers, score(model, scorers, take(xs, train), y_score[train],
                                           task, WHO)):
                data[f"train_{s.name}"].append(v)
        histories.append(getattr(history, "history", history))
        if return_models:
            models.append(model)
        if verbose:
            shown = ", ".join(f"{s.name}={data[f'test_{s.name}'][-1]:.4f}" for s in scorers)
            print(f"fold {i + 1}/{len(pairs)}: {shown} ({data['fit_time'][-1]:.2f}s)")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in data.items()}
    return CrossValidationResult(arrays, [s.name for s in scorers], stratified, task,
                                 histories, models if return_models else None)
