"""``BackupAndRestore``: resume a killed training run where it left off."""

from __future__ import annotations

import os
from typing import Any

from ember import backend
from ember.callbacks.base import Callback
from ember.serialization import register

_FILE = "latest.ember"


@register()
class BackupAndRestore(Callback):
    """At the end of every epoch, write the weights, the optimizer state, the epoch and the
    random generator's state to ``backup_dir`` (atomically). When ``fit`` starts and a backup
    is there, it is loaded and training resumes at the next epoch — so a run killed at any
    point and started again ends with the same weights as an uninterrupted run.

    The backup is deleted when training completes (``delete_checkpoint=True``). A backup that
    fails any check (weights, optimizer slots, step count, epoch, random state) is refused with
    an error naming the file, before the model or its optimizer change.

    Example:
        >>> import ember as em
        >>> backup = em.callbacks.BackupAndRestore(backup_dir="/tmp/ember-backup")
    """

    def __init__(self, backup_dir: str, save_freq: Any = "epoch",
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is required")
        if save_freq != "epoch":
            raise ValueError("BackupAndRestore: only save_freq='epoch' is supported (a resumed "
                             "run repeats the interrupted epoch from its start)")
        self.backup_dir = os.fspath(backup_dir)
        self.delete_checkpoint = delete_checkpoint

    @property
    def path(self) -> str:
        return os.path.join(self.backup_dir, _FILE)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not os.path.exists(self.path):
            return
        from ember.saving import restore_into
        from ember.saving.config_checks import check_backup

        # check_backup runs before the weights change: a bad backup changes nothing at all
        config = restore_into(self.model, self.path, check_config=check_backup)
        state = config["backup"]
        if "rng" in state:
            backend.set_rng_state(state["rng"])
        self.model._resume_epoch = state["epoch"] + 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        from ember.saving import save_model

        os.makedirs(self.backup_dir, exist_ok=True)
        extra = {"backup": {"epoch": epoch, "rng": backend.get_rng_state()}}
        save_model(self.model, self.path, include_optimizer=True, extra=extra)

    def on_train_end(self, logs: dict | None = None) -> None:
        # reached only when fit finishes (a killed process never gets here)
        if self.delete_checkpoint and os.path.exists(self.path):
            os.remove(self.path)
