"""What ``compile`` resolves: losses and metrics per output, loss weights, and 'accuracy'.

One model output -> one loss; several outputs take a list (in output order) or a dict keyed by
output name, for losses, loss_weights and metrics alike, as in Keras.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor
from ember.models.logits_plan import metric_from_logits, probabilities


def as_list(out: Any) -> list:
    """A model's output(s) as a list (a dict gives its values, in order)."""
    if isinstance(out, (list, tuple)):
        return list(out)
    if isinstance(out, dict):
        return list(out.values())
    return [out]


def per_output(value: Any, names: Sequence[str], what: str, allow_single: bool = True) -> list:
    """Spread a compile argument over the outputs: one value for all, a list, or a dict."""
    n = len(names)
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"compile: {what} names unknown output(s) {sorted(unknown)}; the "
                             f"outputs are {list(names)}")
        return [value.get(k) for k in names]
    if isinstance(value, (list, tuple)) and n > 1 and len(value) == n and what != "metrics":
        return list(value)
    if isinstance(value, (list, tuple)) and what == "metrics" and n > 1 and len(value) == n \
            and all(isinstance(v, (list, tuple)) or v is None for v in value):
        return list(value)
    if allow_single:
        return [value] * n
    raise ValueError(f"compile: {what} must be one value, a list of {n} or a dict by output name")


class LossContainer:
    """Sum of the per-output losses times their weights; remembers each term for the logs."""

    def __init__(self, losses: list, weights: list[float], names: Sequence[str]) -> None:
        from ember import losses as losses_mod

        self.names = list(names)
        self.fns = [None if loss is None else losses_mod.get(loss) for loss in losses]
        self.weights = [1.0 if w is None else float(w) for w in weights]
        self.last_terms: list[float] = []

    def __call__(self, ys: list, outs: list[Tensor], sws: list | None,
                 fns: list | None = None) -> Tensor:
        """The weighted sum; ``fns`` replaces the losses (the trainer's from-logits ones)."""
        total = None
        terms = []
        for i, fn in enumerate(self.fns if fns is None else fns):
            if fn is None:
                continue
            sw = None if sws is None else sws[i if len(sws) > 1 else 0]
            term = fn(ys[i], outs[i], sample_weight=sw)
            terms.append(term)  # reported unweighted, as each output's own loss
            if self.weights[i] != 1.0:
                term = term * self.weights[i]
            total = term if total is None else total + term
        self.last_terms = terms
        return total


