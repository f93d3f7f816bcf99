"""The remaining ``Pipeline`` steps: unbatch, cache, prefetch, concatenate, zip and the
one-element / generator sources (``ember.data.pipeline`` holds the base and the index-moving
steps)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember.data._pipeline_util import _background, _flat, _structure_map
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
    def __init__(self, parent: Pipeline, size: int) -> None:
        super().__init__(parent)
        self.size = size

    def _elements(self) -> Iterator[Any]:
        return _background(iter(self.parent), self.size)


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
