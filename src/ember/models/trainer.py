"""The trainer: one training or evaluation step of a compiled model (Keras' trainer, on
ember); the loops around it are ``fit_loop.py`` (``fit``, ``evaluate``) and
``predict_loop.py``.

A step is forward -> loss (+ regularization penalties) -> backward -> optimizer update ->
metrics. Callbacks observe the loop through ``CallbackList`` hooks; none of them runs a loop of
its own. At batch 32 the Python around each step is a real share of the time, so the step
does nothing it does not need: logs are built only when a callback reads them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ember import backend, blas, heap
from ember.autograd.mode import no_grad
from ember.devices import model_device, move_batch
from ember.layers import output_logits
from ember.models import fit_inputs as fi
from ember.models.chain_step import ChainStep
from ember.models.compile_utils import LossContainer, MetricsContainer, as_list, per_output
from ember.models.custom_steps import CompileMetrics, LossTracker, pack_data, pythonify_logs
from ember.models.logits_plan import logits_plan
from ember.models.nonfinite_loss import (
    HUGE_LOSS,
    NonFiniteLossError,
    StateBackup,
    describe,
    nonfinite_gradients,
)


class Trainer:
    """Holds what ``compile`` resolved and runs the loops for one model."""

    def __init__(self, model: Any, optimizer: Any, loss: Any, metrics: Any,
                 loss_weights: Any, stop_on_nan: bool = True,
                 weighted_metrics: Any = None) -> None:
        from ember import optimizers

        if not isinstance(stop_on_nan, bool):
            raise TypeError(f"compile: stop_on_nan must be True or False; got {stop_on_nan!r}")
        self.model = model
        self.stop_on_nan = stop_on_nan
        self._backup: StateBackup | None = None
        names = model.output_names
        self.optimizer = optimizers.get(optimizer)
        losses = per_output(loss, names, "loss")
        weights = per_output(loss_weights, names, "loss_weights") if loss_weights \
            else [None] * len(names)
        self.loss = LossContainer(losses, weights, names)
        # compile() without a loss is fine for a model whose train_step (or add_loss) makes one
        self.has_loss = any(f is not None for f in self.loss.fns)
        self.metrics = MetricsContainer(
            per_output(metrics or [], names, "metrics"), losses, names,
            per_output(weighted_metrics, names, "weighted_metrics") if weighted_metrics else None)
        self._loss_sum = 0.0
        self._loss_count = 0
        self._params: list | None = None
        self._penalties: tuple | None = None
        self._anchor: Any = None  # the model's first weight: its device is the model's
        self._weight_bytes: int | None = None  # trainable weights' bytes (the BLAS rule)
        self._plan: list | None = None  # outputs whose loss is computed from logits
        self._held: list = []
        self._fused_fns: list = []
        self._chain: ChainStep | None = None  # a Dense stack's captured step (per fit)
        # with several outputs, Keras also reports each output's loss ("<output>_loss")
        self._term_names = [f"{n}_loss" for n, f in zip(names, self.loss.fns) if f is not None] \
            if len(names) > 1 else []
        self._term_sums = [0.0] * len(self._term_names)
        self.loss_tracker = LossTracker(self)  # model.metrics' views of the sums above
        self.compile_metrics = CompileMetrics(self)
        self._custom_logs: dict | None = None  # the last logs of a model's own step
        self._custom_loss = False

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
        self._backup = None
        self._weight_bytes = None
        self._chain = None
        self._custom_loss = overrides(self.model, "compute_loss")
        heap.tune_for_loop()  # where training starts (see ember.heap; switchable)

    def _one_blas_thread(self, xb: list) -> bool:
        """Whether this step runs on one BLAS thread (see ember.blas): a small batch, small
        trainable weights, and no recurrent layer (which reuses its weights every timestep)."""
        nbytes = self._weight_bytes
        if nbytes is None:
            if not self.model.built:
                return False
            recurrent = any(getattr(layer, "_recurrent", False) for layer in self.model._walk())
            nbytes = self._weight_bytes = 0 if recurrent else sum(
                w.data.nbytes for w in self.trainable_params() if type(w.data) is np.ndarray)
        return bool(nbytes) and blas.one_thread_pays(len(xb[0]), nbytes)

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

    def _fused_outputs(self) -> list:
        """The outputs whose loss is computed from their logits (resolved once per compiled
        model; see ember.models.logits_plan); one entry per output, None where not."""
        if self._plan is None:
            self._plan = logits_plan(self.model, self.loss.fns) if self.has_loss else []
            self._held = [p.layer for p in self._plan if p is not None]
            self.metrics.plan = self._plan  # they score those outputs' logits or probabilities
            self._fused_fns = [f if p is None else p.loss
                               for f, p in zip(self.loss.fns, self._plan)]
        return self._plan

    def _forward_loss(self, xb: list, yb: list, sb: list | None, training: bool) -> tuple:
        model = self.model
        x = fi.model_inputs(model, xb)  # a dict again for a subclassed model fed one
        if self._custom_loss:  # the model's own compute_loss (it adds self.losses itself)
            out = model(x, training=training)
            return model.compute_loss(x, _one(yb), out, _one(sb), training), as_list(out)
        self._fused_outputs()
        if self._held:  # those output layers return their logits for this forward pass
            with output_logits.taken_from(self._held):
                out = model(x, training=training)
        else:
            out = model(x, training=training)
        outs = as_list(out)
        if self.has_loss and (yb is None or len(yb) != len(outs)):
            got = 0 if yb is None else len(yb)
            raise ValueError(f"the model has {len(outs)} output(s) but {got} target array(s) "
                             "were given")
        loss = self.loss(yb, outs, sb, self._fused_fns if self._held else None) \
            if self.has_loss else None
        reg = self._extra_losses()
        if reg:
            for r in reg:
                loss = r if loss is None else loss + r
        if loss is None:
            raise ValueError(f"{type(model).__name__}: no loss to compute; pass a loss to "
                             "compile(), add one with self.add_loss(), or override train_step")
        return loss, outs

    def train_step(self, xb: list, yb: list, sb: list | None) -> Any:
        """Forward, loss, backward, update. A non-finite loss (with ``stop_on_nan``) raises
        ``NonFiniteLossError`` before the backward pass: no update, state put back."""
        xb, yb, sb = self._to_model_device(xb, yb, sb)
        with blas.one_thread(self._one_blas_thread(xb)):  # the BLAS thread policy, per step
            if not self.stop_on_nan:
                return self._train_step(xb, yb, sb)
            # the guard turns an overflow into NonFiniteLossError, which names the first
            # non-finite layer; NumPy's "overflow encountered" warnings before it say less
            with np.errstate(over="ignore", invalid="ignore"):
                return self._train_step(xb, yb, sb)

    def _train_step(self, xb: list, yb: list, sb: list | None) -> Any:
        guard = self.stop_on_nan
        if guard:
            backup = self._backup
            if backup is None and self.model.built:
                backup = self._backup = StateBackup(self.model)
            if backup is not None and backup.pairs:
                backup.save()
        chain = self._chain
        if chain is None and self.model.built:
            chain = self._chain = ChainStep(self)
        # a callback that wraps this trainer's _forward_loss (the Doctor) sees every step
        captured = None if chain is None or "_forward_loss" in self.__dict__ \
            else chain.forward(xb, yb, sb)
        probs = None
        if captured is None:
            loss, outs = self._forward_loss(xb, yb, sb, training=True)
            value = loss.item()  # read for the logs anyway: the check costs one float test
        else:  # the same arithmetic on arrays (ember.kernels.dense_chain)
            value, outs, probs = captured
            loss = None
        if guard and not math.isfinite(value):
            if self._backup is not None:
                self._backup.restore()
            raise NonFiniteLossError(f"the training loss became {value}", value=value)
        params = self.trainable_params()  # after the forward: a lazily built model has weights
        if not params:  # every layer frozen: evaluate and log, as Keras does, but say so once
            self._warn_nothing_to_train()
            self._track_loss(value, len(xb[0]))
            self.metrics.update(yb, outs, sb)
            return loss
        for p in params:
            p.grad = None
        # a LossScaleOptimizer trains on loss * scale (it divides the gradients back)
        scale_loss = getattr(self.optimizer, "scale_loss", None)
        if captured is not None:
            chain.backward(params)
        else:
            (loss if scale_loss is None else scale_loss(loss)).backward()
        if guard and abs(value) > HUGE_LOSS and nonfinite_gradients(params):
            # diverging: a finite but huge loss whose gradient overflowed would turn the
            # weights into NaN; only such steps pay for looking at the gradients
            if self._backup is not None:
                self._backup.restore()
            raise NonFiniteLossError(f"the gradient became non-finite (loss {value})",
                                     value=value, gradient=True)
        self.optimizer.apply(params)
        self._track_loss(value, len(xb[0]))
        self.metrics.update(yb, outs, sb, probs)
        return loss

    def _warn_nothing_to_train(self) -> None:
        if not getattr(self, "_warned_frozen", False):
            self._warned_frozen = True
            warnings.warn(f"{type(self.model).__name__} '{self.model.name}' has no trainable "
                          "weights (every layer is frozen): fit computes the loss and metrics "
                          "but changes nothing; set layer.trainable = True on the layers to "
                          "train", UserWarning, stacklevel=4)

    def explain_nonfinite(self, xb: list, where: str, err: NonFiniteLossError,
                          who: str = "fit") -> NonFiniteLossError:
        """The full error for a non-finite loss (or gradient): finds the first non-finite
        layer by running the batch forward again, then puts the non-trainable state back."""
        xb, _, _ = self._to_model_device(xb, None, None)
        message, layer = describe(self.model, xb[0] if len(xb) == 1 else xb, err.value, where,
                                  who, self.trainable_params(), err.gradient)
        if self._backup is not None:
            self._backup.restore()
        return NonFiniteLossError(message, layer=layer, value=err.value, gradient=err.gradient)

    def custom_train_step(self, xb: list, yb: list | None, sb: list | None) -> None:
        """The model's own ``train_step(data)``; its returned dict becomes the logs."""
        xb, yb, sb = self._to_model_device(xb, yb, sb)
        with blas.one_thread(self._one_blas_thread(xb)):
            self._custom_logs = self.model.train_step(
                pack_data(xb, yb, sb, getattr(self.model, "_x_keys", None)))

    def custom_test_step(self, xb: list, yb: list | None, sb: list | None) -> None:
        xb, yb, sb = self._to_model_device(xb, yb, sb)
        with no_grad():
            self._custom_logs = self.model.test_step(
                pack_data(xb, yb, sb, getattr(self.model, "_x_keys", None)))

    def _track_loss_only(self, value: float, n: float) -> None:
        self._loss_sum += value * n
        self._loss_count += n

    def _track_loss(self, value: float, n: int) -> None:
        self._loss_sum += value * n
        self._loss_count += n
        if self._term_names:
            for i, term in enumerate(self.loss.last_terms):
                self._term_sums[i] += term.item() * n

    def test_step(self, xb: list, yb: list, sb: list | None) -> Any:
        xb, yb, sb = self._to_model_device(xb, yb, sb)
        with no_grad():
            loss, outs = self._forward_loss(xb, yb, sb, training=False)
        self._track_loss(loss.item(), len(xb[0]))
        self.metrics.update(yb, outs, sb)
        return loss

    def logs(self) -> dict[str, float]:
        if self._custom_logs is not None:
            return pythonify_logs(self._custom_logs)
        count = max(self._loss_count, 1)
        logs = {"loss": self._loss_sum / count}
        for name, total in zip(self._term_names, self._term_sums):
            logs[name] = total / count
        logs.update(self.metrics.results())
        for m in self.model.added_metrics():  # tf.keras' layer.add_metric
            logs[m.name] = float(np.asarray(m.result()))
        return logs

    def reset(self) -> None:
        self._custom_logs = None
        self._loss_sum = 0.0
        self._loss_count = 0
        self._term_sums = [0.0] * len(self._term_names)
        self.metrics.reset()
        for m in self.model.added_metrics():
            m.reset_state()


def overrides(model: Any, method: str) -> bool:
    """Whether the model's class defines its own ``method`` (train_step, compute_loss, ...)."""
    from ember.models.model import Model

    return getattr(type(model), method) is not getattr(Model, method)


def _one(items: list | None) -> Any:
    if items is None:
        return None
    return items[0] if len(items) == 1 else list(items)
