"""The one training loop: ``fit``, ``evaluate`` and ``predict`` (Keras' trainer, on ember).

A step is forward -> loss (+ regularization penalties) -> backward -> optimizer update ->
metrics. Callbacks observe the loop through ``CallbackList`` hooks; none of them runs a loop of
its own. At batch 32 the Python around each step is a real share of the time, so the step
does nothing it does not need: logs are built only when a callback reads them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor
from ember.callbacks.base import CallbackList
from ember.callbacks.history import History
from ember.callbacks.progbar import ProgbarLogger, closing_line, resolve_verbose
from ember.devices import model_device, move_batch
from ember.models import data_adapter as da
from ember.models import hooks
from ember.models.compile_utils import LossContainer, MetricsContainer, per_output


def _as_list(out: Any) -> list:
    if isinstance(out, (list, tuple)):
        return list(out)
    if isinstance(out, dict):
        return list(out.values())
    return [out]


class Trainer:
    """Holds what ``compile`` resolved and runs the loops for one model."""

    def __init__(self, model: Any, optimizer: Any, loss: Any, metrics: Any,
                 loss_weights: Any) -> None:
        from ember import optimizers

        self.model = model
        names = model.output_names
        self.optimizer = optimizers.get(optimizer)
        losses = per_output(loss, names, "loss")
        weights = per_output(loss_weights, names, "loss_weights") if loss_weights \
            else [None] * len(names)
        self.loss = LossContainer(losses, weights, names)
        self.metrics = MetricsContainer(per_output(metrics or [], names, "metrics"), losses,
                                        names)
        self._loss_sum = 0.0
        self._loss_count = 0
        self._params: list | None = None
        self._penalties: tuple | None = None
        self._anchor: Any = None  # the model's first weight: its device is the model's
        # with several outputs, Keras also reports each output's loss ("<output>_loss")
        self._term_names = [f"{n}_loss" for n, f in zip(names, self.loss.fns) if f is not None] \
            if len(names) > 1 else []
        self._term_sums = [0.0] * len(self._term_names)

    # ------------------------------------------------------------------ one step
    def trainable_params(self) -> list:
        if self._params is None:
            self._params = [w for w in self.model.trainable_weights]
        return self._params

    def invalidate(self) -> None:
        """Forget the cached structure (parameters, regularized weights, layers), e.g. after
        freezing or unfreezing layers; fit calls this once at its start."""
        self._params = None
        self._penalties = None
        self._anchor = None

    def _to_model_device(self, xb: list, yb: list | None, sb: list | None) -> tuple:
        """The batch on the model's device (its first weight's): a model moved to a GPU gets
        its NumPy batches there, one copy each. On the CPU this costs one type test."""
        w = self._anchor
        if w is None:
            weights = self.model.weights
            if not weights:  # built by this first call, on the device `to` or a scope chose
                dev = model_device(self.model)
                if dev == "cpu":
                    return xb, yb, sb
                return move_batch(xb, dev), move_batch(yb, dev), move_batch(sb, dev)
            w = self._anchor = weights[0]
        if type(w.data) is np.ndarray:
            return xb, yb, sb
        dev = backend.device_of(w.data)
        return move_batch(xb, dev), move_batch(yb, dev), move_batch(sb, dev)

    def _extra_losses(self) -> list:
        """``model.losses``, from a per-fit cache of the layers and regularized weights (walking
        the layer tree on every step would cost more than a small step's arithmetic)."""
        if self._penalties is None:
            layers = self.model._walk()
            reg = [v for v in self.model.weights if v.regularizer is not None]
            self._penalties = (layers, reg)
        layers, reg = self._penalties
        out = [v.regularizer(v) for v in reg]
        for layer in layers:
            if layer._call_losses:
                out.extend(layer._call_losses)
        return out

    def _forward_loss(self, xb: list, yb: list, sb: list | None, training: bool) -> tuple:
        model = self.model
        out = model(xb[0] if len(xb) == 1 else xb, training=training)
        outs = _as_list(out)
        if yb is None or len(yb) != len(outs):
            got = 0 if yb is None else len(yb)
            raise ValueError(f"the model has {len(outs)} output(s) but {got} target array(s) "
                             "were given")
        loss = self.loss(yb, outs, sb)
        reg = self._extra_losses()
        if reg:
            for r in reg:
                loss = loss + r
        return loss, outs

    def train_step(self, xb: list, yb: list, sb: list | None) -> Any:
        xb, yb, sb = self._to_model_device(xb, yb, sb)
        loss, outs = self._forward_loss(xb, yb, sb, training=True)
        params = self.trainable_params()  # after the forward: a lazily built model has weights
        for p in params:
            p.grad = None
        loss.backward()
        self.optimizer.apply(params)
        self._track_loss(loss, len(xb[0]))
        self.metrics.update(yb, outs, sb)
        return loss

    def _track_loss(self, loss: Any, n: int) -> None:
        self._loss_sum += loss.item() * n
        self._loss_count += n
        if self._term_names:
            for i, term in enumerate(self.loss.last_terms):
                self._term_sums[i] += term.item() * n

    def test_step(self, xb: list, yb: list, sb: list | None) -> Any:
        xb, yb, sb = self._to_model_device(xb, yb, sb)
        with no_grad():
            loss, outs = self._forward_loss(xb, yb, sb, training=False)
        self._track_loss(loss, len(xb[0]))
        self.metrics.update(yb, outs, sb)
        return loss

    def logs(self) -> dict[str, float]:
        count = max(self._loss_count, 1)
        logs = {"loss": self._loss_sum / count}
        for name, total in zip(self._term_names, self._term_sums):
            logs[name] = total / count
        logs.update(self.metrics.results())
        return logs

    def reset(self) -> None:
        self._loss_sum = 0.0
        self._loss_count = 0
        self._term_sums = [0.0] * len(self._term_names)
        self.metrics.reset()


# ---------------------------------------------------------------------- data
def _by_name(value: Any, names: list[str] | None, what: str) -> Any:
    """A dict of arrays keyed by the model's input (or output) names, in the model's order."""
    if not isinstance(value, dict) or not names:
        return value
    missing = [n for n in names if n not in value]
    extra = [k for k in value if k not in names]
    if missing or extra:
        raise ValueError(f"{what}: the dict keys {list(value)} do not match the model's names "
                         f"{names}")
    return [value[n] for n in names]


def _prepare(x: Any, y: Any, sample_weight: Any, class_weight: Any, model: Any = None
             ) -> tuple:
    if model is not None:
        x = _by_name(x, getattr(model, "input_names", None), "x")
        if getattr(model, "_graph", None) is not None:
            y = _by_name(y, model.output_names, "y")
    xs = da.flatten_structure(x, "x")
    ys = da.flatten_structure(y, "y")
    sws = da.flatten_structure(sample_weight, "sample_weight")
    if xs is None:
        raise ValueError("fit/evaluate: x is required")
    da.check_counts(xs, ys, sws)
    if class_weight is not None:
        if ys is None or len(ys) != 1:
            raise ValueError("class_weight needs exactly one target array")
        cw = da.class_weight_to_sample_weight(ys[0], class_weight)
        sws = [cw if sws is None else sws[0] * cw]
    return xs, ys, sws


def _batches(x: Any, y: Any, sample_weight: Any, class_weight: Any, batch_size: int | None,
             shuffle: Any, steps: int | None, model: Any = None) -> Any:
    if da.is_batch_iterable(x):
        if y is not None:
            raise ValueError("when x is a generator or Dataset, it must yield the targets too; "
                             "do not pass y")
        return da.IterableBatches(x, steps)
    xs, ys, sws = _prepare(x, y, sample_weight, class_weight, model)
    return da.ArrayBatches(xs, ys, sws, batch_size or 32, shuffle)


# ---------------------------------------------------------------------- loops
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
    if validation_split and validation_data is None:
        if da.is_batch_iterable(x):
            raise ValueError("validation_split needs arrays; with a generator pass "
                             "validation_data")
        xs, ys, sws = _prepare(x, y, sample_weight, class_weight, model)
        (xs, ys, sws), (vx, vy, vs) = da.split_validation([xs, ys, sws], validation_split)
        if ys:
            da.warn_missing_classes(ys[0], vy[0])
        train = da.ArrayBatches(xs, ys, sws, batch_size or 32, shuffle)
        val = da.ArrayBatches(vx, vy, vs, validation_batch_size or batch_size or 32, False)
    else:
        train = _batches(x, y, sample_weight, class_weight, batch_size, shuffle,
                         steps_per_epoch, model)
        val = None
        if validation_data is not None:
            val = _validation_batches(validation_data, validation_batch_size or batch_size,
                                      validation_steps, model)
    if steps_per_epoch is not None and isinstance(train, da.IterableBatches):
        train.steps = steps_per_epoch
    _ensure_built(model, train)
    train = hooks.training_batches(model, train)
    verbose = resolve_verbose(verbose)
    history = History()
    cbs = _callback_list(model, callbacks, verbose, history,
                         {"epochs": epochs, "steps": len(train) or None, "verbose": verbose})
    model.stop_training = False
    model._resume_epoch = None
    trainer.invalidate()
    cbs.on_train_begin()
    if model._resume_epoch is not None:  # BackupAndRestore found a backup
        initial_epoch = max(initial_epoch, model._resume_epoch)
    epoch_logs: dict = {}
    want_batch_logs = cbs.needs("on_train_batch_end")
    want_batch_begin = cbs.needs("on_train_batch_begin")
    for epoch in range(initial_epoch, epochs):
        model._epoch = epoch
        trainer.reset()
        cbs.on_epoch_begin(epoch)
        for step, (xb, yb, sb) in enumerate(train):
            if want_batch_begin:
                cbs.on_train_batch_begin(step)
            trainer.train_step(xb, yb, sb)
            if want_batch_logs:
                cbs.on_train_batch_end(step, trainer.logs())
            if model.stop_training:
                break
        epoch_logs = trainer.logs()
        if val is not None and (epoch + 1) % validation_freq == 0:
            val_logs = _run_evaluation(model, trainer, val, None)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    cbs.on_train_end(epoch_logs)
    model.history = history
    return history


def _validation_batches(data: Any, batch_size: int | None, steps: int | None,
                        model: Any = None) -> Any:
    if da.is_batch_iterable(data):
        return da.IterableBatches(data, steps)
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, "
                         "sample_weight)")
    vx, vy = data[0], data[1]
    vs = data[2] if len(data) == 3 else None
    xs, ys, sws = _prepare(vx, vy, vs, None, model)
    return da.ArrayBatches(xs, ys, sws, batch_size or 32, False)


