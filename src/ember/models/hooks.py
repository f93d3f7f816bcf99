"""Hooks a package above ``models`` installs into the one training loop.

``ember.distributed`` sets ``active`` (so ``models`` never imports upward): ``fit`` passes its
training batches and its callback list through it. With nothing installed both are returned
unchanged, at the cost of one attribute test per ``fit``.
"""

from __future__ import annotations

from typing import Any

active: Any = None  # an object with training_batches(model, batches) and callbacks(model, list)


def training_batches(model: Any, batches: Any) -> Any:
    """The batches ``fit`` trains on (a data-parallel run shards them per process)."""
    return batches if active is None else active.training_batches(model, batches)


def fit_callbacks(model: Any, callbacks: list) -> list:
    """The callbacks ``fit`` runs (a data-parallel run adds its own, mutes the others)."""
    return callbacks if active is None else active.callbacks(model, callbacks)
