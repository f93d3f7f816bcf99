"""Image augmentation as plain functions on batches (N, H, W, C) — for data pipelines such as
``Dataset.map`` — with the same kernels as the ``RandomFlip`` / ``RandomRotation`` / ...
layers in ``ember.layers`` (which put augmentation inside the model instead).

Arrays in (NumPy or CuPy), arrays out; a Tensor in gives a Tensor out (gradients flow).
A single image (H, W, C) works too.

Example:
    >>> import numpy as np, ember as em
    >>> images = np.random.rand(4, 8, 8, 1).astype("float32")
    >>> bool((em.data.augment.rotate(images, 90.0) == np.rot90(images, 1, (1, 2))).all())
    True
    >>> ds = em.data.Dataset.from_arrays(images, np.arange(4), batch_size=2).map(
    ...     lambda x, y: (em.data.augment.random_augment(x, flip="horizontal", seed=0), y))
    >>> next(iter(ds))[0].shape
    (2, 8, 8, 1)
"""

from __future__ import annotations

import math
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers import augmentation as _layers
from ember.ops import affine as _affine
from ember.ops.shape import reshape

__all__ = ["affine_transform", "flip", "random_augment", "rotate", "translate", "zoom"]


def _as_batch(images: Any, who: str) -> tuple[Tensor, bool, bool]:
    """A float (N, H, W, C) Tensor, whether the input was a Tensor, and whether one image."""
    was_tensor = isinstance(images, Tensor)
    x = images if was_tensor else wrap_array(backend.get_array_module(images).asarray(images))
    if x.ndim not in (3, 4):
        raise ValueError(f"{who}: expected images (N, H, W, C) or one image (H, W, C); got "
                         f"shape {tuple(x.shape)}")
    if x.data.dtype.kind != "f":
        x = wrap_array(x.data.astype(backend.floatx()))
    single = x.ndim == 3
    if single:
        x = reshape(x, (1,) + tuple(x.shape))
    return x, was_tensor, single


def _finish(out: Tensor, was_tensor: bool, single: bool) -> Any:
    if single:
        out = reshape(out, tuple(out.shape[1:]))
    return out if was_tensor else out.data


def _per_image(xp: Any, value: Any, n: int) -> Any:
    arr = xp.asarray(value, dtype="float64").reshape(-1)
    if arr.shape[0] not in (1, n):
        raise ValueError(f"expected one value or one per image ({n}); got {arr.shape[0]}")
    return xp.broadcast_to(arr, (n,))


def affine_transform(images: Any, matrices: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0.0) -> Any:
    """Resample each image through its 2x3 output->input matrix (pixel coordinates, x along
    the width, y down); see ``ember.ops.affine`` for the conventions and fill modes."""
    x, was_tensor, single = _as_batch(images, "affine_transform")
    xp = backend.xp_of(x.data)
    m = xp.asarray(matrices, dtype="float64")
    if m.ndim == 2:
        m = xp.broadcast_to(m, (x.shape[0], 2, 3))
    out = _affine.affine_transform(x, m, interpolation, fill_mode, fill_value)
    return _finish(out, was_tensor, single)


def flip(images: Any, mode: str = "horizontal") -> Any:
    """Flip every image: "horizontal" (left-right), "vertical" or "horizontal_and_vertical"."""
    layer = _layers.RandomFlip(mode, rate=1.0)
    x, was_tensor, single = _as_batch(images, "flip")
    return _finish(layer(x, training=True), was_tensor, single)


def rotate(images: Any, degrees: Any, interpolation: str = "bilinear",
           fill_mode: str = "constant", fill_value: float = 0.0) -> Any:
    """Rotate counter-clockwise by ``degrees`` (one angle, or one per image) about the centre."""
    x, was_tensor, single = _as_batch(images, "rotate")
    n, h, w, _ = x.shape
    xp = backend.xp_of(x.data)
    m = _affine.rotation_matrices(xp, _per_image(xp, degrees, n) * (math.pi / 180.0), h, w)
    return _finish(_affine.affine_transform(x, m, interpolation, fill_mode, fill_value),
                   was_tensor, single)


