"""The remaining ``Pipeline`` steps: unbatch, cache, prefetch, concatenate, zip and the
one-element / generator sources (``ember.data.pipeline`` holds the base and ``batch``,
``ember.data._pipeline_index`` the index-moving steps)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember.data._pipeline_util import _background, _chunks, _flat, _structure_map
from ember.data.pipeline import INFINITE, UNKNOWN, Pipeline, _Step


class _Unbatch(_Step):
    def __init__(self, parent: Pipeline) -> None:
        super().__init__(parent)
        self._count = UNKNOWN if parent._count != INFINITE else INFINITE

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        for element in items:
            n = len(_flat(element)[0])
            for i in range(n):
                yield _structure_map(lambda a, i=i: a[i], element)


class _Cache(_Step):
    def __init__(self, parent: Pipeline) -> None:
        super().__init__(parent)
        self._store: list | None = None

    def _elements(self) -> Iterator[Any]:
        if self._store is not None:
            yield from self._store
            return
        seen = []
        for element in self.parent:
            seen.append(element)
            yield element
        self._store = seen  # only a complete pass is replayed


class _Prefetch(_Step):
    # Below this many seconds per element a background thread costs more (GIL hand-overs
    # on a small machine) than it hides: measured on MNIST batches, 2 cores.
    INLINE_BELOW = 2e-4
    PROBE = 4

    def __init__(self, parent: Pipeline, size: int, adaptive: bool = False) -> None:
        super().__init__(parent)
        self.size, self.adaptive = size, adaptive
        self._inline: bool | None = None  # decided on the first pass, kept afterwards

    def _elements(self) -> Iterator[Any]:
        items = iter(self.parent)
        if not self.adaptive or self._inline is False:
            return _background(items, self.size)
        if self._inline:
            return items
        return self._probe(items)

    def _probe(self, items: Iterator[Any]) -> Iterator[Any]:
        first, costs = [], []
        for _ in range(self.PROBE):
            start = time.perf_counter()
            try:
                first.append(next(items))
            except StopIteration:
                break
            costs.append(time.perf_counter() - start)
        # the median: one element delayed by a busy machine does not decide alone
        costs.sort()
        self._inline = not costs or costs[len(costs) // 2] < self.INLINE_BELOW
        yield from first
        yield from (items if self._inline else _background(items, self.size))


class _Concatenate(Pipeline):
    def __init__(self, first: Pipeline, second: Pipeline) -> None:
        self.parts = (first, second)
        a, b = first._count, second._count
        self._count = INFINITE if INFINITE in (a, b) else a + b if min(a, b) >= 0 else UNKNOWN

    def _elements(self) -> Iterator[Any]:
        for part in self.parts:
            yield from part


class _Zip(Pipeline):
    def __init__(self, parts: tuple) -> None:
        self.parts = parts
        known = [p._count for p in parts if p._count >= 0]
        self._count = (min(known) if known else
                       INFINITE if all(p._count == INFINITE for p in parts) else UNKNOWN)

    def _elements(self) -> Iterator[Any]:
        return zip(*self.parts)


class _Constant(Pipeline):
    def __init__(self, items: list) -> None:
        self.items = items
        self._count = len(items)

    def _elements(self) -> Iterator[Any]:
        return iter(self.items)


class _Generator(Pipeline):
    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def _elements(self) -> Iterator[Any]:
        for element in self.make():
            yield _structure_map(np.asarray, element)


class _Map(_Step):
    def __init__(self, parent: Pipeline, fn: Callable) -> None:
        super().__init__(parent)
        self.fn = fn

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        fn = self.fn
        for element in items:
            yield fn(*element) if isinstance(element, tuple) else fn(element)


class _Filter(_Step):
    def __init__(self, parent: Pipeline, predicate: Callable) -> None:
        super().__init__(parent)
        self.predicate = predicate
        self._count = INFINITE if parent._count == INFINITE else UNKNOWN

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:
        keep = self.predicate
        for element in items:
            if bool(keep(*element) if isinstance(element, tuple) else keep(element)):
                yield element


class _PaddedBatch(_Step):
    def __init__(self, parent: Pipeline, size: int, drop: bool, shapes: Any,
                 values: Any) -> None:
        super().__init__(parent)
        self.size, self.drop, self.shapes, self.values = size, drop, shapes, values
        if parent._count >= 0:
            self._count = parent._count // size if drop else -(-parent._count // size)

    def _elements(self) -> Iterator[Any]:
        for chunk in _chunks(iter(self.parent), self.size, self.drop):
            yield _pad_stack(chunk, self.shapes, self.values)


def _pad_stack(elements: list, shapes: Any, values: Any) -> Any:
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_pad_stack([e[i] for e in elements], _part(shapes, i), _part(values, i))
                     for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _pad_stack([e[k] for e in elements], _part(shapes, k), _part(values, k))
                for k in first}
    arrays = [np.asarray(e) for e in elements]
    ndim = arrays[0].ndim
    if any(a.ndim != ndim for a in arrays):
        raise ValueError("Pipeline.padded_batch: the elements have different ranks "
                         f"({sorted({a.ndim for a in arrays})})")
    longest = [max(a.shape[d] for a in arrays) for d in range(ndim)]
    target = list(longest) if shapes is None else [
        longest[d] if s in (None, -1) else int(s) for d, s in enumerate(shapes)]
    if any(t < m for t, m in zip(target, longest)):
        raise ValueError(f"Pipeline.padded_batch: an element of shape {tuple(longest)} does "
                         f"not fit padded_shapes {tuple(target)}")
    out = np.full([len(arrays)] + target, 0 if values is None else values,
                  dtype=arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[(i,) + tuple(slice(0, n) for n in a.shape)] = a
    return out


def _part(spec: Any, key: Any) -> Any:
    if spec is None or not isinstance(spec, (tuple, list, dict)):
        return spec
    if isinstance(spec, dict):
        return spec.get(key)
    # a shape given as a flat list applies to a plain element, not to a tuple's parts
    return spec[key] if isinstance(spec[key], (tuple, list, dict)) or spec[key] is None \
        else spec


class _Repeat(_Step):
    index_only = True

    def __init__(self, parent: Pipeline, count: int) -> None:
        super().__init__(parent)
        self.times = count
        n = parent._count
        self._count = (INFINITE if count < 0 and n != 0 else
                       n * count if n >= 0 else n)

    def _indices(self) -> Iterator[int] | None:
        if self._source is None:
            return None
        return self._loop(self.parent._indices)

    def _index_array(self) -> np.ndarray | None:
        if self._source is None or self.times < 0:
            return None  # endless: rows are produced as they are consumed
        passes = [self.parent._index_array() for _ in range(self.times)]
        if any(p is None for p in passes):
            return None
        return np.concatenate(passes) if passes else np.zeros(0, np.int64)

    def _elements(self) -> Iterator[Any]:
        if self._source is not None:
            return (self._source.gather(i) for i in self._indices())
        return self._loop(lambda: iter(self.parent))

    def _loop(self, start: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        done = 0
        while self.times < 0 or done < self.times:
            yield from start()
            done += 1
