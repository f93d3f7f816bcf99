"""``keras.random``: ``normal``, ``truncated_normal``, ``uniform``, ``categorical``,
``randint``, ``beta``, ``binomial``, ``gamma``, ``dropout``, ``shuffle`` and ``SeedGenerator``.

Without a seed the draws come from ember's generator (``em.utils.set_random_seed``); an int
seed or a ``SeedGenerator`` gives draws of their own, reproducible from the seed.

Example:
    >>> from ember import keras
    >>> gen = keras.random.SeedGenerator(42)
    >>> keras.random.normal((2, 3), seed=gen).shape
    (2, 3)
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor


class SeedGenerator:
    """A stream of random draws of its own (Keras' stateful seed)."""

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        if seed is not None and not isinstance(seed, int):
            raise TypeError(f"SeedGenerator: seed must be an int or None; got {seed!r}")
        self.name = name
        self.seed = seed
        xp = backend.numpy_module()
        self._rng = xp.random.default_rng(seed)

    def next(self) -> Any:
        return self._rng


def _rng(seed: Any) -> Any:
    if seed is None:
        return backend.rng(backend.numpy_module())
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, int):
        return backend.numpy_module().random.default_rng(seed)
    raise TypeError(f"keras.random: seed must be None, an int or a SeedGenerator; got "
                    f"{seed!r}")


def _shape(shape: Any) -> tuple:
    return (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
           seed: Any = None) -> Tensor:
    """Normally distributed values of ``shape``."""
    data = _rng(seed).normal(mean, stddev, size=_shape(shape))
    return as_tensor(data.astype(dtype or backend.floatx()))


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Tensor:
    """Normal values of ``shape`` with those beyond two standard deviations drawn again (as
    Keras and ``TruncatedNormal`` do), so every value lies in ``mean ± 2 stddev``."""
    rng = _rng(seed)
    data = rng.standard_normal(size=_shape(shape))
    outside = abs(data) > 2.0
    while outside.any():  # about 4.6 % of the draws each pass: a few passes at most
        data[outside] = rng.standard_normal(int(outside.sum()))
        outside = abs(data) > 2.0
    return as_tensor((mean + stddev * data).astype(dtype or backend.floatx()))


def _positive(who: str, **values: Any) -> None:
    xp = backend.numpy_module()
    for name, v in values.items():
        if not bool(xp.all(xp.asarray(v) > 0)):
            raise ValueError(f"keras.random.{who}: {name} must be > 0; got {v!r}")


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Gamma-distributed values of ``shape`` with concentration ``alpha`` and scale 1."""
    _positive("gamma", alpha=alpha)
    data = _rng(seed).gamma(alpha, 1.0, size=_shape(shape))
    return as_tensor(data.astype(dtype or backend.floatx()))


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Beta-distributed values in [0, 1] of ``shape`` (``alpha``, ``beta`` > 0)."""
    _positive("beta", alpha=alpha, beta=beta)
    data = _rng(seed).beta(alpha, beta, size=_shape(shape))
    return as_tensor(data.astype(dtype or backend.floatx()))


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None,
             seed: Any = None) -> Tensor:
    """The number of successes in ``counts`` trials of success probability
    ``probabilities``, as floats (Keras' default dtype is floatx)."""
    xp = backend.numpy_module()
    p = xp.asarray(probabilities, dtype="float64")
    if not bool(xp.all((p >= 0) & (p <= 1))):
        raise ValueError(f"keras.random.binomial: probabilities must be in [0, 1]; got "
                         f"{probabilities!r}")
    n = xp.asarray(counts)
    if not bool(xp.all(n >= 0)):
        raise ValueError(f"keras.random.binomial: counts must be >= 0; got {counts!r}")
    data = _rng(seed).binomial(n.astype("int64"), p, size=_shape(shape))
    return as_tensor(data.astype(dtype or backend.floatx()))


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
            seed: Any = None) -> Tensor:
    """Uniformly distributed values in [minval, maxval)."""
    data = _rng(seed).uniform(minval, maxval, size=_shape(shape))
    return as_tensor(data.astype(dtype or backend.floatx()))


def randint(shape: Any, minval: int, maxval: int, dtype: str = "int32",
            seed: Any = None) -> Tensor:
    """Random integers in [minval, maxval)."""
    return as_tensor(_rng(seed).integers(minval, maxval, size=_shape(shape)).astype(dtype))


def categorical(logits: Any, num_samples: int, dtype: str = "int32",
                seed: Any = None) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` (batch, classes), drawn from the
    softmax of each row; returns (batch, num_samples)."""
    xp = backend.numpy_module()
    z = xp.asarray(logits.data if isinstance(logits, Tensor) else logits, dtype="float64")
    if z.ndim != 2:
        raise ValueError(f"keras.random.categorical: logits must be 2-D (batch, classes); got "
                         f"shape {z.shape}")
    p = xp.exp(z - z.max(axis=1, keepdims=True))
    cdf = xp.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = _rng(seed).random((z.shape[0], num_samples))
    # inverse-CDF sampling, vectorised over rows and samples
    idx = (u[:, :, None] > cdf[:, None, :]).sum(axis=2)
    return as_tensor(xp.minimum(idx, z.shape[1] - 1).astype(dtype))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """``x`` with its entries permuted along ``axis``."""
    from ember.ops import take

    t = x if isinstance(x, Tensor) else as_tensor(x)
    perm = _rng(seed).permutation(t.shape[axis])
    return take(t, as_tensor(perm), axis=axis)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Tensor:
    """Zero each entry with probability ``rate`` and scale the rest by 1 / (1 - rate)."""
    t = inputs if isinstance(inputs, Tensor) else as_tensor(inputs)
    shape = t.shape if noise_shape is None else _shape(noise_shape)
    keep = (_rng(seed).random(shape) >= rate).astype(t.data.dtype) / (1.0 - rate)
    return t * as_tensor(keep)
