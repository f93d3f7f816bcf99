"""``LearningRateScheduler``: set the learning rate at the start of each epoch."""

from __future__ import annotations

from collections.abc import Callable

from ember import backend
from ember.callbacks.base import Callback
from ember.serialization import register


@register()
class LearningRateScheduler(Callback):
    """``schedule(epoch, lr) -> new lr`` is called before each epoch (epochs count from 0).

    Example:
        >>> import ember as em
        >>> halve = em.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    """

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        lr = self.schedule(epoch, float(optimizer.learning_rate))
        if not isinstance(lr, (int, float)) or lr != lr or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule must return a non-negative "
                             f"float; got {lr!r} at epoch {epoch}")
        optimizer.learning_rate = float(lr)
        if self.verbose:
            backend.print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate "
                              f"to {lr:.4g}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
