"""``PyDataset`` (``Sequence``): Keras 3's base class for datasets written as Python classes.

Subclass it with ``__len__`` (the number of batches) and ``__getitem__(i)`` (batch ``i``:
``x``, ``(x, y)`` or ``(x, y, sample_weight)``), optionally ``on_epoch_end`` (to reshuffle).
``fit`` takes exactly ``len(ds)`` batches an epoch, in order. ``workers > 1`` loads batches
ahead in that many threads (for I/O-bound loading, which releases the GIL), or processes with
``use_multiprocessing=True`` (for CPU-bound Python; the dataset reaches the workers by
``fork`` where the system has it, else it must pickle); at most ``max_queue_size`` batches
are in flight. Without ``__len__`` (``num_batches`` None) the dataset is endless and ``fit``
needs ``steps_per_epoch``.

Example:
    >>> import numpy as np, ember as em
    >>> class Squares(em.utils.PyDataset):
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, i):
    ...         x = np.full((2, 1), float(i), dtype="float32")
    ...         return x, x ** 2
    >>> [y[:, 0].tolist() for _, y in Squares(workers=2)]
    [[0.0, 0.0], [1.0, 1.0], [4.0, 4.0]]
"""

from __future__ import annotations

import collections
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_WORKER_DATASET: Any = None  # the dataset inside a worker process (set by the initializer)


def _init_worker(dataset: Any) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _get_item(index: int) -> Any:
    return _WORKER_DATASET[index]


class PyDataset:
    """See the module docstring."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"PyDataset: workers must be a positive integer; got {workers!r}")
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(f"PyDataset: max_queue_size must be a positive integer; got "
                             f"{max_queue_size!r}")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    # Keras reads these as properties; a subclass that forgot super().__init__ gets defaults
    @property
    def workers(self) -> int:
        return self.__dict__.get("_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return self.__dict__.get("_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return self.__dict__.get("_max_queue_size", 10)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    @property
    def num_batches(self) -> int | None:
        """``len(self)``, or None for an endless dataset (no ``__len__``)."""
        if type(self).__len__ is PyDataset.__len__:
            return None
        return len(self)

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} has no __len__: it is endless; give fit "
                        "steps_per_epoch")

    def on_epoch_begin(self) -> None:
        """Called before the first batch of each epoch."""

    def on_epoch_end(self) -> None:
        """Called after the last batch of each epoch (override to reshuffle)."""

    def __iter__(self) -> Iterator[Any]:
        n = self.num_batches
        self.on_epoch_begin()
        try:
            if self.workers <= 1:
                for i in (range(n) if n is not None else _count()):
                    yield self[i]
            else:
                yield from self._parallel(n)
        finally:
            self.on_epoch_end()

    def _parallel(self, n: int | None) -> Iterator[Any]:
        indices = iter(range(n) if n is not None else _count())
        if self.use_multiprocessing:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            context = multiprocessing.get_context(method)
            pool: Any = context.Pool(self.workers, initializer=_init_worker,
                                     initargs=(self,))
            submit = lambda i: pool.apply_async(_get_item, (i,))  # noqa: E731
            result = lambda job: job.get()  # noqa: E731
        else:
            pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ember-pydataset")
            submit = lambda i: pool.submit(self.__getitem__, i)  # noqa: E731
            result = Future.result
        pending: collections.deque = collections.deque()
        try:
            for i in indices:  # keep the queue full, hand batches out in order
                pending.append(submit(i))
                if len(pending) >= self.max_queue_size:
                    yield result(pending.popleft())
            while pending:
                yield result(pending.popleft())
        finally:
            if self.use_multiprocessing:
                pool.terminate()
            else:
                pool.shutdown(wait=False, cancel_futures=True)


def _count() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


Sequence = PyDataset  # keras.utils.Sequence, the Keras 2 name

__all__ = ["PyDataset", "Sequence"]
