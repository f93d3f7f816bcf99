"""``History``: records each epoch's logs; ``fit`` returns it."""

from __future__ import annotations

from ember.callbacks.base import Callback
from ember.serialization import register


@register()
class History(Callback):
    """``history.history`` maps each metric name ('loss', 'accuracy', 'val_loss', ...) to its list
    of per-epoch values; ``history.epoch`` lists the epoch indices.

    Example:
        >>> import ember as em
        >>> h = em.callbacks.History()
        >>> h.on_train_begin(); h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history
        {'loss': [0.5]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self

    def plot(self, metrics: list[str] | None = None, to_file: str | None = None) -> object:
        """The learning curves as a matplotlib Figure (``ember.utils.plot_history``)."""
        from ember.callbacks.history_plot import plot_history

        return plot_history(self, metrics=metrics, to_file=to_file)
