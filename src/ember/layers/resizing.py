"""Image size layers of Keras 3: ``Resizing``, ``CenterCrop`` and ``RandomCrop``.

Images are (batch, height, width, channels), or one image (height, width, channels);
``data_format="channels_first"`` is accepted. Integer images come out of the crops as
floats and out of ``Resizing`` as integers of their dtype (rounded and clipped, as Keras).
Resampling is ``ember.ops.resize`` (bilinear or nearest, half-pixel centers, as Keras on JAX).

- ``Resizing(h, w)`` resizes; ``crop_to_aspect_ratio`` first takes the largest centered crop
  with the target's aspect ratio; ``pad_to_aspect_ratio`` pads with ``fill_value`` instead.
- ``CenterCrop(h, w)`` takes the centered h x w window (resizing with an aspect-ratio crop
  when the image is smaller).
- ``RandomCrop(h, w)`` takes a random h x w window while training (one offset per batch, as
  Keras) and at inference does what ``Resizing(h, w, crop_to_aspect_ratio=True)`` does.

Example:
    >>> import ember as em
    >>> em.layers.Resizing(4, 6)(em.ones((2, 8, 8, 3))).shape
    (2, 4, 6, 3)
    >>> em.layers.CenterCrop(2, 2)(em.ones((1, 5, 5, 1))).shape
    (1, 2, 2, 1)
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers.base import Layer
from ember.ops.misc import astype
from ember.ops.resize import METHODS, resize
from ember.ops.shape import expand_dims, getitem, pad, squeeze, transpose
from ember.serialization import register


def _positive(value: Any, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive int; got {value!r}")
    return value


class _ImageSize(Layer):
    """Shared: target size, data format, single images, float conversion, shapes."""

    _keeps_integers = False  # Resizing returns integer images as integers (Keras on JAX)

    def __init__(self, height: int, width: int, data_format: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        who = type(self).__name__
        self.height = _positive(height, "height", who)
        self.width = _positive(width, "width", who)
        fmt = "channels_last" if data_format is None else str(data_format).lower()
        if fmt not in ("channels_last", "channels_first"):
            raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first'; "
                             f"got {data_format!r}")
        self.data_format = fmt

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        x = inputs
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}': expects images (batch, "
                             f"height, width, channels) or one image; got shape "
                             f"{tuple(x.shape)}")
        int_dtype = x.data.dtype if x.data.dtype.kind in "iub" else None
        if int_dtype is not None:
            x = astype(x, backend.floatx())
        single = x.ndim == 3
        if single:
            x = expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = transpose(x, (0, 2, 3, 1))
        y = self._transform(x, training)
        if self.data_format == "channels_first":
            y = transpose(y, (0, 3, 1, 2))
        if int_dtype is not None and self._keeps_integers:  # rounded and clipped, as JAX
            xp = backend.xp_of(y.data)
            info = xp.iinfo(int_dtype) if int_dtype.kind != "b" else None
            arr = xp.round(y.data)
            if info is not None:
                arr = xp.clip(arr, info.min, info.max)
            y = wrap_array(arr.astype(int_dtype))
        return squeeze(y, 0) if single else y

    def _transform(self, x: Tensor, training: Any) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        out = list(input_shape)
        first = len(out) - 3 + (1 if self.data_format == "channels_first" else 0)
        out[first], out[first + 1] = self.height, self.width
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "data_format": self.data_format}


def aspect_crop(x: Tensor, height: int, width: int) -> Tensor:
    """The largest centered crop of a (N, H, W, C) batch with the aspect ratio width:height
    (Keras' arithmetic, truncating)."""
    h, w = x.shape[1], x.shape[2]
    crop_h = max(min(h, int(float(w * height) / width)), 1)
    crop_w = max(min(w, int(float(h * width) / height)), 1)
    top, left = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
    return getitem(x, (slice(None), slice(top, top + crop_h), slice(left, left + crop_w)))


@register()
class Resizing(_ImageSize):
    """Resize images to (height, width) (see the module docstring)."""

    _keeps_integers = True

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_mode: str = "constant", fill_value: float = 0.0, antialias: bool = False,
                 data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(height, width, data_format, **kwargs)
        if interpolation not in METHODS:
            raise NotImplementedError(f"Resizing: interpolation {interpolation!r} is not "
                                      f"supported; use one of {METHODS}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of pad_to_aspect_ratio and "
                             "crop_to_aspect_ratio can be True")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: fill_mode must be 'constant'; got {fill_mode!r}")
        if antialias:
            raise NotImplementedError("Resizing: antialias=True is not supported")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value, self.antialias = fill_mode, float(fill_value), False

    def _transform(self, x: Tensor, training: Any) -> Tensor:
        if self.crop_to_aspect_ratio:
            x = aspect_crop(x, self.height, self.width)
        elif self.pad_to_aspect_ratio:  # Keras pads the same amount on both sides
            h, w = x.shape[1], x.shape[2]
            pad_h = max(h, int(float(w * self.height) / self.width))
            pad_w = max(w, int(float(h * self.width) / self.height))
            top, left = int(float(pad_h - h) / 2), int(float(pad_w - w) / 2)
            if top > 0:
                x = pad(x, ((0, 0), (top, top), (0, 0), (0, 0)), constant_values=self.fill_value)
            elif left > 0:
                x = pad(x, ((0, 0), (0, 0), (left, left), (0, 0)),
                        constant_values=self.fill_value)
        return resize(x, (self.height, self.width), self.interpolation)

    def get_config(self) -> dict:
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


@register()
class CenterCrop(_ImageSize):
    """The centered (height, width) window of each image."""

    def _transform(self, x: Tensor, training: Any) -> Tensor:
        h, w = x.shape[1], x.shape[2]
        if h < self.height or w < self.width:  # Keras' smart_resize
            return resize(aspect_crop(x, self.height, self.width), (self.height, self.width))
        top, left = (h - self.height) // 2, (w - self.width) // 2
        return getitem(x, (slice(None), slice(top, top + self.height),
                           slice(left, left + self.width)))


@register()
class RandomCrop(_ImageSize):
    """A random (height, width) window while training; a centered aspect-ratio crop and a
    resize at inference (Keras' behaviour)."""

    def __init__(self, height: int, width: int, seed: int | None = None,
                 data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(height, width, data_format, **kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"RandomCrop: seed must be an integer or None; got {seed!r}")
        self.seed = seed
        self._rng = None if seed is None else backend.numpy_module().random.default_rng(seed)

    def _transform(self, x: Tensor, training: Any) -> Tensor:
        h, w = x.shape[1], x.shape[2]
        if (training is None or training) and h > self.height and w > self.width:
            rng = self._rng or backend.rng(backend.numpy_module())
            top = int(rng.integers(0, h - self.height + 1))
            left = int(rng.integers(0, w - self.width + 1))
            return getitem(x, (slice(None), slice(top, top + self.height),
                               slice(left, left + self.width)))
        x = aspect_crop(x, self.height, self.width)
        if x.shape[1:3] != (self.height, self.width):
            x = resize(x, (self.height, self.width))
        return x

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}
