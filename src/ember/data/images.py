"""``image_dataset_from_directory``: a folder of class subfolders of images as a pipeline of
``(images, labels)`` batches for ``Model.fit``, as ``keras.utils.image_dataset_from_directory``.

The files are listed once (names only); each batch is decoded when it is reached, by a small
thread pool (Pillow releases the GIL while decoding), and resized with bilinear interpolation
(``ember.utils.image_utils.resize``, the numbers of Keras' resize). A background thread keeps
the next batches ready while the model trains on the current one. So a folder far larger than
memory trains fine: only a few batches are ever decoded at once.

Example::

    train = em.data.image_dataset_from_directory(
        "flowers/", validation_split=0.2, subset="training", seed=123,
        image_size=(180, 180), batch_size=32)
    train.class_names            # ['daisy', 'dandelion', ...]
    model.fit(train, epochs=3)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ember.data import _directory
from ember.utils import image_utils

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
WHERE = "image_dataset_from_directory"


def image_dataset_from_directory(
        directory: Any, labels: Any = "inferred", label_mode: str | None = "int",
        class_names: Sequence[str] | None = None, color_mode: str = "rgb",
        batch_size: int | None = 32, image_size: tuple[int, int] = (256, 256),
        shuffle: bool = True, seed: int | None = None, validation_split: float | None = None,
        subset: str | None = None, interpolation: str = "bilinear", follow_links: bool = False,
        crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
        data_format: str | None = None, verbose: bool = True) -> Any:
    """Batches ``(images, labels)`` from ``directory/<class>/<image>`` files.

    images: float32 ``(batch, height, width, channels)`` in [0, 255], channels 1 / 3 / 4
    for ``color_mode`` grayscale / rgb / rgba. labels by ``label_mode``: ``"int"`` int32
    class indices, ``"categorical"`` float32 one-hot, ``"binary"`` float32 ``(batch, 1)``
    (two classes), ``None`` images only. Classes are the subfolder names in alphanumeric
    order (or ``class_names``); ``labels`` may instead be a list of ints, one per file in
    sorted path order, or None.

    ``shuffle`` shuffles the file list once with ``seed`` exactly as Keras does (the same
    ``file_paths`` and the same training / validation split as Keras for a given seed) and
    reshuffles each epoch, as Keras' default ``format="tf"`` (a ``subset="validation"``
    dataset too; the validation half of ``subset="both"`` keeps the split's order, as in
    Keras). ``subset="both"`` returns ``[training, validation]``. The result
    has ``class_names`` and ``file_paths``; ``len`` is the number of batches.
    """
    labels, label_mode = _directory.check_labels(WHERE, labels, label_mode)
    if color_mode not in image_utils.COLOR_MODES:
        raise ValueError(f"{WHERE}: color_mode must be 'grayscale', 'rgb' or 'rgba'; got "
                         f"{color_mode!r}")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{WHERE}: ember images are channels_last; got "
                         f"data_format={data_format!r}")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"{WHERE}: interpolation must be 'bilinear' or 'nearest'; got "
                         f"{interpolation!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{WHERE}: only one of crop_to_aspect_ratio and "
                         "pad_to_aspect_ratio can be True")
    size = _image_size(image_size)
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"{WHERE}: batch_size must be a positive integer or None; got "
                         f"{batch_size!r}")
    _directory.check_split(WHERE, validation_split, subset, shuffle, seed)
    image_utils.pil_image()  # fail now, not at the first batch, without Pillow
    if seed is None:
        seed = int(np.random.randint(1e6))
    paths, label_array, names = _directory.index_directory(
        WHERE, directory, labels, IMAGE_FORMATS, class_names, shuffle, seed, follow_links,
        verbose)
    if label_mode is not None and label_array is not None:
        label_array = _directory.encode_labels(WHERE, label_array, label_mode, len(names))
    else:
        label_array = None
    loader = _BatchLoader(size, color_mode, interpolation, crop_to_aspect_ratio,
                          pad_to_aspect_ratio)
    subsets = ["training", "validation"] if subset == "both" else [subset]
    out = []
    for part in subsets:
        part_paths, part_labels = _directory.split(paths, label_array, validation_split, part,
                                                   verbose)
        if not part_paths:
            raise ValueError(f"{WHERE}: no images found in {os.fspath(directory)!r} "
                             f"(allowed formats: {', '.join(IMAGE_FORMATS)})")
        ds = _directory.build(part_paths, part_labels, loader, batch_size,
                              _directory.reshuffles(shuffle, subset, part), seed)
        ds.class_names, ds.file_paths = names, part_paths
        out.append(ds)
    return out if subset == "both" else out[0]


class _BatchLoader:
    """Decodes and resizes a batch of files with a lazily started thread pool."""

    def __init__(self, size: tuple[int, int], color_mode: str, interpolation: str,
                 crop: bool, pad: bool) -> None:
        self.size, self.color_mode, self.interpolation = size, color_mode, interpolation
        self.crop, self.pad = crop, pad
        self._pool: ThreadPoolExecutor | None = None

    def one(self, path: str) -> np.ndarray:
        img = image_utils.decode_image(path, self.color_mode)
        if img.shape[:2] == self.size and not (self.crop or self.pad):
            return img
        return image_utils.resize(img, self.size, self.interpolation,
                                  crop_to_aspect_ratio=self.crop,
                                  pad_to_aspect_ratio=self.pad)

    def __call__(self, paths: Any) -> np.ndarray:
        if len(paths) < 4:
            return np.stack([self.one(p) for p in paths])
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1),
                                            thread_name_prefix="ember-image-decode")
        return np.stack(list(self._pool.map(self.one, paths)))

    def __getstate__(self) -> dict:  # a pool does not pickle; a copy starts its own
        return {**self.__dict__, "_pool": None}


def _image_size(image_size: Any) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise ValueError(f"{WHERE}: image_size must be (height, width); got "
                         f"{image_size!r}") from None
    if height < 1 or width < 1:
        raise ValueError(f"{WHERE}: image_size must be positive; got {image_size!r}")
    return height, width
