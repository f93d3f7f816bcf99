"""Checking a layer's weights against a file *before* they are allocated.

Loading a model builds it from its config.json, and building allocates and initialises every
weight. A crafted config could declare a 16000x16000 Dense and cost a gigabyte before the
weights in the file are even looked at. So a loader first reads the file's tensor index (names
and shapes, no data) and builds inside ``expecting(...)``: each ``add_weight`` then claims a
file tensor of the same shape, and a weight the file cannot fill is refused at once, before any
memory is spent on it.

The match is by shape only (a necessary condition whatever order the model lists its weights
in), so a valid file is never refused here; the loader still checks the final order after the
build. The tensor whose path equals the weight's only sharpens the message.

Example:
    >>> import ember as em
    >>> with expecting({"dense/kernel": (4, 2), "dense/bias": (2,)}, "demo.ember"):
    ...     em.layers.Dense(2, name="dense").build((None, 5))
    Traceback (most recent call last):
    ...
    ember.safe_io.FileFormatError: demo.ember: layer 'dense' (Dense) declares weight 'kernel' \
of shape (5, 2), but the file has no unclaimed tensor of that shape (its 'dense/kernel' has \
shape (4, 2)); the file does not match its own architecture
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from ember.safe_io import FileFormatError

_ACTIVE: contextvars.ContextVar[_Expected | None] = contextvars.ContextVar(
    "ember_expected_weights", default=None)


class _Expected:
    def __init__(self, shapes: Mapping[str, tuple], source: str) -> None:
        self.source = source
        self.by_path = {_path_of(key): tuple(shape) for key, shape in shapes.items()}
        self.left = Counter(tuple(shape) for shape in shapes.values())
        self.total = len(shapes)

    def claim(self, layer: Any, name: str, shape: tuple) -> None:
        shape = tuple(int(d) for d in shape)
        if self.left[shape] > 0:
            self.left[shape] -= 1
            return
        same_path = self.by_path.get(f"{layer.name}/{name}")
        detail = (f"its '{layer.name}/{name}' has shape {same_path}" if same_path is not None
                  else f"it holds {self.total} weight tensors")
        raise FileFormatError(
            f"{self.source}: layer '{layer.name}' ({type(layer).__name__}) declares weight "
            f"'{name}' of shape {shape}, but the file has no unclaimed tensor of that shape "
            f"({detail}); the file does not match its own architecture")


def _path_of(key: str) -> str:
    """'00003/dense/kernel' (the saved key) -> 'dense/kernel' (the weight's path)."""
    head, sep, rest = key.partition("/")
    return rest if sep and head.isdigit() else key


@contextlib.contextmanager
def expecting(shapes: Mapping[str, tuple], source: str) -> Iterator[None]:
    """Within the block, every new layer weight must claim one of ``shapes`` (saved key ->
    shape) of the same shape, or ``add_weight`` raises ValueError naming ``source``."""
    token = _ACTIVE.set(_Expected(shapes, source))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def loading() -> bool:
    """True inside ``expecting``: every new weight is about to be overwritten from a file, so
    ``Variable`` skips its initializer (zeros instead of, e.g., an Orthogonal QR)."""
    return _ACTIVE.get() is not None


def claim(layer: Any, name: str, shape: tuple) -> None:
    """Called by ``Layer.add_weight`` before it allocates: a no-op outside ``expecting``."""
    expected = _ACTIVE.get()
    if expected is not None:
        expected.claim(layer, name, shape)
