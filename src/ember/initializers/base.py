"""What every initializer shares: the base classes, the fan computation and argument checks."""

from __future__ import annotations

import math
from typing import Any

import numpy

from ember import backend


def compute_fans(shape: tuple) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape, as Keras: the receptive field (all axes but
    the last two) multiplies both for convolution kernels.

    Example:
        >>> import ember as em
        >>> em.initializers.compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive = math.prod(shape[:-2])
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


def _shape(shape: Any, who: str) -> tuple[int, ...]:
    if isinstance(shape, (int, numpy.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(n) for n in shape)
    except TypeError:
        raise TypeError(f"{who}: shape must be a tuple of ints; got {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{who}: shape must not have negative sizes; got {shape}")
    return shape


def _float_dtype(dtype: Any, who: str) -> numpy.dtype:
    dt = numpy.dtype(dtype or backend.floatx())
    if dt.kind != "f":
        raise ValueError(f"{who}: random initializers produce floats; got dtype {dt.name}")
    return dt


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``."""

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Random(Initializer):
    """An initializer drawing random numbers: ``seed`` None uses ember's global generator."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int,
                                                                                numpy.integer))):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None; got {seed!r}")
        self.seed = None if seed is None else int(seed)

    def _rng(self) -> numpy.random.Generator:
        if self.seed is None:
            return backend.rng(numpy)
        return numpy.random.default_rng(self.seed)

    def _normal(self, shape: tuple, dtype: numpy.dtype, truncated: bool) -> numpy.ndarray:
        gen = self._rng()
        draw_dt = dtype if dtype.name in ("float32", "float64") else numpy.dtype("float32")
        z = gen.standard_normal(shape, dtype=draw_dt)
        if truncated:  # redraw values beyond 2 standard deviations, as Keras and TensorFlow do
            bad = numpy.abs(z) > 2
            while bad.any():
                z[bad] = gen.standard_normal(int(bad.sum()), dtype=draw_dt)
                bad = numpy.abs(z) > 2
        return z

    def _uniform(self, shape: tuple, dtype: numpy.dtype, low: float, high: float) -> numpy.ndarray:
        draw_dt = dtype if dtype.name in ("float32", "float64") else numpy.dtype("float32")
        u = self._rng().random(shape, dtype=draw_dt)
        return (u * (high - low) + low).astype(dtype, copy=False)

    def get_config(self) -> dict:
        return {"seed": self.seed}
