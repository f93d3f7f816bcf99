"""What ``fit`` does differently when its optimizer is a ``DistributedOptimizer``.

Installed into ``ember.models.hooks`` by ``DistributedOptimizer``; a ``fit`` whose optimizer
is a plain one, or a job of one process, runs exactly as before.

- Data: each epoch, rank 0 draws a seed from its random generator and broadcasts it; every
  rank permutes the samples with it (the same permutation everywhere), cuts the permutation
  into global batches of ``size() * batch_size`` and trains on its own slice of each. A
  single process with batch ``size() * batch_size`` sees the same samples per step.
- Start: after the other callbacks' ``on_train_begin`` (``BackupAndRestore`` restores
  there), rank 0's weights, optimizer state, random state and resume epoch are broadcast.
- Logs: each epoch's logs are averaged over the ranks before any callback reads them, so
  ``EarlyStopping`` and ``ReduceLROnPlateau`` decide the same on every rank.
- Only rank 0 prints the progress bar and writes checkpoints, CSV logs and backups.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ember import backend
from ember.callbacks.backup_and_restore import BackupAndRestore
from ember.callbacks.base import Callback
from ember.callbacks.csv_logger import CSVLogger
from ember.callbacks.model_checkpoint import ModelCheckpoint
from ember.callbacks.progbar import ProgbarLogger
from ember.distributed import comm
from ember.distributed.optimizer import broadcast_parameter, is_distributed, step_info
from ember.models import data_adapter as da
from ember.models import hooks

_MAIN_ONLY = (ProgbarLogger, ModelCheckpoint, CSVLogger)


class ShardedBatches:
    """This rank's part of every global batch of ``size() * batch_size`` samples."""

    def __init__(self, batches: da.ArrayBatches, model: Any) -> None:
        self.inner, self.model = batches, model
        self.rank, self.size = comm.rank(), comm.size()
        self.batch_size = batches.batch_size
        per_step = self.batch_size * self.size
        # a last global batch smaller than the number of ranks would leave a rank empty
        rest = batches.n % per_step
        self.n = batches.n - rest if 0 < rest < self.size else batches.n
        if self.n == 0:
            raise ValueError(f"fit: {batches.n} samples cannot be shared by {self.size} "
                             "processes; give at least one sample per process")
        self.global_batch = per_step

    def __len__(self) -> int:
        return math.ceil(self.n / self.global_batch)

    def _order(self) -> np.ndarray:
        shuffle = self.inner.shuffle
        if not shuffle:
            return np.arange(self.n)
        seed = int(backend.rng().integers(2 ** 62)) if self.rank == 0 else 0
        seed = comm.broadcast(seed, root=0)
        gen = np.random.default_rng(seed)
        if shuffle == "batch":  # whole global batches in a random order
            starts = gen.permutation(len(self)) * self.global_batch
            return np.concatenate([np.arange(s, min(s + self.global_batch, self.n))
                                   for s in starts])
        return gen.permutation(self.inner.n)[:self.n]

    def __iter__(self) -> Iterator[tuple]:
        order = self._order()
        for start in range(0, self.n, self.global_batch):
            part = np.array_split(order[start:start + self.global_batch], self.size)[self.rank]
            step_info.local_samples = float(len(part))
            yield self.inner._take(part)
        step_info.local_samples = 1.0


class RoundRobinBatches:
    """Every ``size()``-th batch of a generator or Dataset, starting at this rank's."""

    def __init__(self, batches: da.IterableBatches) -> None:
        self.inner = batches
        self.rank, self.size = comm.rank(), comm.size()

    def __len__(self) -> int:
        return len(self.inner) // self.size

    def __iter__(self) -> Iterator[tuple]:
        steps = len(self)
        taken = 0
        for i, batch in enumerate(self.inner):
            if i % self.size == self.rank:
                step_info.local_samples = float(len(batch[0][0]))
                yield batch
                taken += 1
                if steps and taken >= steps:
                    break
        step_info.local_samples = 1.0


class AverageLogs(Callback):
    """First in the list: replaces each epoch's logs by their mean over the ranks."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs:
            keys = list(logs)
            means = comm.allreduce(np.array([float(logs[k]) for k in keys]), op="mean")
            for k, v in zip(keys, means):
                logs[k] = float(v)


class SyncFromRoot(Callback):
    """Last in the list: after every ``on_train_begin`` (a restore included), rank 0's
    weights, optimizer state, random state and resume epoch on every rank."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        weights = model.weights
        for w in weights:
            broadcast_parameter(w)
        opt = model.optimizer
        position = {id(w): i for i, w in enumerate(weights)}
        root = None
        if comm.is_main():
            order = [position.get(id(p), -1) for p in opt._params]
            root = {"state": opt.get_state(), "order": order,
                    "rng": backend.get_rng_state(), "resume": model._resume_epoch}
        root = comm.broadcast(root, root=0)
        if not comm.is_main():
            if -1 in root["order"]:
                raise RuntimeError("ember.distributed: rank 0's optimizer holds parameters "
                                   "that are not the model's weights")
            opt.set_state(root["state"], params=[weights[i] for i in root["order"]])
            backend.set_rng_state(root["rng"])
            model._resume_epoch = root["resume"]
        opt._dist_synced = True


class _RestoreOnly(Callback):
    """A ``BackupAndRestore`` on a rank other than 0: restores, never writes."""

    def __init__(self, inner: BackupAndRestore) -> None:
        super().__init__()
        self.inner = inner

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self.inner.set_model(model)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.inner.on_train_begin(logs)


class _FitHook:
    def _active(self, model: Any) -> bool:
        return comm.size() > 1 and is_distributed(getattr(model, "optimizer", None))

    def training_batches(self, model: Any, batches: Any) -> Any:
        if not self._active(model):
            return batches
        if isinstance(batches, da.ArrayBatches):
            return ShardedBatches(batches, model)
        if isinstance(batches, da.IterableBatches):
            return RoundRobinBatches(batches)
        return batches

    def callbacks(self, model: Any, callbacks: list) -> list:
        if not self._active(model):
            return callbacks
        if not comm.is_main():
            callbacks = [_RestoreOnly(c) if isinstance(c, BackupAndRestore) else c
                         for c in callbacks if not isinstance(c, _MAIN_ONLY)]
        return [AverageLogs()] + callbacks + [SyncFromRoot()]


def install() -> None:
    """Make ``fit`` consult this module (idempotent)."""
    if not isinstance(hooks.active, _FitHook):
        hooks.active = _FitHook()
