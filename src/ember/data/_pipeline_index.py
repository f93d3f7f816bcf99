"""The ``Pipeline`` steps that only move row indices over an array source: the source of
``from_tensor_slices`` (and ``range``), ``shuffle``, and ``take`` / ``skip``; ``batch`` (in
``ember.data.pipeline``) then gathers each batch of those rows with one ``numpy.take``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ember.data._pipeline_util import _as_array, _flat, _structure_map
from ember.data.pipeline import INFINITE, Pipeline, _Step


class _Slices(Pipeline):
    def __init__(self, tensors: Any) -> None:
        self.tensors = _structure_map(_as_array, tensors)
        counts = {len(a) if a.ndim else None for a in _flat(self.tensors)}
        if None in counts or not counts:
            raise ValueError("from_tensor_slices: every array needs a first (sample) axis")
        if len(counts) > 1:
            raise ValueError(f"from_tensor_slices: the arrays have different numbers of "
                             f"rows: {sorted(counts)}")
        self._count = counts.pop()
        self._source = self

    def _index_array(self) -> np.ndarray:
        return np.arange(self._count, dtype=np.int64)

    def gather(self, idx: Any) -> Any:
        return _structure_map(lambda a: a[idx] if isinstance(idx, (int, np.integer))
                              else np.take(a, idx, axis=0), self.tensors)

    def _elements(self) -> Iterator[Any]:
        return (self.gather(i) for i in range(self._count))


class _Shuffle(_Step):
    index_only = True

    def __init__(self, parent: Pipeline, buffer: int, seed: int | None,
                 reshuffle: bool) -> None:
        super().__init__(parent)
        self.buffer, self.seed, self.reshuffle = buffer, seed, reshuffle
        self._rng = np.random.default_rng(seed)

    def _transform_array(self, rows: np.ndarray) -> np.ndarray:
        if self.buffer >= len(rows):  # the same order _transform gives, in one permutation
            rng = self._rng if self.reshuffle else np.random.default_rng(self.seed)
            return rows[rng.permutation(len(rows))]
        return np.fromiter(self._transform(iter(rows.tolist())), dtype=np.int64,
                           count=len(rows))

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        rng = self._rng if self.reshuffle else np.random.default_rng(self.seed)
        if self.parent._count >= 0 and self.buffer >= self.parent._count:
            pool = list(items)  # the buffer holds everything: one permutation
            for i in rng.permutation(len(pool)):
                yield pool[i]
            return
        pool = []
        for item in items:
            if len(pool) < self.buffer:
                pool.append(item)
                continue
            j = int(rng.integers(len(pool)))
            yield pool[j]
            pool[j] = item
        for j in rng.permutation(len(pool)):
            yield pool[j]


class _Slice(_Step):
    index_only = True

    def __init__(self, parent: Pipeline, start: int, stop: int) -> None:
        super().__init__(parent)
        self.start, self.stop = max(start, 0), stop
        n = parent._count
        if n >= 0:
            end = n if stop < 0 else min(stop, n)
            self._count = max(end - min(self.start, n), 0)
        elif n == INFINITE and stop >= 0:
            self._count = max(stop - self.start, 0)

    def _transform_array(self, rows: np.ndarray) -> np.ndarray:
        return rows[self.start:] if self.stop < 0 else rows[self.start:self.stop]

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        for k, item in enumerate(items):
            if 0 <= self.stop <= k:
                return
            if k >= self.start:
                yield item
