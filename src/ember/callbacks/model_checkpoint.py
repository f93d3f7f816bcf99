"""``ModelCheckpoint``: save the model (or its weights) during training, atomically."""

from __future__ import annotations

import os
from typing import Any

from ember import backend
from ember.callbacks.base import Callback
from ember.callbacks.monitor import is_improvement, read_monitor, resolve_mode
from ember.serialization import register


@register()
class ModelCheckpoint(Callback):
    """Save after every epoch (or every ``save_freq`` batches), or only when ``monitor``
    improves with ``save_best_only=True``.

    ``filepath`` may hold format fields filled from the epoch and the logs, e.g.
    ``"ckpt/model-{epoch:02d}-{val_loss:.3f}.ember"`` (epochs count from 1 in names, as Keras).
    A ``.ember`` path saves the whole model (``.keras``: in Keras 3's format; ``.h5``: in
    Keras' legacy format);
    ``save_weights_only=True`` needs a ``.weights.safetensors`` (or ``.weights.h5``) path.
    Every file is written to a temporary file and renamed, so a crash never leaves a
    half-written checkpoint.

    Example:
        >>> import ember as em
        >>> cb = em.callbacks.ModelCheckpoint("best.ember", monitor="val_loss",
        ...                                   save_best_only=True)
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        # Keras' own suffixes write Keras' formats (model.save / save_weights choose by name)
        suffixes = (".weights.safetensors", ".weights.h5") if save_weights_only \
            else (".ember", ".keras", ".h5")
        if not self.filepath.endswith(suffixes):
            raise ValueError(f"ModelCheckpoint: with save_weights_only={save_weights_only} the "
                             f"file path must end in {' or '.join(map(repr, suffixes))}; got "
                             f"{self.filepath!r}")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive number "
                             f"of batches; got {save_freq!r}")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = resolve_mode(monitor, mode, "ModelCheckpoint")
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self.model._epoch, logs, batch=batch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, logs)

    def _save(self, epoch: int, logs: dict | None, batch: int | None = None) -> None:
        logs = dict(logs or {})
        if self.save_best_only:
            current = read_monitor(logs, self.monitor, "ModelCheckpoint")
            if current is None or not is_improvement(current, self.best, self.mode, 0.0):
                return
            if self.verbose:
                backend.print_msg(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                      f"{current:.5f}, saving model to {self.filepath}")
            self.best = current
        try:
            path = self.filepath.format(epoch=epoch + 1, batch=batch, **logs)
        except KeyError as exc:
            raise KeyError(f"ModelCheckpoint: the file path {self.filepath!r} names {exc}, "
                           f"which is not in the logs ({sorted(logs)})") from None
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
