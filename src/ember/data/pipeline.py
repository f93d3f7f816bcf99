"""``Pipeline``: a ``tf.data``-style chain of steps over samples (``from_tensor_slices``,
``shuffle``, ``map``, ``filter``, ``batch``, ``unbatch``, ``cache``, ``take``, ``skip``,
``repeat``, ``zip``, ``concatenate``, ``prefetch``), iterated by ``Model.fit`` as batches.

A pipeline yields *elements*: one array, or a tuple / dict of arrays (``(x, y)`` as fit wants
them after ``batch``). Each ``iter()`` is a new pass (an epoch); ``shuffle`` draws a new order
each pass unless ``reshuffle_each_iteration=False``. ``len()`` is the number of elements when
it is known (as ``tf.data``'s cardinality; after ``filter`` it is not, and ``len`` is absent).

Why it stays fast: slices of arrays are not materialised one by one. ``from_tensor_slices``,
``shuffle``, ``take`` and ``skip`` on such a source only move *indices*, and ``batch`` then
gathers each batch with one ``numpy.take`` per array, so ``from_tensor_slices((x, y))
.shuffle(n).batch(32).map(f)`` costs what slicing arrays costs. A ``map`` before ``batch``
runs once per sample, as in ``tf.data`` (correct, but slower: map after batch when you can).

Example:
    >>> import numpy as np, ember as em
    >>> ds = em.data.Dataset.from_tensor_slices((np.arange(6.0), np.arange(6)))
    >>> ds = ds.map(lambda x, y: (x * 10, y)).batch(4)
    >>> [yb.tolist() for _, yb in ds], len(ds)
    ([[0, 1, 2, 3], [4, 5]], 2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember.data._pipeline_util import (
    _chunks,
    _positive,
    _stack,
    _structure_map,
)

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


class Pipeline:
    """The base of every pipeline step: ``_elements()`` yields one pass, ``_count`` is the
    number of elements (``INFINITE`` / ``UNKNOWN`` where it cannot be said)."""

    _count: int = UNKNOWN
    _source: Any = None  # the _Slices under an index-only chain, else None

    def __iter__(self) -> Iterator[Any]:
        return self._elements()

    def _elements(self) -> Iterator[Any]:  # pragma: no cover - every step defines it
        raise NotImplementedError

    def _indices(self) -> Iterator[int] | None:
        """The source rows of one pass, when every step above the source only moves rows."""
        arr = self._index_array()
        return None if arr is None else iter(arr.tolist())

    def _index_array(self) -> np.ndarray | None:
        """The same rows as one array, where a step can say them all at once (then batching
        is a slice of it and no Python runs per element)."""
        return None

    def cardinality(self) -> int:
        """The number of elements, or ``-1`` (infinite) / ``-2`` (unknown), as tf.data."""
        return self._count

    # ------------------------------------------------------------------ steps
    def batch(self, batch_size: int, drop_remainder: bool = False) -> Pipeline:
        """Stack ``batch_size`` consecutive elements into one (the last may be smaller)."""
        return _sized(_Batch(self, _positive(batch_size, "batch", "batch_size"),
                             bool(drop_remainder)))

    def padded_batch(self, batch_size: int, padded_shapes: Any = None,
                     padding_values: Any = None, drop_remainder: bool = False) -> Pipeline:
        """``batch`` for elements of different shapes: each component is padded at the end
        of every axis to the batch's largest (or to ``padded_shapes``, ``None`` / -1 meaning
        the largest) with ``padding_values`` (0 by default)."""
        return _sized(_PaddedBatch(self, _positive(batch_size, "padded_batch", "batch_size"),
                                   bool(drop_remainder), padded_shapes, padding_values))

    def unbatch(self) -> Pipeline:
        """Split each element along its first axis (the inverse of ``batch``)."""
        return _sized(_Unbatch(self))

    def map(self, fn: Callable, num_parallel_calls: int | None = None,
            deterministic: bool | None = None) -> Pipeline:
        """Apply ``fn`` to every element; a tuple element is passed as ``fn(*element)``.
        ``num_parallel_calls`` (an int, or ``AUTOTUNE``: the CPU count) runs ``fn`` in that
        many threads, the results still in the input's order (``deterministic`` is accepted;
        the order is always kept)."""
        if not callable(fn):
            raise TypeError(f"Pipeline.map: expected a function; got {fn!r}")
        if num_parallel_calls is None:
            return _sized(_Map(self, fn))
        workers = workers_for(num_parallel_calls)
        return _sized(_Map(self, fn) if workers == 1 else _ParallelMap(self, fn, workers))

    def flat_map(self, fn: Callable) -> Pipeline:
        """``fn(element)`` returns a dataset; its elements follow one another (tf.data's
        ``flat_map``, e.g. after ``window``)."""
        if not callable(fn):
            raise TypeError(f"Pipeline.flat_map: expected a function; got {fn!r}")
        return _FlatMap(self, fn)

    def interleave(self, map_func: Callable, cycle_length: int | None = None,
                   block_length: int | None = None, num_parallel_calls: int | None = None,
                   deterministic: bool | None = None) -> Pipeline:
        """``map_func(element)`` returns a dataset; ``cycle_length`` of them are read in turn,
        ``block_length`` elements at a time, in tf.data's order (``cycle_length`` None or
        AUTOTUNE: the CPU count). ``num_parallel_calls`` is accepted; the reads run in the
        consumer's thread (wrap the result in ``prefetch`` to overlap them)."""
        if not callable(map_func):
            raise TypeError(f"Pipeline.interleave: expected a function; got {map_func!r}")
        cycle = workers_for(cycle_length) if cycle_length in (None, AUTOTUNE) else \
            _positive(cycle_length, "interleave", "cycle_length")
        block = 1 if block_length is None else _positive(block_length, "interleave",
                                                         "block_length")
        return _Interleave(self, map_func, cycle, block)

    def window(self, size: int, shift: int | None = None, stride: int = 1,
               drop_remainder: bool = False) -> Pipeline:
        """Windows of ``size`` elements (every ``stride``-th), one starting every ``shift``
        (default ``size``) elements; each window is a dataset (a tuple / dict of them for
        tuple / dict elements): follow with ``flat_map(lambda w: w.batch(size))``."""
        size = _positive(size, "window", "size")
        shift = size if shift is None else _positive(shift, "window", "shift")
        return _sized(_Window(self, size, shift, _positive(stride, "window", "stride"),
                              bool(drop_remainder)))

    def filter(self, predicate: Callable) -> Pipeline:
        """Keep the elements for which ``predicate(element)`` is true."""
        if not callable(predicate):
            raise TypeError(f"Pipeline.filter: expected a function; got {predicate!r}")
        return _Filter(self, predicate)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> Pipeline:
        """tf.data's buffered shuffle: keep ``buffer_size`` elements, emit a random one and
        refill from the input (``buffer_size >= len`` gives a full uniform shuffle)."""
        return _sized(_Shuffle(self, _positive(buffer_size, "shuffle", "buffer_size"), seed,
                               bool(reshuffle_each_iteration)))

    def take(self, count: int) -> Pipeline:
        """The first ``count`` elements (all of them for ``count=-1``)."""
        return _sized(_Slice(self, 0, int(count)))

    def skip(self, count: int) -> Pipeline:
        """Everything after the first ``count`` elements."""
        return _sized(_Slice(self, int(count), -1))

    def repeat(self, count: int | None = None) -> Pipeline:
        """``count`` passes over the input one after the other (forever for None / -1)."""
        return _sized(_Repeat(self, -1 if count is None else int(count)))

    def cache(self, filename: str = "") -> Pipeline:
        """Keep the elements of the first full pass and replay them afterwards: in memory,
        or with a ``filename`` in that file (written once a pass completes; a later pass, or
        another process, reads the file instead of the input)."""
        if filename:
            return _sized(_FileCache(self, filename))
        return _sized(_Cache(self))

    def prefetch(self, buffer_size: int = AUTOTUNE) -> Pipeline:
        """Produce up to ``buffer_size`` elements ahead in a background thread, so reading
        and preprocessing overlap the training step. ``AUTOTUNE`` (the default) times the
        first elements: when one costs less than handing it to another thread (about
        0.2 ms: slicing arrays, scaling a batch) the chain runs in the consumer's thread,
        else two elements are kept ready in the background."""
        if buffer_size in (None, AUTOTUNE):
            return _sized(_Prefetch(self, 2, adaptive=True))
        return _sized(_Prefetch(self, _positive(buffer_size, "prefetch", "buffer_size")))

    def concatenate(self, other: Pipeline) -> Pipeline:
        """This pipeline's elements, then ``other``'s."""
        return _sized(_Concatenate(self, _as_pipeline(other, "concatenate")))

    def as_numpy_iterator(self) -> Iterator[Any]:
        """tf.data's name for iterating (elements are NumPy arrays already)."""
        return iter(self)

    def __repr__(self) -> str:
        n = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._count, self._count)
        return f"<{type(self).__name__.lstrip('_')} cardinality={n}>"


