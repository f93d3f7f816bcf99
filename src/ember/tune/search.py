"""``em.tune.search``: hyperparameter search with Optuna underneath.

Two ways to describe what to search:

- a function ``build(trial) -> compiled model`` that asks the trial for values
  (``trial.suggest_float("lr", 1e-4, 1e-1, log=True)``, ``trial.suggest_int(...)``); if it
  suggests "batch_size" or "epochs", those are used for fitting;
- a search-space dict (see ``ember.tune.space``) for the built-in MLP: ``{"learning_rate":
  ("log", 1e-4, 1e-1), "units": [32, 64, 128], "layers": (1, 3), "activation": ["relu",
  "tanh"], "optimizer": ["adam", "sgd"], "l2": ("log", 1e-6, 1e-2), "batch_size": [32, 64]}``.

Every trial trains a fresh model on the training part and is scored on the validation part
(``validation_data``, or a random ``validation_split`` of x, y drawn once from ``seed`` so all
trials see the same split). The objective is the best ``monitor`` value over the epochs.
After each epoch the value is reported to Optuna, and the pruner stops trials that are
doing worse than earlier ones at the same epoch.

Example::

    result = em.tune.search({"learning_rate": ("log", 1e-4, 1e-1), "units": [16, 64]},
                            x, y, n_trials=20, monitor="val_accuracy", epochs=20, seed=0)
    print(result)                 # a table of the trials, then the best
    result.best_params, result.best_value
    result.best_model.evaluate(x_test, y_test)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ember.model_selection._deps import require
from ember.model_selection.validation import as_inputs, as_target, n_samples, take
from ember.models.nonfinite_loss import NonFiniteLossError
from ember.tune.default_model import build_default_model, infer_task
from ember.tune.pruning import PruningCallback
from ember.tune.result import SearchResult
from ember.tune.space import parse_space

WHO = "em.tune.search"
_LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "rmse", "crossentropy", "hinge",
                    "divergence", "poisson", "cosh")
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "r2", "score", "similarity",
                     "positives", "negatives")


def infer_direction(monitor: str, direction: str | None) -> str:
    """"minimize" or "maximize": as given, or from the monitor's name."""
    if direction is not None:
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"{WHO}: direction must be 'minimize' or 'maximize'; got "
                             f"{direction!r}")
        return direction
    name = monitor.lower().removeprefix("val_")
    if any(w in name for w in _LOWER_IS_BETTER):
        return "minimize"
    if any(w in name for w in _HIGHER_IS_BETTER):
        return "maximize"
    raise ValueError(f"{WHO}: cannot tell whether {monitor!r} should go up or down; pass "
                     "direction='minimize' or direction='maximize'")


def _split(xs: Any, y: np.ndarray, fraction: float, seed: int | None) -> tuple:
    n = n_samples(xs)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"{WHO}: validation_split must be in (0, 1) when no validation_data "
                         f"is given; got {fraction!r}")
    n_val = math.ceil(n * fraction)
    if not 1 <= n_val < n:
        raise ValueError(f"{WHO}: validation_split={fraction} leaves no training or no "
                         f"validation samples out of {n}")
    order = np.random.default_rng(seed).permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (take(xs, train), y[train]), (take(xs, val), y[val])


def _encode_like(y: np.ndarray, classes: Any) -> np.ndarray:
    """Validation targets encoded with the training classes (codes 0..k-1), or as floats."""
    if classes is None:
        return y.astype(np.float32)
    if y.ndim == 2 and y.shape[1] == len(classes) > 1:
        y = y.argmax(axis=1)  # one-hot rows
    flat = y.reshape(len(y), -1)[:, 0]
    codes = np.searchsorted(classes, flat)
    codes = np.minimum(codes, len(classes) - 1)
    unknown = flat[classes[codes] != flat]
    if unknown.size:
        raise ValueError(f"{WHO}: validation_data holds labels the training data does not: "
                         f"{sorted(set(unknown.tolist()))[:5]}")
    return codes.astype(np.int64)


