"""Helpers of ``ember.data.pipeline``: the background thread of ``prefetch``, batching and
stacking of elements, and the walk over (nested tuple / dict) element structures."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


def _background(items: Iterator[Any], size: int) -> Iterator[Any]:
    """Run ``items`` in a daemon thread, at most ``size`` elements ahead of the consumer.

    The hand-over uses two C-level ``SimpleQueue``s (the elements, and tokens for the free
    places) rather than a ``queue.Queue``, whose Python-level locking costs about as much as
    a small training step on a busy machine."""
    ready: queue.SimpleQueue = queue.SimpleQueue()
    free: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(size):
        free.put(None)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for element in items:
                free.get()
                if stop.is_set():
                    return
                ready.put((element, None))
            ready.put((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put((done, exc))

    worker = threading.Thread(target=produce, name="ember-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            element, error = ready.get()
            if element is done:
                if error is not None:
                    raise error
                return
            free.put(None)
            yield element
    finally:
        stop.set()  # the consumer stopped early (break, take): let the worker exit
        free.put(None)


def _chunks(items: Iterator[Any], size: int, drop: bool) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk and not drop:
        yield chunk


def _stack(elements: list) -> Any:
    first = elements[0]
    if isinstance(first, dict):
        return {k: _stack([e[k] for e in elements]) for k in first}
    if isinstance(first, tuple):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    try:
        return np.stack([np.asarray(e) for e in elements])
    except ValueError as exc:
        raise ValueError(f"Pipeline.batch: elements of different shapes cannot be stacked "
                         f"({exc}); pad them first (em.utils.pad_sequences)") from None


def _structure_map(fn: Callable, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _structure_map(fn, v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_structure_map(fn, v) for v in value)
    return fn(value)


def _flat(value: Any) -> list:
    if isinstance(value, dict):
        return [a for v in value.values() for a in _flat(v)]
    if isinstance(value, tuple):
        return [a for v in value for a in _flat(v)]
    return [value]


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)  # tf.data keeps float64; ember trains in float32
    return arr


def _positive(value: Any, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Pipeline.{where}: {name} must be a positive integer; got {value!r}")
    return int(value)