# ---------------------------------------------------------------------- constructors
def from_tensor_slices(tensors: Any) -> Pipeline:
    """One element per row of ``tensors`` (an array, or a tuple / dict of arrays with the
    same first dimension), as ``tf.data.Dataset.from_tensor_slices``."""
    return _sized(_Slices(tensors))


def from_tensors(tensors: Any) -> Pipeline:
    """A pipeline of exactly one element, ``tensors``."""
    return _sized(_Constant([_structure_map(np.asarray, tensors)]))


def from_generator(generator: Callable[[], Any], output_signature: Any = None) -> Pipeline:
    """Elements from ``generator()`` (called anew each pass, so each pass restarts it)."""
    if not callable(generator):
        raise TypeError("Pipeline.from_generator: expected a function returning an iterator "
                        f"(not the iterator itself); got {type(generator).__name__}")
    return _Generator(generator)


def range_(*args: int) -> Pipeline:
    """``Dataset.range(stop)`` / ``range(start, stop, step)``: int64 scalars."""
    return _sized(_Slices(np.arange(*args, dtype=np.int64)))


def zip_(datasets: Any) -> Pipeline:
    """Elements paired up position by position: ``zip((a, b))`` yields ``(a_i, b_i)``."""
    if isinstance(datasets, Pipeline):
        raise TypeError("Pipeline.zip: expected a tuple of pipelines, e.g. zip((a, b))")
    return _sized(_Zip(tuple(_as_pipeline(d, "zip") for d in datasets)))


