"""``LambdaCallback``: a callback from plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.callbacks.base import Callback


class LambdaCallback(Callback):
    """Pass any hook as a function, e.g. ``on_epoch_end=lambda epoch, logs: print(epoch)``.

    Example:
        >>> import ember as em
        >>> seen = []
        >>> cb = em.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
        >>> cb.on_epoch_end(0, {}); seen
        [0]
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_train_batch_begin", "on_train_batch_end")

    def __init__(self, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None,
                 on_train_batch_end: Callable | None = None, **kwargs: Any) -> None:
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in given.items():
            if fn is None:
                continue
            if not name.startswith("on_"):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)  # an instance attribute shadows the do-nothing hook
