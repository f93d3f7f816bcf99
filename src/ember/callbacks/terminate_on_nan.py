"""``TerminateOnNaN``: stop as soon as the loss becomes NaN or infinite."""

from __future__ import annotations

import math

from ember import backend
from ember.callbacks.base import Callback
from ember.serialization import register


@register()
class TerminateOnNaN(Callback):
    """Stops training at the first batch whose running loss is NaN or infinite.

    ember already stops at a non-finite loss by default, before that step's update (see
    ``Model.compile``'s ``stop_on_nan``); this callback is Keras' way, for models compiled
    with ``stop_on_nan=False``: the bad step's update is applied, then training stops.

    Example:
        >>> import ember as em
        >>> cb = em.callbacks.TerminateOnNaN()
    """

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            backend.print_msg(f"Batch {batch}: invalid loss, terminating training")
            self.model.stop_training = True
