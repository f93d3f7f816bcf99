"""``Pipeline`` steps over nested datasets and threads: ``flat_map``, ``interleave``,
``window``, ``map(num_parallel_calls=...)`` and ``cache(filename)``, with tf.data's
element orders.

- ``interleave`` is tf.data's InterleaveDataset loop: ``cycle_length`` open datasets, up to
  ``block_length`` elements from one before moving to the next slot; an exhausted slot is
  closed and refilled from the next input element when the cycle comes back to it.
- ``window(size, shift, stride)``: window ``i`` holds elements ``i * shift + k * stride``
  (``k < size``); without ``drop_remainder`` the shorter windows at the end are kept (every
  window that starts inside the input). A window is a dataset, a tuple / dict element gives
  a tuple / dict of datasets, as tf.data.
- a parallel ``map`` runs ``fn`` in a thread pool, a bounded number of elements ahead, and
  yields in the input's order (NumPy releases the GIL in its heavy loops).
- ``cache(filename)`` writes the first complete pass to ``filename`` (arrays with NumPy's
  ``.npy`` framing, no pickles) and later passes, in this process or another, read it back.

Example:
    >>> import numpy as np, ember as em
    >>> ds = em.data.Dataset.range(7).window(3, shift=2).flat_map(lambda w: w.batch(3))
    >>> [b.tolist() for b in ds]
    [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember.data._pipeline_more import _Constant
from ember.data._pipeline_util import _flat, _structure_map
from ember.data.pipeline import INFINITE, UNKNOWN, Pipeline, _sized, _Step

AUTOTUNE = -1


def _call(fn: Callable, element: Any) -> Any:
    return fn(*element) if isinstance(element, tuple) else fn(element)


def _dataset_of(value: Any, where: str) -> Pipeline:
    if not isinstance(value, Pipeline):
        raise TypeError(f"Pipeline.{where}: the function must return a dataset (a Pipeline); "
                        f"got {type(value).__name__}")
    return value


class _FlatMap(_Step):
    def __init__(self, parent: Pipeline, fn: Callable) -> None:
        super().__init__(parent)
        self.fn = fn
        self._count = UNKNOWN if parent._count != INFINITE else INFINITE

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        for element in items:
            yield from _dataset_of(_call(self.fn, element), "flat_map")


class _Interleave(_Step):
    def __init__(self, parent: Pipeline, fn: Callable, cycle: int, block: int) -> None:
        super().__init__(parent)
        self.fn, self.cycle, self.block = fn, cycle, block
        self._count = UNKNOWN if parent._count != INFINITE else INFINITE

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        slots: list[Iterator[Any] | None] = [None] * self.cycle
        index = block_index = open_count = 0
        end_of_input = False
        while not end_of_input or open_count:
            current = slots[index]
            if current is not None:
                try:
                    element = next(current)
                except StopIteration:
                    slots[index] = None
                    open_count -= 1
                else:
                    block_index += 1
                    if block_index < self.block:
                        yield element
                        continue
                    yield element
                index, block_index = (index + 1) % self.cycle, 0
            elif not end_of_input:
                try:
                    element = next(items)
                except StopIteration:
                    end_of_input = True
                else:
                    slots[index] = iter(_dataset_of(_call(self.fn, element), "interleave"))
                    open_count += 1
            else:
                index, block_index = (index + 1) % self.cycle, 0


class _Window(_Step):
    def __init__(self, parent: Pipeline, size: int, shift: int, stride: int,
                 drop: bool) -> None:
        super().__init__(parent)
        self.size, self.shift, self.stride, self.drop = size, shift, stride, drop
        n = parent._count
        if n >= 0:
            span = (size - 1) * stride + 1
            self._count = (max(n - span, -1) // shift + 1 if n >= span else 0) if drop \
                else -(-n // shift)
        else:
            self._count = n

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        span = (self.size - 1) * self.stride + 1
        buffer: collections.deque = collections.deque()
        start = 0  # input position of buffer[0]
        exhausted = False
        for first in range(0, 1 << 62, self.shift):
            while not exhausted and start + len(buffer) < first + span:
                try:
                    buffer.append(next(items))
                except StopIteration:
                    exhausted = True
            while buffer and start < first:
                buffer.popleft()
                start += 1
            if start < first or not buffer:  # the window starts past the input's end
                return
            picked = list(buffer)[::self.stride][:self.size]
            if len(picked) < self.size and self.drop:
                return
            yield _window_datasets(picked)


def _window_datasets(elements: list) -> Any:
    """One window: a dataset of ``elements``, or a tuple / dict of datasets, one per
    component (tf.data's nesting)."""
    first = elements[0]
    if isinstance(first, dict):
        return {k: _window_datasets([e[k] for e in elements]) for k in first}
    if isinstance(first, tuple):
        return tuple(_window_datasets([e[i] for e in elements]) for i in range(len(first)))
    return _sized(_Constant(elements))


class _ParallelMap(_Step):
    def __init__(self, parent: Pipeline, fn: Callable, workers: int) -> None:
        super().__init__(parent)
        self.fn, self.workers = fn, workers

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        fn = self.fn
        ahead = 2 * self.workers
        with concurrent.futures.ThreadPoolExecutor(self.workers,
                                                   thread_name_prefix="ember-map") as pool:
            pending: collections.deque = collections.deque()
            try:
                for element in items:
                    pending.append(pool.submit(_call, fn, element))
                    if len(pending) >= ahead:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()


def workers_for(num_parallel_calls: Any) -> int:
    """The thread count of ``map(num_parallel_calls=...)``: AUTOTUNE -> the CPU count."""
    if num_parallel_calls in (None, AUTOTUNE):
        return max(os.cpu_count() or 1, 1)
    if isinstance(num_parallel_calls, bool) or not isinstance(num_parallel_calls, int) or \
            num_parallel_calls < 1:
        raise ValueError(f"Pipeline.map: num_parallel_calls must be a positive int or "
                         f"AUTOTUNE; got {num_parallel_calls!r}")
    return num_parallel_calls


# ---------------------------------------------------------------------- cache to a file
_MAGIC = b"EMBERCACHE1\n"


def _spec(element: Any) -> Any:
    if isinstance(element, dict):
        return {"dict": {k: _spec(v) for k, v in element.items()}}
    if isinstance(element, tuple):
        return {"tuple": [_spec(v) for v in element]}
    return None


def _rebuild(spec: Any, arrays: Iterator[np.ndarray]) -> Any:
    if spec is None:
        return next(arrays)
    if "dict" in spec:
        return {k: _rebuild(v, arrays) for k, v in spec["dict"].items()}
    return tuple(_rebuild(v, arrays) for v in spec["tuple"])


class _FileCache(_Step):
    def __init__(self, parent: Pipeline, filename: str) -> None:
        super().__init__(parent)
        self.filename = os.fspath(filename)

    def _elements(self) -> Iterator[Any]:
        if os.path.exists(self.filename):
            return self._read()
        return self._write()

    def _read(self) -> Iterator[Any]:
        with open(self.filename, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                raise ValueError(f"Pipeline.cache: {self.filename} is not an ember cache "
                                 "file; delete it or pick another filename")
            header = json.loads(f.readline())
            spec, n_arrays = header["spec"], header["arrays"]
            for _ in range(header["count"]):
                arrays = iter([np.load(f, allow_pickle=False) for _ in range(n_arrays)])
                yield _rebuild(spec, arrays)

    def _write(self) -> Iterator[Any]:
        from ember.atomic_file import atomic_write

        elements = []
        for element in self.parent:
            elements.append(element)
            yield element
        # a complete pass only (as tf.data: a partial one is never read back)
        spec = _spec(elements[0]) if elements else None
        n_arrays = len(_flat(elements[0])) if elements else 0
        import io

        buf = io.BytesIO()
        buf.write(_MAGIC)
        buf.write(json.dumps({"spec": spec, "arrays": n_arrays,
                              "count": len(elements)}).encode() + b"\n")
        for element in elements:
            for a in _flat(_structure_map(np.asarray, element)):
                np.save(buf, a, allow_pickle=False)
        atomic_write(self.filename, buf.getbuffer())
