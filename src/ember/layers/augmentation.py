"""Random image augmentation layers (Keras 3 names, arguments and defaults).

RandomFlip, RandomRotation, RandomTranslation, RandomZoom, RandomContrast, RandomBrightness
and GaussianNoise. Each changes its input only while training: ``fit`` passes
``training=True``, and a direct call ``layer(images)`` counts as training too, as in Keras
(GaussianNoise excepted: like Keras' it needs ``training=True``); under ``predict`` /
``evaluate`` (``training=False``) it returns the input tensor itself, untouched. Images are
channels-last (N, H, W, C) (or one image (H, W, C)); ``data_format="channels_first"`` is
accepted too. Every draw is vectorized over the batch (one random parameter per image, no
per-image Python loop); the geometric layers resample the whole batch with one batched affine
transform (``ember.ops.affine``). ``seed`` gives a layer its own random generator (the
same seed, the same augmentations); without it they draw from ``ember.backend.rng``, which
``em.utils.set_random_seed`` seeds. All of them pass gradients through to their input.

Example:
    >>> import numpy as np, ember as em
    >>> aug = em.Sequential([em.layers.RandomFlip("horizontal", seed=1),
    ...                      em.layers.RandomRotation(0.1, seed=2)])
    >>> images = np.random.rand(8, 28, 28, 1).astype("float32")
    >>> aug(images, training=True).shape
    (8, 28, 28, 1)
    >>> bool((aug(images, training=False).numpy() == images).all())   # inference: unchanged
    True
"""

from __future__ import annotations

import math
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers.base import Layer
from ember.ops import affine as _affine
from ember.ops.elementwise import add, clip, mul, sub, where
from ember.ops.misc import astype
from ember.ops.reduction import mean
from ember.ops.shape import expand_dims, getitem, squeeze, transpose
from ember.serialization import register


def _factor_range(value: Any, name: str, who: str, bounds: tuple = (-1.0, 1.0)) -> tuple:
    """Keras' factor convention: ``f`` means (-|f|, |f|); a pair is (lower, upper)."""
    lo_b, hi_b = bounds
    msg = (f"{who}: {name} must be a number or a pair (lower, upper) of numbers in "
           f"[{lo_b}, {hi_b}]; got {value!r}")
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or not all(_is_number(v) for v in value):
            raise ValueError(msg)
        lower, upper = sorted(float(v) for v in value)
    elif _is_number(value):
        lower, upper = -abs(float(value)), abs(float(value))
    else:
        raise ValueError(msg)
    if lower < lo_b or upper > hi_b:
        raise ValueError(msg)
    return lower, upper


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _jsonable_factor(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class _RandomImageLayer(Layer):
    """What the augmentation layers share: the training gate, seeding, float conversion,
    single images and channels-first input. Subclasses write ``_augment(x, xp, rng)`` for
    a float channels-last batch."""

    def __init__(self, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"{type(self).__name__}: seed must be an integer or None; got "
                             f"{seed!r}")
        fmt = "channels_last" if data_format is None else str(data_format).lower()
        if fmt not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last' or "
                             f"'channels_first'; got {data_format!r}")
        self.seed = seed
        self.data_format = fmt
        self._rngs: dict = {}

    def _rng(self, xp: Any) -> Any:
        if self.seed is None:
            return backend.rng(xp)
        gen = self._rngs.get(xp.__name__)
        if gen is None:
            gen = self._rngs[xp.__name__] = xp.random.default_rng(self.seed)
        return gen

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        # Keras' image preprocessing layers take ``training=True`` by default: called
        # directly (no fit, no predict around them) they augment; predict says False
        if training is not None and not training:
            return inputs
        x = inputs
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images (batch, "
                             f"height, width, channels) or one image (height, width, "
                             f"channels); got shape {tuple(x.shape)}")
        if x.data.dtype.kind != "f":
            x = astype(x, self._np_dtype)
        single = x.ndim == 3
        if single:
            x = expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = transpose(x, (0, 2, 3, 1))
        xp = backend.xp_of(x.data)
        out = self._augment(x, xp, self._rng(xp))
        if self.data_format == "channels_first":
            out = transpose(out, (0, 3, 1, 2))
        return squeeze(out, 0) if single else out

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


