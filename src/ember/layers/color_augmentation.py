"""Colour augmentation layers (Keras 3 names, arguments, defaults and arithmetic).

AutoContrast, RandomGrayscale, RandomInvert, Solarization, RandomPosterization and
RandomColorDegeneration. As in Keras, ``value_range`` says what range the pixels are in
((0, 255) by default, (0, 1) for scaled images), each image of a batch draws its own
parameters, and the random ones change their input only when training (a direct call
``layer(images)`` counts as training, as in Keras; ``fit`` passes ``training=True`` and
``predict`` ``training=False``). AutoContrast is not random: it applies at inference too.

Example:
    >>> import numpy as np, ember as em
    >>> images = np.random.default_rng(0).uniform(0, 255, (4, 8, 8, 3)).astype("float32")
    >>> gray = em.layers.RandomGrayscale(factor=1.0)(images)
    >>> bool(np.allclose(gray.numpy()[..., 0], gray.numpy()[..., 2]))
    True
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers.augmentation import _RandomImageLayer, _value_range
from ember.ops.elementwise import add, clip, div, mul, sub, where
from ember.ops.reduction import max as reduce_max
from ember.ops.reduction import min as reduce_min
from ember.ops.reduction import sum as reduce_sum
from ember.serialization import register

# ITU-R 601 luma weights, as tf.image.rgb_to_grayscale and keras.ops.image use them
_LUMA = (0.2989, 0.5870, 0.1140)


def _factor_pair(factor: Any, bounds: tuple, who: str, name: str = "factor",
                 number_from_zero: bool = False) -> tuple:
    """Keras' factor rule: a pair (lower, upper) inside ``bounds``, or a number f standing
    for (max(-f, low bound), f) (or (0, f) where ``number_from_zero``)."""
    lo, hi = bounds
    if isinstance(factor, (list, tuple)) and len(factor) == 2 and \
            all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in factor):
        a, b = sorted(float(v) for v in factor)
        if a >= lo and b <= hi:
            return a, b
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool) and \
            lo <= factor <= hi:
        f = abs(float(factor))
        return (0.0, f) if number_from_zero else (max(-f, lo), f)
    raise ValueError(f"{who}: {name} must be a number or a pair of numbers in [{lo}, {hi}]; "
                     f"got {factor!r}")


def _to_255(x: Tensor, value_range: tuple) -> Tensor:
    lo, hi = value_range
    return x if (lo, hi) == (0.0, 255.0) else mul(sub(x, lo), 255.0 / (hi - lo))


def _from_255(x: Tensor, value_range: tuple) -> Tensor:
    lo, hi = value_range
    return x if (lo, hi) == (0.0, 255.0) else add(mul(x, (hi - lo) / 255.0), lo)


def _per_image(xp: Any, values: Any, dtype: Any) -> Tensor:
    return wrap_array(xp.asarray(values, dtype=dtype).reshape(-1, 1, 1, 1))


def _grayscale(x: Tensor, who: str) -> Tensor:
    """The luma of an RGB batch (N, H, W, 1); a one-channel batch is already gray."""
    channels = x.shape[-1]
    if channels == 1:
        return x
    if channels != 3:
        raise ValueError(f"{who}: expects RGB (3 channels) or grayscale (1 channel) images; "
                         f"got {channels} channels")
    xp = backend.xp_of(x.data)
    w = wrap_array(xp.asarray(_LUMA, dtype=x.data.dtype))
    return reduce_sum(mul(x, w), axis=-1, keepdims=True)


class _ColorLayer(_RandomImageLayer):
    """Keras' image preprocessing layers augment unless told they are not training."""

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range, type(self).__name__)

    def get_config(self) -> dict:
        return {**super().get_config(), "value_range": list(self.value_range)}


@register()
class AutoContrast(_ColorLayer):
    """Stretch each channel of each image to the whole ``value_range``: its darkest pixel
    becomes the range's low end and its brightest the high end. Deterministic, applied at
    inference too; a constant channel is left as it is."""

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any) -> None:
        super().__init__(value_range=value_range, **kwargs)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        return super().call(inputs, training=True)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        y = _to_255(x, self.value_range)
        low = reduce_min(y, axis=(1, 2), keepdims=True)
        high = reduce_max(y, axis=(1, 2), keepdims=True)
        flat = xp.asarray(high.data == low.data)  # Keras' 0/0 gives NaN there: keep the input
        span = where(wrap_array(flat), 1.0, sub(high, low))
        out = _from_255(clip(mul(sub(y, low), div(255.0, span)), 0.0, 255.0),
                        self.value_range)
        return where(wrap_array(xp.broadcast_to(flat, out.shape)), x, out)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("seed", None)
        return config