def _callback_list(model: Any, callbacks: Any, verbose: int, history: History,
                   params: dict) -> CallbackList:
    user = list(callbacks or [])
    default = [ProgbarLogger(verbose)] if verbose else []
    return CallbackList(hooks.fit_callbacks(model, default + user + [history]), model=model,
                        params=params)


def _ensure_built(model: Any, batches: Any) -> None:
    if model.built:
        return
    if isinstance(batches, da.ArrayBatches):
        shapes = [(None,) + a.shape[1:] for a in batches.xs]
        model.build(shapes[0] if len(shapes) == 1 else shapes)


def _run_evaluation(model: Any, trainer: Trainer, batches: Any, cbs: CallbackList | None
                    ) -> dict:
    # fit has already read the training epoch's logs, so the accumulators can be reused.
    trainer.reset()
    if cbs is not None:
        cbs.on_test_begin()
    for step, (xb, yb, sb) in enumerate(batches):
        if cbs is not None:
            cbs.on_test_batch_begin(step)
        trainer.test_step(xb, yb, sb)
        if cbs is not None:
            cbs.on_test_batch_end(step, None)
    logs = trainer.logs()
    if cbs is not None:
        cbs.on_test_end(logs)
    return logs


def evaluate(model: Any, x: Any = None, y: Any = None, batch_size: int | None = None,
             verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
             callbacks: Any = None, return_dict: bool = False) -> Any:
    """See ``Model.evaluate``."""
    trainer = model._require_compiled("evaluate")
    trainer.invalidate()
    batches = _batches(x, y, sample_weight, None, batch_size, False, steps, model)
    _ensure_built(model, batches)
    verbose = resolve_verbose(verbose)
    cbs = CallbackList(list(callbacks or []), model=model, params={"steps": len(batches)})
    start = time.perf_counter()
    logs = _run_evaluation(model, trainer, batches, cbs)
    if verbose:
        n = len(batches) or 1
        print(closing_line(n, n, time.perf_counter() - start, logs))
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _predict_inputs(batches: Any, device: str) -> Any:
    """What ``predict`` calls the model with, batch after batch: for one in-memory array,
    plain slices (views, no per-batch lists); the model's call wraps them."""
    if isinstance(batches, da.ArrayBatches) and len(batches.xs) == 1 and device == "cpu":
        x, bs = batches.xs[0], batches.batch_size
        return (x[i:i + bs] for i in range(0, batches.n, bs))
    moved = (b[0] if device == "cpu" else move_batch(b[0], device) for b in batches)
    return (xb[0] if len(xb) == 1 else xb for xb in moved)