def translate(images: Any, dx: Any = 0.0, dy: Any = 0.0, interpolation: str = "bilinear",
              fill_mode: str = "constant", fill_value: float = 0.0) -> Any:
    """Shift right by ``dx`` and down by ``dy`` pixels (numbers, or one per image)."""
    x, was_tensor, single = _as_batch(images, "translate")
    n = x.shape[0]
    xp = backend.xp_of(x.data)
    m = _affine.translation_matrices(xp, _per_image(xp, dx, n), _per_image(xp, dy, n))
    return _finish(_affine.affine_transform(x, m, interpolation, fill_mode, fill_value),
                   was_tensor, single)


def zoom(images: Any, scale: Any, scale_y: Any = None, interpolation: str = "bilinear",
         fill_mode: str = "constant", fill_value: float = 0.0) -> Any:
    """Magnify about the centre: ``scale`` 2.0 zooms in (content twice as large), 0.5 zooms
    out. ``scale_y`` sets the vertical scale separately (default: ``scale``)."""
    x, was_tensor, single = _as_batch(images, "zoom")
    n, h, w, _ = x.shape
    xp = backend.xp_of(x.data)
    sx = _per_image(xp, scale, n)
    sy = sx if scale_y is None else _per_image(xp, scale_y, n)
    if bool((sx <= 0).any()) or bool((sy <= 0).any()):
        raise ValueError("zoom: scales must be positive")
    m = _affine.zoom_matrices(xp, 1.0 / sx, 1.0 / sy, h, w)
    return _finish(_affine.affine_transform(x, m, interpolation, fill_mode, fill_value),
                   was_tensor, single)


def random_augment(images: Any, flip: str | None = None, rotation: Any = None,
                   translation: Any = None, zoom: Any = None, contrast: Any = None,
                   brightness: Any = None, noise: float | None = None,
                   fill_mode: str = "reflect", value_range: Any = (0, 255),
                   seed: int | None = None) -> Any:
    """Apply random augmentations to a batch, each image drawn independently, in the order
    flip, rotation, translation, zoom, contrast, brightness, noise.

    The arguments are the augmentation layers' factors: ``flip`` a RandomFlip mode,
    ``rotation`` a RandomRotation factor (a fraction of a full turn), ``translation`` a
    fraction for both axes or a pair (height_factor, width_factor), ``zoom`` a RandomZoom
    factor, ``contrast`` and ``brightness`` the RandomContrast / RandomBrightness factors
    for pixels in ``value_range``, ``noise`` a Gaussian standard deviation. ``seed`` makes
    the result reproducible (otherwise ``ember.backend.rng`` is used).
    """
    specs: list = []
    if flip:
        specs.append((_layers.RandomFlip, (flip,), {}))
    if rotation:
        specs.append((_layers.RandomRotation, (rotation,), {"fill_mode": fill_mode}))
    if translation:
        th, tw = translation if isinstance(translation, (tuple, list)) \
            else (translation, translation)
        specs.append((_layers.RandomTranslation, (th, tw), {"fill_mode": fill_mode}))
    if zoom:
        specs.append((_layers.RandomZoom, (zoom,), {"fill_mode": fill_mode}))
    if contrast:
        specs.append((_layers.RandomContrast, (contrast,), {"value_range": value_range}))
    if brightness:
        specs.append((_layers.RandomBrightness, (brightness,), {"value_range": value_range}))
    if noise:
        specs.append((_layers.GaussianNoise, (noise,), {}))
    x, was_tensor, single = _as_batch(images, "random_augment")
    for i, (cls, args, kwargs) in enumerate(specs):
        layer = cls(*args, seed=None if seed is None else seed + i, **kwargs)
        x = layer(x, training=True)
    return _finish(x, was_tensor, single)