@register()
class RandomGrayscale(_ColorLayer):
    """Turn each image gray with probability ``factor`` (its luma copied into every
    channel, so the number of channels stays)."""

    def __init__(self, factor: float = 0.5, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or \
                not 0 <= factor <= 1:
            raise ValueError(f"RandomGrayscale: factor must be a probability in [0, 1]; got "
                             f"{factor!r}")
        self.factor = float(factor)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        apply = rng.uniform(0.0, 1.0, x.shape[0]) < self.factor
        return where(wrap_array(apply.reshape(-1, 1, 1, 1)), _grayscale(x, "RandomGrayscale"),
                     x)

    def get_config(self) -> dict:
        config = {**super().get_config(), "factor": self.factor}
        config.pop("value_range")
        return config


@register()
class RandomInvert(_ColorLayer):
    """Invert images (``high - x`` for ``value_range=(low, high)``): each image draws a
    probability p in ``factor``'s range and is inverted when a uniform draw falls below p
    (Keras' rule: ``factor=1.0`` inverts about half of the images, ``(1.0, 1.0)`` all)."""

    def __init__(self, factor: Any = 1.0, value_range: Any = (0, 255),
                 seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(value_range=value_range, seed=seed, data_format=data_format,
                         **kwargs)
        self.range = _factor_pair(factor, (0.0, 1.0), "RandomInvert")
        self.factor = list(self.range)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        n = x.shape[0]
        p = rng.uniform(*self.range, n)
        apply = rng.uniform(0.0, 1.0, n) < p
        return where(wrap_array(apply.reshape(-1, 1, 1, 1)), sub(self.value_range[1], x), x)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


@register()
class Solarization(_ColorLayer):
    """Add a random amount to each image (``addition_factor``, a fraction of 255) and
    invert the pixels at or above a random threshold (``threshold_factor``, a fraction of
    255), in the 0..255 scale whatever ``value_range`` is."""

    def __init__(self, addition_factor: Any = 0.0, threshold_factor: Any = 0.0,
                 value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.addition_range = _factor_pair(addition_factor, (0.0, 1.0), "Solarization",
                                           "addition_factor", number_from_zero=True)
        self.threshold_range = _factor_pair(threshold_factor, (0.0, 1.0), "Solarization",
                                            "threshold_factor", number_from_zero=True)
        self.addition_factor = list(self.addition_range)
        self.threshold_factor = list(self.threshold_range)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        n, dt = x.shape[0], x.data.dtype
        # Keras draws from [lower, upper * 255]: the lower end is not scaled (kept as is)
        add_lo, add_hi = self.addition_range
        thr_lo, thr_hi = self.threshold_range
        additions = _per_image(xp, rng.uniform(add_lo, add_hi * 255.0, n), dt)
        thresholds = _per_image(xp, rng.uniform(thr_lo, thr_hi * 255.0, n), dt)
        y = clip(add(_to_255(x, self.value_range), additions), 0.0, 255.0)
        solarized = where(wrap_array(y.data < thresholds.data), y, sub(255.0, y))
        return _from_255(solarized, self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


@register()
class RandomPosterization(_ColorLayer):
    """Keep only the top ``bits`` bits of each 0..255 pixel value, ``bits`` drawn per image
    from [factor lower, factor upper) (a number f: [1, f)) or fixed where both are equal.
    The result is a step function of the input, so no gradient flows through it."""

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(value_range=value_range, seed=seed, data_format=data_format,
                         **kwargs)
        lo, hi = _factor_pair(factor, (1, 8), "RandomPosterization")
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"RandomPosterization: factor must be whole numbers of bits in "
                             f"[1, 8]; got {factor!r}")
        self.range = (int(lo), int(hi))
        self.factor = list(self.range)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        n = x.shape[0]
        lo, hi = self.range
        bits = rng.integers(lo, hi, n) if lo != hi else xp.full(n, lo)
        shift = (8 - bits).astype("uint8").reshape(-1, 1, 1, 1)
        y = _to_255(x, self.value_range).data.astype("uint8")
        kept = ((y >> shift) << shift).astype(x.data.dtype)
        return _from_255(wrap_array(kept), self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


@register()
class RandomColorDegeneration(_ColorLayer):
    """Blend each image towards its grayscale version by a random amount in ``factor``'s
    range (0: unchanged, 1: gray), clipped to ``value_range``."""

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(value_range=value_range, seed=seed, data_format=data_format,
                         **kwargs)
        self.range = _factor_pair(factor, (0.0, 1.0), "RandomColorDegeneration")
        self.factor = list(self.range)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        amount = _per_image(xp, rng.uniform(*self.range, x.shape[0]), x.data.dtype)
        gray = _grayscale(x, "RandomColorDegeneration")
        return clip(add(x, mul(amount, sub(gray, x))), *self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}