def predict(model: Any, x: Any, batch_size: int | None = None, verbose: Any = "auto",
            steps: int | None = None, callbacks: Any = None) -> Any:
    """See ``Model.predict``."""
    if da.is_batch_iterable(x):
        batches = da.IterableBatches(x, steps)
    else:
        xs = da.flatten_structure(_by_name(x, getattr(model, "input_names", None), "x"), "x")
        batches = da.ArrayBatches(xs, None, None, batch_size or 32, False)
    _ensure_built(model, batches)
    verbose = resolve_verbose(verbose)
    start = time.perf_counter()
    device = model_device(model)  # once: predict runs no optimizer that could move it
    cbs = CallbackList(list(callbacks or []), model=model, params={"steps": len(batches)})
    cbs.on_predict_begin()
    hooks = cbs.needs("on_predict_batch_begin") or cbs.needs("on_predict_batch_end")
    on_cpu = device == "cpu"
    chunks: list = []
    with no_grad():
        for step, xb in enumerate(_predict_inputs(batches, device)):
            if hooks:
                cbs.on_predict_batch_begin(step)
            out = model(xb, training=False)
            if on_cpu and isinstance(out, Tensor):
                chunks.append((out.data,))
            else:
                chunks.append([backend.to_numpy(o.data if isinstance(o, Tensor) else o)
                               for o in _as_list(out)])
            if hooks:
                cbs.on_predict_batch_end(step, None)
    cbs.on_predict_end()
    if not chunks:
        raise ValueError("predict: got no data")
    if verbose:  # Keras' closing line, after the loop (no per-batch printing)
        print(closing_line(len(chunks), len(chunks), time.perf_counter() - start))
    outs = [np.concatenate([c[i] for c in chunks], axis=0) for i in range(len(chunks[0]))]
    return outs[0] if len(outs) == 1 else outs
