"""The random initializers: normal, uniform, the variance-scaling family and orthogonal."""

from __future__ import annotations

import math
from typing import Any

import numpy

from ember import serialization
from ember.initializers.base import _float_dtype, _Random, _shape, compute_fans

_TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


@serialization.register()
class RandomNormal(_Random):
    """Normal draws with ``mean`` and ``stddev`` (default 0 and 0.05)."""

    _truncated = False

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        who = type(self).__name__
        dt = _float_dtype(dtype, who)
        z = self._normal(_shape(shape, who), dt, truncated=self._truncated)
        return (z * self.stddev + self.mean).astype(dt, copy=False)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@serialization.register()
class TruncatedNormal(RandomNormal):
    """Normal draws with ``mean`` and ``stddev``, values beyond 2 stddev redrawn."""

    _truncated = True


@serialization.register()
class RandomUniform(_Random):
    """Uniform draws in ``[minval, maxval)`` (default [-0.05, 0.05))."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        if maxval < minval:
            raise ValueError(f"RandomUniform: maxval ({maxval}) must be >= minval ({minval})")
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        dt = _float_dtype(dtype, "RandomUniform")
        return self._uniform(_shape(shape, "RandomUniform"), dt, self.minval, self.maxval)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


@serialization.register()
class VarianceScaling(_Random):
    """Draws scaled to the weight's fans: variance ``scale / n`` where n is fan_in, fan_out or
    their average (``mode``). ``distribution``: "truncated_normal" (stddev corrected for the
    truncation, as Keras), "untruncated_normal", or "uniform" (limit ``sqrt(3 * scale / n)``).

    Example:
        >>> import ember as em
        >>> init = em.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=0)
        >>> round(float(init((1000, 500)).std()), 2)    # sqrt(2 / 1000)
        0.04
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None) -> None:
        super().__init__(seed)
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be a positive float; got {scale!r}")
        if mode not in _MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {_MODES}; got {mode!r}")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of {_DISTRIBUTIONS}; "
                             f"got {distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        who = type(self).__name__
        shape, dt = _shape(shape, who), _float_dtype(dtype, who)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return self._uniform(shape, dt, -limit, limit)
        truncated = self.distribution == "truncated_normal"
        std = math.sqrt(variance) / (_TRUNCATED_STD if truncated else 1.0)
        return (self._normal(shape, dt, truncated) * std).astype(dt, copy=False)

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed settings: only the seed is configurable."""

    def get_config(self) -> dict:
        return {"seed": self.seed}


@serialization.register()
class GlorotUniform(_Preset):
    """Glorot (Xavier) uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
    Keras' default kernel initializer."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed)


@serialization.register()
class GlorotNormal(_Preset):
    """Glorot (Xavier) normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


@serialization.register()
class HeNormal(_Preset):
    """He normal: truncated normal with stddev sqrt(2 / fan_in); suited to ReLU layers."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


@serialization.register()
class HeUniform(_Preset):
    """He uniform: U(-limit, limit), limit = sqrt(6 / fan_in); suited to ReLU layers."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed)


@serialization.register()
class LecunNormal(_Preset):
    """LeCun normal: truncated normal with stddev sqrt(1 / fan_in); pairs with SELU."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


@serialization.register()
class LecunUniform(_Preset):
    """LeCun uniform: U(-limit, limit), limit = sqrt(3 / fan_in)."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(1.0, "fan_in", "uniform", seed)


@serialization.register()
class Orthogonal(_Random):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal draw.

    Shapes of rank > 2 are treated as a ``(prod(shape[:-1]), shape[-1])`` matrix; the output has
    orthonormal columns (or rows, when there are fewer rows than columns).

    Example:
        >>> import ember as em, numpy as np
        >>> q = em.initializers.Orthogonal(seed=1)((6, 4), dtype="float64")
        >>> np.allclose(q.T @ q, np.eye(4))
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        shape, dt = _shape(shape, "Orthogonal"), _float_dtype(dtype, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least 2 dimensions; got "
                             f"{shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = numpy.linalg.qr(a)
        q *= numpy.where(numpy.diag(r) < 0, -1.0, 1.0)  # a uniformly distributed Q (Mezzadri)
        if rows < cols:
            q = q.T
        return numpy.ascontiguousarray((self.gain * q).reshape(shape), dtype=dt)

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


OrthogonalInitializer = Orthogonal
