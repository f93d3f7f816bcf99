"""Batching concurrent prediction requests: requests wait in a queue; one worker thread takes
all that arrived within ``max_wait_s`` of the first (at most ``max_batch`` samples), runs the
model once on them together and hands each request its rows.

Example:
    >>> import numpy as np
    >>> b = Batcher(lambda x: x * 2, max_batch=8, max_wait_s=0.001)
    >>> b.submit(np.ones((2, 3), "float32")).result().tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    >>> b.close()
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np


class Batcher:
    """Run ``predict(batch) -> array`` on batches gathered from concurrent ``submit`` calls."""

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], max_batch: int = 64,
                 max_wait_s: float = 0.005) -> None:
        if max_batch < 1:
            raise ValueError(f"Batcher: max_batch must be at least 1; got {max_batch}")
        self.predict = predict
        self.max_batch = int(max_batch)
        self.max_wait_s = float(max_wait_s)
        self.batches = 0
        self.requests = 0
        self._queue: queue.Queue = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ember-batcher", daemon=True)
        self._thread.start()

    def submit(self, x: np.ndarray) -> Future:
        """A future of ``predict``'s rows for ``x`` (a batch of one or more samples)."""
        if self._closed:
            raise RuntimeError("Batcher: closed")
        future: Future = Future()
        self._queue.put((x, future))
        return future

    def _gather(self) -> list:
        first = self._queue.get()
        if first is None:
            return []
        items, size = [first], len(first[0])
        deadline = time.perf_counter() + self.max_wait_s
        while size < self.max_batch:
            left = deadline - time.perf_counter()
            try:
                item = self._queue.get(timeout=max(left, 0)) if left > 0 else \
                    self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # let the loop end after this batch
                break
            items.append(item)
            size += len(item[0])
        return items

    def _run(self) -> None:
        while True:
            items = self._gather()
            if not items:
                return
            try:
                out = self.predict(np.concatenate([x for x, _ in items]))
            except Exception as exc:  # every waiting request learns why
                for _, future in items:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.requests += len(items)
            start = 0
            for x, future in items:
                future.set_result(out[start:start + len(x)])
                start += len(x)

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=5)
