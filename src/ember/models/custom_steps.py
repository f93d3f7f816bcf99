"""What a ``Model`` subclass may override to customise ``fit`` (Keras 3's "customizing what
happens in fit"): ``train_step``, ``test_step``, ``predict_step``, ``compute_loss`` and
``compute_metrics``, with ``model.metrics`` and ``reset_metrics``.

The loop in ``fit_loop.py`` calls a model's own ``train_step(data)`` only when its class
overrides it; the default step stays the trainer's fused one (no per-step packing of
``data``). ``data`` is what Keras passes: ``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``.

Example:
    >>> import numpy as np, ember as em
    >>> class CustomModel(em.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.dense = em.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.dense(x)
    ...     def train_step(self, data):
    ...         x, y = data
    ...         with em.GradientTape() as tape:
    ...             y_pred = self(x, training=True)
    ...             loss = self.compute_loss(y=y, y_pred=y_pred)
    ...         grads = tape.gradient(loss, self.trainable_weights)
    ...         self.optimizer.apply(grads, self.trainable_weights)
    ...         for metric in self.metrics:
    ...             if metric.name == "loss":
    ...                 metric.update_state(loss)
    ...             else:
    ...                 metric.update_state(y, y_pred)
    ...         return {m.name: m.result() for m in self.metrics}
    >>> model = CustomModel()
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> h = model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, verbose=0)
    >>> sorted(h.history)
    ['loss']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor
from ember.metrics.base import Metric
from ember.models.compile_utils import as_list


def _step_arrays(value: Any) -> list:
    return value if isinstance(value, (list, tuple)) else [value]


def pythonify_logs(logs: Any) -> dict:
    """Keras' form of a step's logs for callbacks and History: nested dicts flattened,
    scalars as Python floats, keys sorted (what ``keras.src.utils.python_utils`` does)."""
    out: dict = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        if isinstance(value, Tensor):
            value = value.data
        try:
            value = float(value)
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def pack_data(xb: list, yb: list | None, sb: list | None, keys: list | None = None) -> Any:
    """A batch as Keras hands it to a step: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``
    (several inputs or targets as a list)."""
    x = _tensors(xb)
    if keys and len(keys) == len(xb):  # a subclassed model fed a dict gets the dict back
        x = dict(zip(keys, x if isinstance(x, list) else [x]))
    if yb is None:
        return x
    y = _tensors(yb)
    if sb is None or all(s is None for s in sb):
        return (x, y)
    return (x, y, _tensors(sb))


def _tensors(arrays: list) -> Any:
    """Keras hands a step backend tensors, not NumPy arrays (no copy: the tensor wraps them)."""
    out = [a if isinstance(a, Tensor) or a is None else as_tensor(a) for a in arrays]
    return out[0] if len(out) == 1 else out


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """``(x, y, sample_weight)`` from what a step receives (``keras.utils``' helper).

    Example:
        >>> unpack_x_y_sample_weight((1, 2))
        (1, 2, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"unpack_x_y_sample_weight: data must be x, (x,), (x, y) or "
                     f"(x, y, sample_weight); got a tuple of {len(data)}")


class LossTracker(Metric):
    """``model.metrics[0]`` of a compiled model (Keras' ``Mean(name="loss")``); it reads and
    writes the trainer's own running sums, so the default step pays nothing for it."""

    def __init__(self, trainer: Any) -> None:
        super().__init__(name="loss")
        self._trainer = trainer

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        # as Keras' Mean: each sample of a per-sample loss counts once, or by its weight
        arr = np.asarray(backend.to_numpy(values.data if isinstance(values, Tensor)
                                          else values), dtype=np.float64)
        n = arr.shape[0] if arr.ndim >= 1 else 1
        if sample_weight is not None:
            n = float(np.sum(backend.to_numpy(sample_weight.data if isinstance(
                sample_weight, Tensor) else sample_weight)))
        self._trainer._track_loss_only(float(arr.mean()) if arr.size else 0.0, n)

    def result(self) -> np.float64:
        t = self._trainer
        return np.float64(t._loss_sum / t._loss_count if t._loss_count else 0.0)

    def reset_state(self) -> None:
        self._trainer._loss_sum = 0.0
        self._trainer._loss_count = 0


class CompileMetrics(Metric):
    """The metrics given to ``compile`` as one metric (Keras' ``compile_metrics``): its
    ``result()`` is a dict by metric name."""

    def __init__(self, trainer: Any) -> None:
        super().__init__(name="compile_metrics")
        self._trainer = trainer

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        ys = [t.data if isinstance(t, Tensor) else t for t in _step_arrays(y_true)]
        sws = None if sample_weight is None else _step_arrays(sample_weight)
        self._trainer.metrics.update(ys, as_list(y_pred), sws)

    def result(self) -> dict:
        return self._trainer.metrics.results()

    def reset_state(self) -> None:
        self._trainer.metrics.reset()


class CompiledLoss:
    """tf.keras' ``model.compiled_loss(y, y_pred, sample_weight, regularization_losses)``:
    the compiled loss plus the given extra losses, counted in the ``loss`` tracker."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                 regularization_losses: Any = None) -> Tensor:
        trainer = self._model._require_compiled("compiled_loss")
        ys = [t.data if isinstance(t, Tensor) else t for t in _step_arrays(y_true)]
        sws = None if sample_weight is None else _step_arrays(sample_weight)
        total = trainer.loss(ys, as_list(y_pred), sws)
        for term in regularization_losses or []:
            total = total + term
        trainer._track_loss_only(float(total.item()), len(ys[0]))
        return total


class CustomSteps:
    """The overridable steps of ``Model`` (mixed into it; see the module docstring)."""

    @property
    def compiled_loss(self) -> CompiledLoss:
        """tf.keras' callable for the compiled loss (Keras 3: ``compute_loss``)."""
        return CompiledLoss(self)

    @property
    def compiled_metrics(self) -> Any:
        """tf.keras' container of the compiled metrics (``update_state(y, y_pred)``)."""
        return self._require_compiled("compiled_metrics").compile_metrics

    def train_step(self, data: Any) -> dict:
        """One training step on ``data``; returns the logs (the trainer's fused step)."""
        x, y, sw = unpack_x_y_sample_weight(data)
        trainer = self._require_compiled("train_step")
        trainer.train_step(_step_arrays(x), None if y is None else _step_arrays(y),
                           None if sw is None else _step_arrays(sw))
        return trainer.logs()

    def test_step(self, data: Any) -> dict:
        """One evaluation step on ``data``; returns the logs."""
        x, y, sw = unpack_x_y_sample_weight(data)
        trainer = self._require_compiled("test_step")
        trainer.test_step(_step_arrays(x), None if y is None else _step_arrays(y),
                          None if sw is None else _step_arrays(sw))
        return trainer.logs()

    def predict_step(self, data: Any) -> Any:
        """The outputs for one batch of ``data`` (x, or a tuple whose first item is x)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The compiled loss of ``y``/``y_pred`` plus ``self.losses`` (regularization and
        ``add_loss`` terms), as Keras 3's ``Model.compute_loss``."""
        trainer = self._require_compiled("compute_loss")
        losses = []
        if any(f is not None for f in trainer.loss.fns):
            ys = [t.data if isinstance(t, Tensor) else t for t in _step_arrays(y)]
            outs = as_list(y_pred)
            sws = None if sample_weight is None else _step_arrays(sample_weight)
            losses.append(trainer.loss(ys, outs, sws))
        losses.extend(self.losses)
        if not losses:
            raise ValueError(f"{type(self).__name__}.compute_loss: no loss to compute; pass "
                             "a loss to compile() or add one with self.add_loss()")
        total = losses[0]
        for term in losses[1:]:
            total = total + term
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics (not the loss tracker, as in Keras); returns
        ``get_metrics_result()``, a dict of Python floats."""
        trainer = self._require_compiled("compute_metrics")
        trainer.compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """Every metric's current result, flattened into one dict of Python floats."""
        out: dict = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return pythonify_logs(out)

    @property
    def metrics(self) -> list:
        """The loss tracker and compiled metrics (once compiled), then every ``Metric`` set as
        an attribute of the model or of its layers, as Keras tracks them."""
        out = []
        trainer = self._trainer
        if trainer is not None:
            if trainer.has_loss:
                out.append(trainer.loss_tracker)
            if trainer.metrics.any:
                out.append(trainer.compile_metrics)
        seen = set()
        for layer in self._walk():
            for value in vars(layer).values():
                items = value if isinstance(value, (list, tuple)) else (value,)
                for m in items:
                    if isinstance(m, Metric) and id(m) not in seen:
                        seen.add(id(m))
                        out.append(m)
        return out

    def reset_metrics(self) -> None:
        """Reset every metric of ``model.metrics`` (fit does it at each epoch's start)."""
        for m in self.metrics:
            m.reset_state()