@register()
class RandomFlip(_RandomImageLayer):
    """Flip each image left-right and/or top-bottom, each with probability ``rate``.

    ``mode`` is ``"horizontal"`` (left-right), ``"vertical"`` (top-bottom) or
    ``"horizontal_and_vertical"`` (default; the two flips are drawn independently).
    ``rate`` (default 0.5, an ember addition) is the probability of each flip.
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, rate: float = 0.5, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"RandomFlip: mode must be one of {self._MODES}; got {mode!r}")
        if not _is_number(rate) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"RandomFlip: rate is a probability in [0, 1]; got {rate!r}")
        self.mode = mode
        self.rate = float(rate)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        n = x.shape[0]
        every = slice(None)
        for axis, name in ((2, "horizontal"), (1, "vertical")):
            if name not in self.mode:
                continue
            flip = (rng.random(n) < self.rate).reshape(n, 1, 1, 1)
            index = (every,) * axis + (slice(None, None, -1),)
            x = where(flip, getitem(x, index), x)
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode, "rate": self.rate}


class _GeometricLayer(_RandomImageLayer):
    """Shared arguments of the affine augmentations: fill mode, interpolation, fill value."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        who = type(self).__name__
        if fill_mode not in _affine.FILL_MODES:
            raise ValueError(f"{who}: fill_mode must be one of {_affine.FILL_MODES}; got "
                             f"{fill_mode!r}")
        if interpolation not in _affine.INTERPOLATIONS:
            raise ValueError(f"{who}: interpolation must be one of {_affine.INTERPOLATIONS}; "
                             f"got {interpolation!r}")
        if not _is_number(fill_value):
            raise ValueError(f"{who}: fill_value must be a number; got {fill_value!r}")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        n, h, w, _ = x.shape
        return _affine.affine_transform(x, self._matrices(xp, rng, n, h, w),
                                        self.interpolation, self.fill_mode, self.fill_value)

    def _matrices(self, xp: Any, rng: Any, n: int, h: int, w: int) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


def _uniform(rng: Any, lower: float, upper: float, n: int) -> Any:
    return rng.uniform(lower, upper, size=n)


@register()
class RandomRotation(_GeometricLayer):
    """Rotate each image by a random angle about its centre.

    ``factor`` is a fraction of a full turn (2*pi): ``0.1`` draws angles in
    [-36, 36] degrees, ``(-0.2, 0.3)`` in [-72, 108]; positive angles turn counter-clockwise.
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor_range(factor, "factor", "RandomRotation")
        self._factor_arg = _jsonable_factor(factor)

    def _matrices(self, xp: Any, rng: Any, n: int, h: int, w: int) -> Any:
        turns = _uniform(rng, *self.factor, n)
        return _affine.rotation_matrices(xp, turns * (2.0 * math.pi), h, w)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self._factor_arg}


@register()
class RandomTranslation(_GeometricLayer):
    """Shift each image by a random fraction of its height and width.

    ``height_factor=0.2`` shifts by up to 20% of the height up or down (positive: down);
    ``width_factor`` likewise left or right (positive: right); pairs give (lower, upper).
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_range = _factor_range(height_factor, "height_factor", "RandomTranslation")
        self.width_range = _factor_range(width_factor, "width_factor", "RandomTranslation")
        self.height_factor = _jsonable_factor(height_factor)
        self.width_factor = _jsonable_factor(width_factor)

    def _matrices(self, xp: Any, rng: Any, n: int, h: int, w: int) -> Any:
        dy = _uniform(rng, *self.height_range, n) * h
        dx = _uniform(rng, *self.width_range, n) * w
        return _affine.translation_matrices(xp, dx, dy)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


