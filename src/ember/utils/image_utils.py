"""Images as arrays and back, as ``keras.utils``: ``load_img``, ``img_to_array``,
``array_to_img``, ``save_img``, and ``resize`` (bilinear with half-pixel centres, the same
numbers as Keras' ``ops.image.resize``), on Pillow (the ``image`` extra).

Arrays are channels-last ``(height, width, channels)`` float32 in [0, 255], as in Keras.

Example:
    >>> import numpy as np
    >>> from ember.utils.image_utils import resize
    >>> resize(np.array([[0.0, 10.0]])[..., None], (1, 4))[0, :, 0].tolist()
    [0.0, 2.5, 7.5, 10.0]
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings
from typing import Any

import numpy as np

COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}
PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def pil_image() -> Any:
    """The ``PIL.Image`` module, or an ImportError naming the extra to install."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("ember's image functions need Pillow: pip install 'ember[image]' "
                          "(or pip install pillow)") from None
    return Image


def load_img(path: Any, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False) -> Any:
    """Open an image file as a PIL image converted to ``color_mode``, resized with PIL to
    ``target_size=(height, width)`` when given (centre-cropped to its aspect ratio first
    with ``keep_aspect_ratio=True``), as ``keras.utils.load_img``.

    Example::

        img = em.utils.load_img("cat.png", target_size=(224, 224))
        x = em.utils.img_to_array(img)          # (224, 224, 3) float32
    """
    image = pil_image()
    if color_mode not in COLOR_MODES:
        raise ValueError(f"load_img: color_mode must be 'grayscale', 'rgb' or 'rgba'; got "
                         f"{color_mode!r}")
    img = _open(image, path, "load_img")
    img = _convert(img, color_mode)
    if target_size is None:
        return img
    resample = _pil_filters(image)
    if interpolation not in resample:
        raise ValueError(f"load_img: interpolation must be one of {sorted(resample)}; got "
                         f"{interpolation!r}")
    height, width = (int(v) for v in target_size)
    if img.size == (width, height):
        return img
    box = None
    if keep_aspect_ratio:
        w, h = img.size
        crop_h, crop_w = min(h, (w * height) // width), min(w, (h * width) // height)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize((width, height), resample[interpolation], box=box)


def img_to_array(img: Any, data_format: str = "channels_last", dtype: str = "float32"
                 ) -> np.ndarray:
    """A PIL image as a ``(height, width, channels)`` array (a grayscale image gets one
    channel), as ``keras.utils.img_to_array``."""
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x: Any, data_format: str = "channels_last", scale: bool = True,
                 dtype: str = "float32") -> Any:
    """A ``(height, width, 1|3|4)`` array as a PIL image; ``scale=True`` stretches the
    values to [0, 255] first (min to 0, max to 255), as ``keras.utils.array_to_img``."""
    image = pil_image()
    x = np.array(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an image array of rank 3 (height, width, "
                         f"channels); got shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if x.max() > 255:  # 32-bit grayscale, PIL mode "I"
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported number of channels {channels} (expected "
                     "1, 3 or 4)")


def save_img(path: Any, x: Any, data_format: str = "channels_last",
             file_format: str | None = None, scale: bool = True, **kwargs: Any) -> None:
    """Write an image array to ``path`` (format from the suffix unless ``file_format``)."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: JPEG has no alpha channel; saving as RGB", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def resize(image: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear",
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
           fill_value: float = 0.0) -> np.ndarray:
    """Resize a ``(height, width, channels)`` or ``(batch, h, w, c)`` float array.

    ``bilinear``: half-pixel centres without antialiasing (``tf.image.resize`` /
    ``jax.image.resize(antialias=False)``, which Keras uses); ``nearest``: the nearest
    source pixel to each output centre. ``crop_to_aspect_ratio`` centre-crops and
    ``pad_to_aspect_ratio`` pads with ``fill_value`` to the target's aspect first, as Keras.
    """
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"resize: interpolation must be 'bilinear' or 'nearest'; got "
                         f"{interpolation!r}")
    x = np.asarray(image, dtype=np.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"resize: expected (height, width, channels) or a batch of them; "
                         f"got shape {x.shape}")
    th, tw = (int(v) for v in size)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio "
                         "can be True")
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, th, tw)
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect(x, th, tw, fill_value)
    h_axis = x.ndim - 3
    x = _resize_axis(x, h_axis, th, interpolation)
    return _resize_axis(x, h_axis + 1, tw, interpolation)


def _resize_axis(x: np.ndarray, axis: int, out: int, interpolation: str) -> np.ndarray:
    n = x.shape[axis]
    if n == out:
        return x
    centres = (np.arange(out, dtype=np.float64) + 0.5) * (n / out) - 0.5
    if interpolation == "nearest":
        # jax rounds the sample position half-up on the half-pixel grid
        idx = np.clip(np.floor(centres + 0.5), 0, n - 1).astype(np.int64)
        return np.take(x, idx, axis=axis)
    # out-of-range neighbours are dropped and the weights renormalised, i.e. edge clamping
    pos = np.clip(centres, 0, n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    shape = [1] * x.ndim
    shape[axis] = out
    frac = (pos - lo).astype(np.float32).reshape(shape)
    low, high = np.take(x, lo, axis=axis), np.take(x, hi, axis=axis)
    return low + (high - low) * frac


def _crop_to_aspect(x: np.ndarray, th: int, tw: int) -> np.ndarray:
    h, w = x.shape[-3], x.shape[-2]
    crop_h = max(min(h, int(float(w * th) / tw)), 1)
    crop_w = max(min(w, int(float(h * tw) / th)), 1)
    top, left = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
    return x[..., top:top + crop_h, left:left + crop_w, :]


def _pad_to_aspect(x: np.ndarray, th: int, tw: int, fill: float) -> np.ndarray:
    h, w = x.shape[-3], x.shape[-2]
    pad_h, pad_w = max(h, int(float(w * th) / tw)), max(w, int(float(h * tw) / th))
    top, left = int(float(pad_h - h) / 2), int(float(pad_w - w) / 2)
    widths = [(0, 0)] * x.ndim
    if top > 0:
        widths[-3] = (top, top)
    elif left > 0:
        widths[-2] = (left, left)
    return np.pad(x, widths, constant_values=fill)


def decode_image(path: str, color_mode: str) -> np.ndarray:
    """One image file as a ``(height, width, channels)`` float32 array in [0, 255]."""
    image = pil_image()
    with _open(image, path, "image_dataset_from_directory") as img:
        arr = np.asarray(_convert(img, color_mode), dtype=np.float32)
    return arr[:, :, None] if arr.ndim == 2 else arr


def _open(image: Any, path: Any, where: str) -> Any:
    if isinstance(path, io.BytesIO):
        return image.open(path)
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{where}: path should be a path or io.BytesIO; got "
                        f"{type(path).__name__}")
    try:
        with open(path, "rb") as f:
            return image.open(io.BytesIO(f.read()))
    except image.UnidentifiedImageError:
        raise ValueError(f"{where}: {os.fsdecode(path)} is not an image Pillow can read"
                         ) from None


def _convert(img: Any, color_mode: str) -> Any:
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    target = PIL_MODES[color_mode]
    return img if img.mode == target else img.convert(target)


def _pil_filters(image: Any) -> dict:
    r = image.Resampling
    return {"nearest": r.NEAREST, "bilinear": r.BILINEAR, "bicubic": r.BICUBIC,
            "hamming": r.HAMMING, "box": r.BOX, "lanczos": r.LANCZOS}
