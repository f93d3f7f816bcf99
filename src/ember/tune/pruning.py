"""``PruningCallback``: report a metric to an Optuna trial after each epoch; stop the trial
when the pruner says it is doing worse than the others did at the same epoch."""

from __future__ import annotations

from typing import Any

from ember.callbacks.base import Callback
from ember.model_selection._deps import require


class PruningCallback(Callback):
    """Reports ``logs[monitor]`` to ``trial`` at the end of every epoch and raises
    ``optuna.TrialPruned`` when ``trial.should_prune()``.

    ``em.tune.search`` adds it for you; add it yourself when you run Optuna directly:

    Example::

        def objective(trial):
            model = build(trial)
            model.fit(x, y, validation_split=0.2, epochs=20,
                      callbacks=[em.tune.PruningCallback(trial, monitor="val_loss")])
            return model.evaluate(x_val, y_val, verbose=0)[0]
    """

    def __init__(self, trial: Any, monitor: str = "val_loss") -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
                return  # no validation this epoch (validation_freq > 1)
            raise ValueError(f"PruningCallback: monitor {self.monitor!r} is not among the "
                             f"values the model reports ({sorted(logs)}); compile with the "
                             "metric (e.g. metrics=['accuracy'] for 'val_accuracy') or "
                             "choose one of those")
        value = float(logs[self.monitor])
        self.trial.report(value, step=epoch)
        if self.trial.should_prune():
            optuna = require("optuna", "PruningCallback")
            raise optuna.TrialPruned(f"trial {self.trial.number} pruned at epoch {epoch}: "
                                     f"{self.monitor}={value:.6g}")
