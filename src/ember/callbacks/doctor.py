"""``Doctor``: a callback that watches a run and says what goes wrong, in plain words with the
fix (vanishing/exploding gradients, dead ReLUs, saturated units, a learning rate too high or
too low, where a NaN started, over- and underfitting, a plateau).

It costs almost nothing per step: it reads each training step's loss (to catch the first
NaN/inf *before* the optimizer applies it, while the weights still show where it came from) and
keeps a probe batch (the first ``probe_size`` training rows, or the one given). The expensive
measurements — one forward and backward pass on the probe, per-layer — run once per epoch, and
the update-to-weight ratio is measured on each epoch's first step.

Example:
    >>> import numpy as np, ember as em
    >>> model = em.Sequential([em.layers.Dense(8, activation="relu"), em.layers.Dense(2)])
    >>> model.compile("adam", "sparse_categorical_crossentropy")
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> doctor = em.callbacks.Doctor(verbose=0)
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[doctor])
    >>> isinstance(doctor.findings, list)
    True
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ember.callbacks.base import Callback


class Doctor(Callback):
    """Watch a training run; ``doctor.findings`` (and ``em.explain.diagnose(model)``) lists what
    it found, and with ``verbose`` it prints them when training ends.

    ``probe``: an ``(x, y)`` batch to measure the layers on (default: the first ``probe_size``
    training rows); ``every``: probe every this many epochs; ``stop_on_nan``: stop training at
    the first non-finite loss (after saying where it came from).
    """

    def __init__(self, probe: tuple | None = None, probe_size: int = 256, every: int = 1,
                 verbose: int = 1, stop_on_nan: bool = True) -> None:
        super().__init__()
        if probe is not None and (not isinstance(probe, (tuple, list)) or len(probe) != 2):
            raise ValueError(f"Doctor: probe must be an (x, y) pair; got {type(probe).__name__}")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"Doctor: every must be a positive integer; got {every!r}")
        self.probe = None if probe is None else (np.asarray(probe[0]), np.asarray(probe[1]))
        self.probe_size = int(probe_size)
        self.every = every
        self.verbose = verbose
        self.stop_on_nan = stop_on_nan
        self.findings: list = []
        self.records: list[dict] = []  # per epoch: the layer statistics and step ratios
        self.seconds = 0.0  # time spent in the doctor's own work during the last fit
        self._reset()

    def _reset(self) -> None:
        self._rows: list = []
        self._targets: list = []
        self._epoch = 0
        self._step = 0
        self._before: dict | None = None
        self._snapshot_next = True
        self._ratios: dict = {}
        self._last_loss: float | None = None
        self._nan_seen = False
        self._curve: dict[str, list] = {}
        self._raw: list = []

    # ------------------------------------------------------------------ the step hook
    def _install(self) -> None:
        trainer = getattr(self.model, "_trainer", None)
        if trainer is None or not hasattr(trainer, "_forward_loss"):
            return
        trainer.__dict__.pop("_forward_loss", None)  # left over from an interrupted fit
        original = trainer._forward_loss
        doctor = self

        def forward_loss(xb: list, yb: list, *rest: Any, **kwargs: Any) -> tuple:
            training = kwargs.get("training", rest[1] if len(rest) > 1 else True)
            if not training:
                return original(xb, yb, *rest, **kwargs)
            start = time.perf_counter()
            doctor._before_step(xb, yb)
            mid = time.perf_counter()
            loss, outs = original(xb, yb, *rest, **kwargs)
            end = time.perf_counter()
            value = loss.item()
            if not math.isfinite(value) and not doctor._nan_seen:
                doctor._non_finite(xb)
            doctor._last_loss = value
            doctor._step += 1
            doctor.seconds += (mid - start) + (time.perf_counter() - end)
            return loss, outs

        trainer._forward_loss = forward_loss

    def _uninstall(self) -> None:
        trainer = getattr(self.model, "_trainer", None)
        if trainer is not None:
            trainer.__dict__.pop("_forward_loss", None)

    def _before_step(self, xb: list, yb: list) -> None:
        from ember.explain import probe

        if self._before is not None:  # the previous step was the epoch's first: measure it
            self._ratios = probe.update_ratios(self._before, self.model)
            self._before = None
        if self._snapshot_next:
            self._before = probe.weight_snapshot(self.model)
            self._snapshot_next = False
        have = sum(len(r) for r in self._rows)
        if self.probe is None and len(xb) == 1 and yb and have < self.probe_size:
            from ember import backend

            take = self.probe_size - have
            self._rows.append(backend.to_numpy(xb[0])[:take].copy())
            self._targets.append(backend.to_numpy(yb[0])[:take].copy())

    def _non_finite(self, xb: list) -> None:
        from ember.explain import doctor as rules
        from ember.explain import probe

        self._nan_seen = True
        info = probe.locate_non_finite(self.model, xb[0]) if len(xb) == 1 else None
        self.findings.append(rules.non_finite_finding(info, self._epoch, self._step,
                                                      self._last_loss))
        if self.stop_on_nan:
            self.model.stop_training = True

    # ------------------------------------------------------------------ callback hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        self.seconds = 0.0
        self._reset()
        self.findings = []
        self.records = []
        object.__setattr__(self.model, "doctor", self)
        self._install()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._step = 0
        self._snapshot_next = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        start = time.perf_counter()
        try:
            self._epoch_end(epoch, logs)
        finally:
            self.seconds += time.perf_counter() - start

    def _epoch_end(self, epoch: int, logs: dict | None) -> None:
        from ember.explain import doctor as rules
        from ember.explain import probe

        for k, v in (logs or {}).items():
            self._curve.setdefault(k, []).append(v)
        if self._before is not None:  # an epoch of a single step
            self._ratios = probe.update_ratios(self._before, self.model)
            self._before = None
        record: dict[str, Any] = {"epoch": epoch, "update_ratios": dict(self._ratios)}
        batch = self._probe_batch()
        has_gradient = False
        if batch is not None and not self._nan_seen and epoch % self.every == 0:
            stats, loss, bad = probe.run_probe(self.model, *batch)
            record["layers"], record["probe_loss"] = stats, loss
            has_gradient = any(s.grad_norm for s in stats if s.grad_norm is not None
                               and math.isfinite(s.grad_norm))
            if bad is None:
                self.findings.extend(rules.layer_findings(stats, epoch))
        self.findings.extend(rules.step_findings(self._ratios, epoch, has_gradient))
        self.records.append(record)
        self.findings = rules.merge(self.findings)

    def _probe_batch(self) -> tuple | None:
        if self.probe is not None:
            return self.probe
        if not self._rows:
            return None
        if len(self._rows) > 1:
            self._rows = [np.concatenate(self._rows)]
            self._targets = [np.concatenate(self._targets)]
        return self._rows[0], self._targets[0]

    def on_train_end(self, logs: dict | None = None) -> None:
        from ember.explain import doctor as rules
        from ember.explain.findings import curve_findings

        self._uninstall()
        found = list(self.findings) + curve_findings(self._curve)
        rising = rules.rising_loss_finding(self._curve.get("loss", []))
        if rising is not None:
            found.append(rising)
        self.findings = rules.merge(found)
        if self.verbose:
            print(self.summary())

    def layer_table(self, epoch: int = -1) -> str:
        """The per-layer measurements of one epoch (the last by default) as a text table:
        gradient norm, its ratio to the kernel's norm, the first step's update-to-weight
        ratio, dead ReLUs and saturated units."""
        if not self.records or "layers" not in self.records[epoch]:
            return "(no layer measurements: the run had no probe batch)"
        rec = self.records[epoch]
        head = (f"epoch {rec['epoch'] + 1}: {'layer':24s} {'activation':10s} {'|dL/dW|':>9s} "
                f"{'/|W|':>9s} {'step/|W|':>9s} {'dead':>6s} {'satur.':>6s}")
        rows = [head]

        def num(v: Any, fmt: str) -> str:
            return "-".rjust(int(fmt.split(".")[0])) if v is None else format(v, fmt)

        for s in rec["layers"]:
            rows.append(f"{'':9s}{s.name[:24]:24s} {s.activation or '-':10s} "
                        f"{num(s.grad_norm, '9.2e')} {num(s.grad_ratio, '9.2e')} "
                        f"{num(rec['update_ratios'].get(s.name), '9.2e')} "
                        f"{num(s.dead_fraction, '6.0%')} {num(s.saturated_fraction, '6.0%')}")
        return "\n".join(rows)

    def summary(self) -> str:
        """The findings as text (``"Doctor: no problems found"`` for a healthy run)."""
        if not self.findings:
            return "Doctor: no problems found"
        return "Doctor found:\n" + "\n".join(f"- {f}" for f in self.findings)