class MetricsContainer:
    """The compiled metrics of every output, resolved on the first batch (shapes are needed to
    pick between binary, categorical and sparse accuracy, as Keras does).

    As in Keras, ``metrics`` ignore sample and class weights; ``weighted_metrics`` use them
    (named ``weighted_<name>`` when the same name is also an unweighted metric)."""

    def __init__(self, metrics: list, losses: list, names: Sequence[str],
                 weighted_metrics: list | None = None) -> None:
        def as_rows(specs: list) -> list:
            return [[] if m is None else (list(m) if isinstance(m, (list, tuple)) else [m])
                    for m in specs]

        plain = as_rows(metrics)
        weighted = as_rows(weighted_metrics) if weighted_metrics else [[] for _ in plain]
        self.specs = [a + b for a, b in zip(plain, weighted)]
        self.weighted_flags = [[False] * len(a) + [True] * len(b)
                               for a, b in zip(plain, weighted)]
        self.losses = losses
        self.names = list(names)
        self.metrics: list[list] | None = None
        self.any = any(self.specs)
        # per output, None or the FusedOutput whose outs[i] holds logits (set by the trainer)
        self.plan: list = []

    def _build(self, ys: list, outs: list) -> None:
        from ember import metrics as metrics_mod

        built = []
        self.logits_flags = []  # per metric: True where it scores the output's logits
        multi = len(self.names) > 1
        for i, specs in enumerate(self.specs):
            row, flags = [], []
            for spec, weighted in zip(specs, self.weighted_flags[i]):
                m = resolve_metric(spec, ys[i], outs[i], self.losses[i], metrics_mod)
                twin = None
                if self._fused(i) is not None:  # a cross-entropy scores logits, as the loss
                    twin = metric_from_logits(m, self._fused(i).kind)
                m = m if twin is None else twin
                if weighted and any(other.name == m.name for other in row):
                    m.name = f"weighted_{m.name}"
                if multi:
                    m.name = f"{self.names[i]}_{m.name}"
                row.append(m)
                flags.append(twin is not None)
            built.append(row)
            self.logits_flags.append(flags)
        self.metrics = built
        self.tensor_flags = [[wants_tensor(m) for m in row] for row in built]

    def _fused(self, i: int) -> Any:
        return self.plan[i] if i < len(self.plan) else None

    def update(self, ys: list, outs: list, sws: list | None, probs: list | None = None) -> None:
        """``outs[i]`` holds logits where the trainer fused output i's loss: the metrics that
        score logits get them, the others the probabilities (computed only then, unless
        ``probs`` gives them: the captured step has them already)."""
        if not self.any:
            return
        if self.metrics is None:
            self._build(ys, outs)
        for i, row in enumerate(self.metrics):
            if not row:
                continue
            fused = self._fused(i)
            out = outs[i]
            prob = out if fused is None else None if probs is None else probs[i]
            sw = None if sws is None else sws[i if len(sws) > 1 else 0]
            for m, tensor, from_logits, weighted in zip(
                    row, self.tensor_flags[i], self.logits_flags[i], self.weighted_flags[i]):
                if from_logits:
                    pred = out
                else:
                    if prob is None:
                        prob = probabilities(fused.kind, out)
                    pred = prob
                m.update_state(ys[i], pred if tensor or not isinstance(pred, Tensor)
                               else pred.data, sample_weight=sw if weighted else None)

    def results(self) -> dict[str, float]:
        if self.metrics is None:
            return {}
        out = {}
        for row in self.metrics:
            for m in row:
                r = np.asarray(m.result())
                # per-class metrics (F1Score(average=None), ...) report a list, as Keras' arrays
                out[m.name] = float(r) if r.size == 1 else r.tolist()
        return out

    def reset(self) -> None:
        for row in self.metrics or []:
            for m in row:
                m.reset_state()

    def all(self) -> list:
        return [m for row in self.metrics or [] for m in row]


def wants_tensor(metric: Any) -> bool:
    """True for metrics that are given the output Tensor rather than its array: the
    cross-entropy metrics and ember's losses used as metrics, which score a softmax or
    sigmoid output from its logits, as the loss does (an array has lost them)."""
    if getattr(metric, "takes_tensor", False):
        return True
    from ember.losses.base import Loss
    from ember.metrics.base import MeanMetricWrapper, _FixedFn

    if not isinstance(metric, MeanMetricWrapper) or isinstance(metric, _FixedFn):
        return False  # built-in metrics are array code
    fn = metric._fn
    return isinstance(fn, Loss) or getattr(fn, "__module__", "").startswith("ember.losses")


def resolve_metric(spec: Any, y_true: Any, y_pred: Any, loss: Any, metrics_mod: Any) -> Any:
    """A metric object from a name, function or object; 'accuracy' chosen from the shapes."""
    if isinstance(spec, str) and spec in ("accuracy", "acc"):
        yt_shape = tuple((y_true.data if isinstance(y_true, Tensor) else y_true).shape)
        yp_shape = tuple(y_pred.shape)  # only the shapes matter (and they cost no GPU sync)
        t_last = yt_shape[-1] if yt_shape else 1
        p_last = yp_shape[-1] if yp_shape else 1
        if p_last == 1:
            cls = metrics_mod.BinaryAccuracy
        elif len(yt_shape) < len(yp_shape) or (t_last == 1 and p_last > 1):
            cls = metrics_mod.SparseCategoricalAccuracy
        else:
            cls = metrics_mod.CategoricalAccuracy
        return cls(name=spec)
    return metrics_mod.get(spec)
