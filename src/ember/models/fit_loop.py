"""The loops around the trainer's steps: ``fit`` (epochs, batches, validation, callbacks) and
``evaluate``; one step of either is ``Trainer.train_step`` / ``test_step`` (``trainer.py``),
and ``predict`` is ``predict_loop.py``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ember import backend
from ember.callbacks.base import CallbackList
from ember.callbacks.history import History
from ember.callbacks.progbar import ProgbarLogger, closing_line, resolve_verbose
from ember.models import data_adapter as da
from ember.models import fit_inputs as fi
from ember.models import hooks
from ember.models.nonfinite_loss import NonFiniteLossError
from ember.models.trainer import Trainer, overrides


def fit(model: Any, x: Any = None, y: Any = None, batch_size: int | None = None,
        epochs: int = 1, verbose: Any = "auto", callbacks: Any = None,
        validation_split: float = 0.0, validation_data: Any = None, shuffle: Any = True,
        class_weight: dict | None = None, sample_weight: Any = None, initial_epoch: int = 0,
        steps_per_epoch: int | None = None, validation_steps: int | None = None,
        validation_batch_size: int | None = None, validation_freq: int = 1) -> History:
    """See ``Model.fit``."""
    trainer = model._require_compiled("fit")
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer; got {epochs!r}")
    fi.check_positive(batch_size, "batch_size", "fit", " or None (32)")
    fi.check_positive(validation_batch_size, "validation_batch_size", "fit", " or None")
    fi.check_positive(steps_per_epoch, "steps_per_epoch", "fit", " or None (one pass)")
    fi.check_positive(validation_steps, "validation_steps", "fit", " or None")
    fi.check_positive(validation_freq, "validation_freq", "fit",
                      " (validate after every n-th epoch)")
    if validation_split and validation_data is None:
        if da.is_batch_iterable(x):
            raise ValueError("fit: validation_split needs arrays; with a generator pass "
                             "validation_data")
        xs, ys, sws = fi.prepare(x, y, sample_weight, class_weight, model)
        (xs, ys, sws), (vx, vy, vs) = da.split_validation([xs, ys, sws], validation_split)
        if ys:
            da.warn_missing_classes(ys[0], vy[0])
        train = da.ArrayBatches(xs, ys, sws, batch_size or 32, shuffle, steps_per_epoch)
        val = da.ArrayBatches(vx, vy, vs, validation_batch_size or batch_size or 32, False)
    else:
        train = fi.batches(x, y, sample_weight, class_weight, batch_size, shuffle,
                           steps_per_epoch, model)
        val = None
        if validation_data is not None:
            val = fi.validation_batches(validation_data, validation_batch_size or batch_size,
                                        validation_steps, model)
    fi.ensure_built(model, train)
    train = hooks.training_batches(model, train)
    verbose = resolve_verbose(verbose)
    history = History()
    cbs = _callback_list(model, callbacks, verbose, history,
                         {"epochs": epochs, "steps": len(train) or None, "verbose": verbose})
    model.stop_training = False
    model._resume_epoch = None
    trainer.invalidate()
    custom = overrides(model, "train_step")
    step_fn = trainer.custom_train_step if custom else trainer.train_step
    reset = model.reset_metrics if custom else trainer.reset
    cbs.on_train_begin({})
    if model._resume_epoch is not None:  # BackupAndRestore found a backup
        initial_epoch = max(initial_epoch, model._resume_epoch)
    epoch_logs: dict = {}
    want_batch_logs = cbs.needs("on_train_batch_end")
    want_batch_begin = cbs.needs("on_train_batch_begin")
    for epoch in range(initial_epoch, epochs):
        model._epoch = epoch
        first, epoch_batches = da.first_batch(train)
        if epoch_batches is None:  # a one-shot generator ran out ("ran out of data" warned)
            if epoch == initial_epoch:
                raise ValueError("fit: x (a generator or Dataset) yielded no batches; at "
                                 "least one batch x, (x, y) or (x, y, sample_weight) is "
                                 "expected")
            break
        reset()
        trainer._custom_logs = None
        cbs.on_epoch_begin(epoch, {})
        for step, (xb, yb, sb) in enumerate(epoch_batches):
            if want_batch_begin:
                cbs.on_train_batch_begin(step, {})
            try:
                step_fn(xb, yb, sb)
            except NonFiniteLossError as err:
                model.history = history
                raise trainer.explain_nonfinite(
                    xb, f"epoch {epoch + 1} (of {epochs}), step {step + 1}", err
                ) from None
            if want_batch_logs:
                cbs.on_train_batch_end(step, trainer.logs())
            if model.stop_training:
                break
        epoch_logs = trainer.logs()
        if val is not None and (epoch + 1) % validation_freq == 0:
            val_logs = _run_evaluation(model, trainer, val, cbs, in_fit=True)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, epoch_logs)
        if model.stop_training or getattr(train, "exhausted", False):
            break
    cbs.on_train_end(epoch_logs)
    model.history = history
    return history


def _callback_list(model: Any, callbacks: Any, verbose: int, history: History,
                   params: dict) -> CallbackList:
    user = list(callbacks or [])
    default = [ProgbarLogger(verbose)] if verbose else []
    return CallbackList(hooks.fit_callbacks(model, default + user + [history]), model=model,
                        params=params)


def _run_evaluation(model: Any, trainer: Trainer, batches: Any, cbs: CallbackList,
                    in_fit: bool = False) -> dict:
    # fit has already read the training epoch's logs, so the accumulators can be reused.
    custom = overrides(model, "test_step")
    step_fn = trainer.custom_test_step if custom else trainer.test_step
    if custom:
        model.reset_metrics()
    trainer.reset()
    cbs.on_test_begin({})
    want_begin = cbs.needs("on_test_batch_begin")
    want_end = cbs.needs("on_test_batch_end")
    steps = 0
    for step, (xb, yb, sb) in enumerate(batches):
        if want_begin:
            cbs.on_test_batch_begin(step, {})
        step_fn(xb, yb, sb)
        steps += 1
        if want_end:
            cbs.on_test_batch_end(step, trainer.logs())
    if not steps:  # an exhausted validation generator: no numbers rather than zeros
        if not in_fit:
            raise ValueError("evaluate: x (a generator or Dataset) yielded no batches")
        return {}
    logs = trainer.logs()
    cbs.on_test_end(logs)
    return logs


def evaluate(model: Any, x: Any = None, y: Any = None, batch_size: int | None = None,
             verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
             callbacks: Any = None, return_dict: bool = False) -> Any:
    """See ``Model.evaluate``."""
    trainer = model._require_compiled("evaluate")
    trainer.invalidate()
    fi.check_positive(batch_size, "batch_size", "evaluate", " or None (32)")
    fi.check_positive(steps, "steps", "evaluate", " or None")
    batches = fi.batches(x, y, sample_weight, None, batch_size, False, steps, model,
                         "evaluate")
    fi.ensure_built(model, batches)
    verbose = resolve_verbose(verbose)
    cbs = CallbackList(list(callbacks or []), model=model, params={"steps": len(batches)})
    start = time.perf_counter()
    logs = _run_evaluation(model, trainer, batches, cbs)
    if verbose:
        n = len(batches) or 1
        backend.print_msg(closing_line(n, n, time.perf_counter() - start, logs))
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