# ---------------------------------------------------------------------- steps
class _Step(Pipeline):
    """A step over one input; index-only steps pass the source through."""

    index_only = False

    def __init__(self, parent: Pipeline) -> None:
        self.parent = parent
        self._count = parent._count
        if self.index_only:
            self._source = parent._source

    def _elements(self) -> Iterator[Any]:
        idx = self._indices()
        if idx is not None:
            return (self._source.gather(i) for i in idx)
        return self._transform(iter(self.parent))

    def _indices(self) -> Iterator[int] | None:
        if not self.index_only or self._source is None:
            return None
        arr = self._index_array()
        if arr is not None:
            return iter(arr.tolist())
        return self._transform(self.parent._indices())

    def _index_array(self) -> np.ndarray | None:
        if not self.index_only or self._source is None:
            return None
        parent = self.parent._index_array()
        return None if parent is None else self._transform_array(parent)

    def _transform_array(self, rows: np.ndarray) -> np.ndarray | None:
        return None

    def _transform(self, items: Iterator[Any]) -> Iterator[Any]:  # pragma: no cover
        raise NotImplementedError


class _Batch(_Step):
    def __init__(self, parent: Pipeline, size: int, drop: bool) -> None:
        super().__init__(parent)
        self.size, self.drop = size, drop
        if parent._count >= 0:
            self._count = parent._count // size if drop else math.ceil(parent._count / size)

    def _elements(self) -> Iterator[Any]:
        rows = self.parent._index_array()
        if rows is not None:  # slice the pass's rows: no Python per element
            stop = len(rows) - len(rows) % self.size if self.drop else len(rows)
            for start in range(0, stop, self.size):
                yield self.parent._source.gather(rows[start:start + self.size])
            return
        idx = self.parent._indices()
        if idx is not None:  # gather whole batches at once
            for chunk in _chunks(idx, self.size, self.drop):
                yield self.parent._source.gather(np.asarray(chunk, dtype=np.int64))
            return
        for chunk in _chunks(iter(self.parent), self.size, self.drop):
            yield _stack(chunk)


# ---------------------------------------------------------------------- helpers
class _SizedMixin:
    def __len__(self) -> int:
        return self._count


_SIZED: dict[type, type] = {}


def _sized(step: Pipeline) -> Pipeline:
    """The step, with ``len()`` when its number of elements is known (tf.data raises
    TypeError for ``len`` of an infinite or unknown dataset; here ``len`` is then absent,
    so ``fit`` needs ``steps_per_epoch`` exactly when tf.data would)."""
    if step._count >= 0:
        cls = type(step)
        if cls not in _SIZED:
            _SIZED[cls] = type(cls.__name__, (_SizedMixin, cls), {})
        step.__class__ = _SIZED[cls]
    return step


def _as_pipeline(value: Any, what: str) -> Pipeline:
    if not isinstance(value, Pipeline):
        raise TypeError(f"Pipeline.{what}: expected a pipeline; got {type(value).__name__}")
    return value


# The other steps live in their own modules (this one holds the base, ``batch`` and the
# constructors): the index-moving ones in _pipeline_index, the rest in _pipeline_more and
# _pipeline_nested; imported last because they subclass the classes above.
from ember.data._pipeline_index import _Shuffle, _Slice, _Slices  # noqa: E402
from ember.data._pipeline_more import (  # noqa: E402
    _Cache,
    _Concatenate,
    _Constant,
    _Filter,
    _Generator,
    _Map,
    _PaddedBatch,
    _Prefetch,
    _Repeat,
    _Unbatch,
    _Zip,
)
from ember.data._pipeline_nested import (  # noqa: E402
    _FileCache,
    _FlatMap,
    _Interleave,
    _ParallelMap,
    _Window,
    workers_for,
)
