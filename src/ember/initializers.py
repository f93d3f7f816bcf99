"""Weight initializers, as ``keras.initializers``: ``Dense(64, kernel_initializer="he_normal")``.

An initializer is called as ``init(shape, dtype=None)`` and returns a NumPy array of that shape
(dtype default: ``em.floatx()``); the layer wraps it in a Tensor on its device. Random ones draw
from ember's global generator (``em.utils.set_random_seed`` makes them reproducible); passing
``seed=`` gives a private generator, and then every call returns the same values (as Keras).

The variance-scaling family (Glorot, He, LeCun) scales by the fans of the weight: a Dense kernel
``(in, out)`` has fan_in = in and fan_out = out; a convolution kernel ``(kh, kw, in, out)`` has
fan_in = kh * kw * in and fan_out = kh * kw * out.

Example:
    >>> import ember as em
    >>> w = em.initializers.get("glorot_uniform")((784, 128))
    >>> w.shape, w.dtype.name
    ((784, 128), 'float32')
    >>> bool(abs(w).max() <= (6 / (784 + 128)) ** 0.5)
    True
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from ember import backend, serialization

_TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


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


@serialization.register()
class Zeros(Initializer):
    """All zeros (Keras' default bias initializer)."""

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        return numpy.zeros(_shape(shape, "Zeros"), dtype=dtype or backend.floatx())


@serialization.register()
class Ones(Initializer):
    """All ones (BatchNormalization's default gamma)."""

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        return numpy.ones(_shape(shape, "Ones"), dtype=dtype or backend.floatx())


@serialization.register()
class Constant(Initializer):
    """Every value equal to ``value`` (a number, or an array broadcastable to the shape)."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value.tolist() if hasattr(value, "tolist") else value

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        shape = _shape(shape, "Constant")
        value = numpy.asarray(self.value, dtype=dtype or backend.floatx())
        try:
            return numpy.broadcast_to(value, shape).copy()
        except ValueError:
            raise ValueError(f"Constant: a value of shape {value.shape} does not broadcast to "
                             f"the weight shape {shape}") from None

    def get_config(self) -> dict:
        return {"value": self.value}


@serialization.register()
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape: Any, dtype: Any = None) -> numpy.ndarray:
        shape = _shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(f"Identity: only 2-D shapes are supported; got {shape}")
        return (self.gain * numpy.eye(*shape)).astype(dtype or backend.floatx())

    def get_config(self) -> dict:
        return {"gain": self.gain}


_CLASSES = (Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
            LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling)


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return out


_BY_NAME: dict[str, type] = {}
for _cls in _CLASSES:
    _BY_NAME[_cls.__name__] = _cls
    _BY_NAME[_snake(_cls.__name__)] = _cls
_BY_NAME.update({"uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,
                 "OrthogonalInitializer": Orthogonal, "orthogonal_initializer": Orthogonal})

# snake_case aliases: `em.initializers.glorot_uniform()` builds the class, as in Keras
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform = HeNormal, HeUniform
lecun_normal, lecun_uniform = LecunNormal, LecunUniform
orthogonal, zeros, ones, constant, identity = Orthogonal, Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling


def names() -> list[str]:
    """The names ``get`` accepts."""
    return sorted(_BY_NAME)


def get(identifier: Any) -> Any:
    """The initializer for ``identifier``: a name (``"he_normal"``, ``"GlorotUniform"``, ...),
    a class (instantiated), a serialized dict, or a callable ``f(shape, dtype)`` (returned as
    is). None gives None.

    Example:
        >>> import ember as em
        >>> em.initializers.get("zeros")((2,))
        array([0., 0.], dtype=float32)
    """
    return serialization.resolve(identifier, _BY_NAME, "initializer", "glorot_uniform",
                                 "f(shape, dtype)")


def serialize(initializer: Any) -> Any:
    """``{"class_name": ..., "config": ...}`` for a saved model."""
    return serialization.serialize(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what ``serialize`` produced."""
    return get(serialization.deserialize(config, custom_objects)
               if isinstance(config, dict) else config)


__all__ = ["Initializer", "compute_fans", "get", "serialize", "deserialize", "names",
           *(c.__name__ for c in _CLASSES), "OrthogonalInitializer", "glorot_uniform",
           "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
           "orthogonal", "zeros", "ones", "constant", "identity", "random_normal",
           "random_uniform", "truncated_normal", "variance_scaling"]