class _Objective:
    """Builds, trains and scores one model per trial; keeps the best model in memory."""

    def __init__(self, builder: Callable, fixed: dict, train: tuple, val: tuple,
                 settings: dict) -> None:
        self.builder, self.fixed = builder, fixed
        self.train, self.val = train, val
        self.s = settings
        self.kept: dict = {}

    def fit(self, trial: Any, prune: bool) -> tuple[Any, list]:
        s = self.s
        if s["seed"] is not None:
            from ember.utils import set_random_seed

            set_random_seed(s["seed"] + trial.number)
        model = self.builder(trial)
        if not (hasattr(model, "fit") and getattr(model, "compiled", False)):
            raise TypeError(f"{WHO}: build(trial) must return a compiled ember model; got "
                            f"{type(model).__name__}"
                            + (" (not compiled)" if hasattr(model, "fit") else ""))
        chosen = {**trial.params, **self.fixed}
        callbacks = list(s["callbacks"] or [])
        if prune:
            callbacks.append(PruningCallback(trial, s["monitor"]))
        try:
            history = model.fit(*self.train, validation_data=self.val,
                                epochs=int(chosen.get("epochs", s["epochs"])),
                                batch_size=int(chosen.get("batch_size", s["batch_size"])),
                                callbacks=callbacks, verbose=s["fit_verbose"],
                                **s["fit_kwargs"])
        except NonFiniteLossError as err:
            # a diverging trial (a learning rate too high) is a result, not a crash of the
            # search: it keeps the epochs it finished (none: Optuna records it as failed)
            trial.set_user_attr("nonfinite_loss", str(err).split(";")[0])
            history = model.history
            if s["monitor"] not in history.history:
                history.history[s["monitor"]] = []
        values = history.history.get(s["monitor"])
        if values is None:
            raise ValueError(f"{WHO}: monitor {s['monitor']!r} is not among the values the "
                             f"model reports ({sorted(history.history)}); compile with that "
                             "metric or choose one of those")
        return model, values

    def __call__(self, trial: Any) -> float:
        budget = self.s["total_trials"]
        if budget is not None and trial.number >= budget:
            # another worker took the last place in the shared budget between this worker's
            # check and its new trial: record it as not run and stop this worker
            trial.set_user_attr("over_budget", True)
            trial.study.stop()
            return float("nan")
        model, values = self.fit(trial, self.s["prune"])
        arr = np.asarray(values, dtype=np.float64)
        if arr.size == 0 or np.all(np.isnan(arr)):
            return float("nan")  # Optuna records the trial as failed
        maximize = self.s["direction"] == "maximize"
        best_epoch = int(np.nanargmax(arr) if maximize else np.nanargmin(arr))
        value = float(arr[best_epoch])
        trial.set_user_attr("epochs", len(arr))
        trial.set_user_attr("best_epoch", best_epoch)
        if self.s["keep_best_model"]:
            old = self.kept.get("value")
            if old is None or (value > old if maximize else value < old):
                self.kept.update(number=trial.number, model=model, value=value)
        return value

    def retrain(self, frozen: Any) -> Any:
        """The model of trial ``frozen`` again: same parameters, same seed, same data."""
        optuna = require("optuna", WHO)
        trial = optuna.trial.FixedTrial(frozen.params, number=frozen.number)
        return self.fit(trial, prune=False)[0]


def _create_study(optuna: Any, **kwargs: Any) -> Any:
    """``optuna.create_study``, retried when workers started together race to create the
    storage's tables or the study (the loser sees a unique-key violation; once the tables
    exist, ``load_if_exists`` joins the study)."""
    for attempt in range(5):
        try:
            return optuna.create_study(**kwargs)
        except Exception as exc:  # sqlalchemy's IntegrityError, optuna's DuplicatedStudyError
            duplicate = "duplicate" in str(exc).lower() or "unique" in str(exc).lower()
            if not duplicate or attempt == 4 or kwargs.get("storage") is None:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