@register()
class RandomZoom(_GeometricLayer):
    """Zoom each image in or out by a random amount about its centre.

    ``height_factor=0.2`` zooms vertically by a factor in [0.8, 1.2] of the field of view:
    positive values zoom out (the image shrinks), negative values zoom in. ``width_factor``
    does the same horizontally; None (default) uses the vertical zoom, keeping the aspect.
    """

    def __init__(self, height_factor: Any, width_factor: Any = None,
                 fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_range = _factor_range(height_factor, "height_factor", "RandomZoom")
        self.width_range = None if width_factor is None else \
            _factor_range(width_factor, "width_factor", "RandomZoom")
        self.height_factor = _jsonable_factor(height_factor)
        self.width_factor = _jsonable_factor(width_factor)

    def _matrices(self, xp: Any, rng: Any, n: int, h: int, w: int) -> Any:
        zy = 1.0 + _uniform(rng, *self.height_range, n)
        zx = zy if self.width_range is None else 1.0 + _uniform(rng, *self.width_range, n)
        return _affine.zoom_matrices(xp, zx, zy, h, w)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


def _value_range(value: Any, who: str) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != 2 or \
            not all(_is_number(v) for v in value) or value[0] == value[1]:
        raise ValueError(f"{who}: value_range must be a pair (low, high) of numbers, e.g. "
                         f"(0, 255) or (0, 1); got {value!r}")
    lo, hi = sorted(float(v) for v in value)
    return lo, hi


def _per_image(xp: Any, values: Any, dtype: Any) -> Tensor:
    """One value per image as a constant (N, 1, 1, 1) tensor of the images' dtype."""
    return wrap_array(xp.asarray(values, dtype=dtype).reshape(-1, 1, 1, 1))


@register()
class RandomContrast(_RandomImageLayer):
    """Scale each image's deviation from its per-channel mean by a random factor.

    Each pixel ``x`` becomes ``(x - mean) * c + mean`` with ``c`` drawn per image from
    [1 - lower, 1 + upper] (``factor=0.2`` means [0.8, 1.2]), then clipped to ``value_range``.
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if _is_number(factor):
            if not 0 <= factor <= 1:
                raise ValueError(f"RandomContrast: factor must be in [0, 1]; got {factor!r}")
            self.lower = self.upper = float(factor)
        else:
            if not isinstance(factor, (list, tuple)) or len(factor) != 2 or \
                    not all(_is_number(v) and 0 <= v <= 1 for v in factor):
                raise ValueError(f"RandomContrast: factor must be a number or a pair (lower, "
                                 f"upper) in [0, 1]; got {factor!r}")
            self.lower, self.upper = float(factor[0]), float(factor[1])
        self.factor = _jsonable_factor(factor)
        self.value_range = _value_range(value_range, "RandomContrast")

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        c = _per_image(xp, rng.uniform(1.0 - self.lower, 1.0 + self.upper, x.shape[0]),
                       x.data.dtype)
        m = mean(x, axis=(1, 2), keepdims=True)
        return clip(add(mul(sub(x, m), c), m), *self.value_range)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


@register()
class RandomBrightness(_RandomImageLayer):
    """Add a random offset to each image: ``factor`` in [-1, 1] is a fraction of
    ``value_range`` (``0.2`` adds up to +-20% of 255 by default); the result is clipped to
    ``value_range``."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.range = _factor_range(factor, "factor", "RandomBrightness")
        self.factor = _jsonable_factor(factor)
        self.value_range = _value_range(value_range, "RandomBrightness")

    def _augment(self, x: Tensor, xp: Any, rng: Any) -> Tensor:
        lo, hi = self.value_range
        delta = _per_image(xp, rng.uniform(*self.range, x.shape[0]) * (hi - lo), x.data.dtype)
        return clip(add(x, delta), lo, hi)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


@register()
class GaussianNoise(Layer):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` while training (a
    regularizer for any input, not only images); the identity at inference."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not _is_number(stddev) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a number >= 0; got {stddev!r}")
        self.stddev = float(stddev)
        self.seed = seed
        self._rngs: dict = {}
        self.supports_masking = True

    _rng = _RandomImageLayer._rng

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if not training or self.stddev == 0:
            return inputs
        x = inputs if inputs.data.dtype.kind == "f" else astype(inputs, self._np_dtype)
        xp = backend.xp_of(x.data)
        dt = x.data.dtype
        draw_dt = dt if dt.name in ("float32", "float64") else "float32"  # no float16 draws
        noise = self._rng(xp).standard_normal(x.shape, dtype=draw_dt).astype(dt, copy=False)
        noise *= dt.type(self.stddev)
        return add(x, wrap_array(noise))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
