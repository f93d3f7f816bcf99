"""Regularizing noise layers of Keras 3: ``SpatialDropout1D/2D/3D``, ``GaussianDropout`` and
``AlphaDropout`` (``GaussianNoise`` is in ``layers/augmentation.py``, ``Dropout`` in
``layers/core.py``).

Each is the identity at inference and draws its noise only while training:

- SpatialDropout drops whole channels (feature maps) of a sample, the same channel at every
  position, scaling the kept ones by 1 / (1 - rate) — for convolutional features, whose
  neighbouring values are correlated so that plain dropout barely regularizes;
- GaussianDropout multiplies by noise from N(1, rate / (1 - rate));
- AlphaDropout (for SELU networks) sets dropped values to SELU's negative saturation and
  rescales so that mean and variance are kept.

``seed`` gives a layer its own generator.

Example:
    >>> import ember as em
    >>> x = em.ones((2, 5, 3))
    >>> out = em.layers.SpatialDropout1D(0.5, seed=0)(x, training=True).numpy()
    >>> bool(((out == 0) | (out == 2)).all()), bool((out == out[:, :1]).all())
    (True, True)
"""

from __future__ import annotations

import math
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers.base import Layer
from ember.layers.core import Dropout
from ember.ops.elementwise import mul
from ember.serialization import register


class _SpatialDropout(Dropout):
    """Dropout with one draw per (sample, channel)."""

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        fmt = "channels_last" if data_format is None else str(data_format).lower()
        if fmt not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last' or "
                             f"'channels_first'; got {data_format!r}")
        self.data_format = fmt

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != self.rank + 2:
            self._check_rank(inputs, self.rank + 2, "(batch, " + ", ".join(
                ["steps"] if self.rank == 1 else ["d1", "d2", "d3"][:self.rank]) + ", channels)")
        shape = [1] * inputs.ndim
        shape[0] = inputs.shape[0]
        channel = 1 if self.data_format == "channels_first" else -1
        shape[channel] = inputs.shape[channel]
        self.noise_shape = tuple(shape)
        try:
            return super().call(inputs, training)
        finally:
            self.noise_shape = None

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape", None)
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


@register()
class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels)."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)


@register()
class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, height, width, channels)."""

    rank = 2


@register()
class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of (batch, depth, height, width, channels)."""

    rank = 3


class _Noise(Layer):
    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"{type(self).__name__}: rate must be in [0, 1); got {rate!r}")
        self.rate, self.seed = float(rate), seed
        self._gen = None if seed is None else backend.numpy_module().random.default_rng(seed)
        self.supports_masking = True

    def _rng(self, x: Tensor) -> Any:
        xp = backend.xp_of(x.data)
        return backend.rng(xp) if self._gen is None else self._gen

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def _as(x: Tensor, arr: Any) -> Any:
    return backend.xp_of(x.data).asarray(arr).astype(x.data.dtype)


@register()
class GaussianDropout(_Noise):
    """Multiplicative noise ``x * N(1, sqrt(rate / (1 - rate)))`` while training."""

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self._rng(inputs).standard_normal(inputs.shape) * std + 1.0
        return mul(inputs, wrap_array(_as(inputs, noise)))


@register()
class AlphaDropout(_Noise):
    """Dropout that keeps SELU's self-normalizing mean and variance (Klambauer et al.)."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.noise_shape = None if noise_shape is None else list(noise_shape)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape if self.noise_shape is None else tuple(
            n if d is None else d for d, n in zip(self.noise_shape, inputs.shape))
        alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
        keep = _as(inputs, self._rng(inputs).random(shape) >= self.rate)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return inputs * wrap_array(keep * a) + wrap_array(_as(inputs, (1 - keep) * alpha_p * a + b))

    def get_config(self) -> dict:
        return {**super().get_config(), "noise_shape": self.noise_shape}