class _StopWhenFull:
    """Stops a worker once the shared study holds ``budget`` finished or running trials."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def full(self, study: Any) -> bool:
        from optuna.trial import TrialState

        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING,
                  TrialState.WAITING)
        return len(study.get_trials(deepcopy=False, states=states)) >= self.budget

    def __call__(self, study: Any, trial: Any) -> None:
        if self.full(study):
            study.stop()


def search(build: Callable[[Any], Any] | dict, x: Any, y: Any = None, *, n_trials: int | None = 20,
           direction: str | None = None, monitor: str = "val_loss",
           validation_split: float = 0.2, validation_data: tuple | None = None,
           epochs: int = 10, batch_size: int = 32, storage: Any = None,
           study_name: str | None = None, load_if_exists: bool = True, sampler: Any = None,
           pruner: Any = None, prune: bool = True, seed: int | None = None,
           timeout: float | None = None, task: str | None = None, callbacks: Any = None,
           fit_kwargs: dict | None = None, keep_best_model: bool = True,
           total_trials: int | None = None, verbose: int = 0) -> SearchResult:
    """Search hyperparameters with Optuna; see the module docstring.

    Args:
        build: ``build(trial) -> compiled model``, or a search-space dict for the default MLP.
        x, y: training data (arrays or DataFrames). With a dict space, class labels of any
            kind are encoded for you; ``task`` ("classification" / "regression") overrides
            what y looks like.
        n_trials, timeout: stop after this many trials / seconds (whichever comes first).
        direction: "minimize" or "maximize"; None infers it from ``monitor`` (losses and
            errors go down, accuracy / AUC / R² go up).
        monitor: the log value to optimize, e.g. "val_loss", "val_accuracy".
        validation_split, validation_data: where the validation scores come from.
        epochs, batch_size: for each trial's fit, unless the trial suggests them.
        storage, study_name, load_if_exists: Optuna storage (e.g. "sqlite:///search.db") to
            keep the study and resume it later.
        sampler, pruner: Optuna objects; by default TPE seeded with ``seed`` and a median
            pruner (after 5 trials, from the second epoch). ``prune=False`` never prunes.
        seed: seeds the sampler, the validation split and each trial's model.
        callbacks, fit_kwargs: passed to every ``fit``.
        keep_best_model: keep the best trial's trained model in memory (else retrain it when
            ``best_model`` is first read).
        total_trials: a budget for the whole study, shared by every worker that runs it
            through the same ``storage`` (e.g. PostgreSQL, see docs/distributed.md): a
            worker starts no trial once the study holds this many finished or running ones.
            Use it with ``n_trials=None`` to let the workers share the work out.
        verbose: 0 silent, 1 Optuna's line per trial, 2 also every fit's progress.
    """
    optuna = require("optuna", WHO)
    direction = infer_direction(monitor, direction)
    xs = as_inputs(x, WHO)
    y_arr = as_target(y, WHO)
    if len(y_arr) != n_samples(xs):
        raise ValueError(f"{WHO}: x has {n_samples(xs)} samples but y has {len(y_arr)}")
    fixed: dict = {}
    classes = None
    if isinstance(build, dict):
        space = parse_space(build)
        fixed = {k: p.choices[0] for k, p in space.items() if p.kind == "fixed"}
        kind, y_arr, classes = infer_task(y_arr, task, WHO)
        n_out = len(classes) if classes is not None else (
            1 if y_arr.ndim == 1 else int(np.prod(y_arr.shape[1:])))
        input_ndim = (xs[0] if isinstance(xs, list) else xs).ndim

        def builder(trial: Any) -> Any:
            params = {name: p.suggest(trial) for name, p in space.items()}
            return build_default_model(params, kind, n_out, input_ndim)
    elif callable(build):
        builder = build
    else:
        raise TypeError(f"{WHO}: build must be a function build(trial) -> compiled model or a "
                        f"search-space dict; got {type(build).__name__}")
    if validation_data is not None:
        train = (xs, y_arr)
        val = tuple(validation_data)
        if isinstance(build, dict) and len(val) >= 2:
            val = (val[0], _encode_like(as_target(val[1], WHO), classes), *val[2:])
    else:
        train, val = _split(xs, y_arr, validation_split, seed)
    if n_trials is not None and (not isinstance(n_trials, int) or n_trials < 1):
        raise ValueError(f"{WHO}: n_trials must be a positive int or None; got {n_trials!r}")
    if total_trials is not None and (not isinstance(total_trials, int) or total_trials < 1):
        raise ValueError(f"{WHO}: total_trials must be a positive int or None; got "
                         f"{total_trials!r}")
    if n_trials is None and timeout is None and total_trials is None:
        raise ValueError(f"{WHO}: give n_trials or timeout (or total_trials for a shared "
                         "study); with none of them the search would never end")
    settings = {"seed": seed, "monitor": monitor, "direction": direction, "epochs": epochs,
                "batch_size": batch_size, "callbacks": callbacks, "prune": prune,
                "fit_kwargs": dict(fit_kwargs or {}), "keep_best_model": keep_best_model,
                "fit_verbose": 1 if verbose >= 2 else 0, "total_trials": total_trials}
    objective = _Objective(builder, fixed, train, val, settings)
    if sampler is None:
        sampler = optuna.samplers.TPESampler(seed=seed)
    if pruner is None:
        pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.WARNING)
    try:
        study = _create_study(optuna, storage=storage, sampler=sampler, pruner=pruner,
                              study_name=study_name, direction=direction,
                              load_if_exists=load_if_exists)
        stop = [] if total_trials is None else [_StopWhenFull(total_trials)]
        if not stop or not stop[0].full(study):
            study.optimize(objective, n_trials=n_trials, timeout=timeout, callbacks=stop)
    finally:
        optuna.logging.set_verbosity(level)
    return SearchResult(study, direction, monitor, objective.kept, objective.retrain)
