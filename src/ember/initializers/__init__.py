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

from typing import Any

from ember import serialization
from ember.initializers.base import Initializer, compute_fans
from ember.initializers.constant import Constant, Identity, Ones, Zeros
from ember.initializers.random import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    OrthogonalInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

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
