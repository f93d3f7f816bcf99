"""What the ImageNet applications share: Keras' ``preprocess_input`` modes, ``decode_predictions``
and the checks on ``weights`` / ``input_shape`` / ``pooling`` their constructors make.

Example:
    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 1, 3), 128.0, "float32"), mode="caffe").round(2)
    array([[[[24.06, 11.22,  4.32]]]], dtype=float32)
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/"
CLASS_INDEX_FILE = "imagenet_class_index.json"
_CAFFE_MEAN = np.array([103.939, 116.779, 123.68], dtype=np.float32)  # B, G, R


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Keras' ImageNet preprocessing of RGB images in [0, 255] (channels last).

    "caffe" (VGG, ResNet): RGB -> BGR, then the ImageNet mean subtracted per channel;
    "tf" (MobileNetV2): scaled to [-1, 1]; "torch": to [0, 1], then standardized."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"preprocess_input: data_format must be 'channels_last'; got "
                         f"{data_format!r}")
    x = np.asarray(x)
    x = x.astype(np.float32) if x.dtype.kind != "f" else x
    if mode == "tf":
        return x / np.float32(127.5) - np.float32(1.0)
    if mode == "torch":
        mean = np.array([0.485, 0.456, 0.406], np.float32)
        std = np.array([0.229, 0.224, 0.225], np.float32)
        return ((x / np.float32(255.0)) - mean) / std
    if mode != "caffe":
        raise ValueError(f"preprocess_input: mode must be 'caffe', 'tf' or 'torch'; got {mode!r}")
    if x.shape[-1] != 3:
        raise ValueError(f"preprocess_input: expected RGB images (last axis 3); got shape "
                         f"{x.shape}")
    return (x[..., ::-1] - _CAFFE_MEAN.astype(x.dtype)).astype(x.dtype)


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` (class id, name, score) per row of a (samples, 1000) prediction."""
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions: expects a batch of ImageNet predictions, shape "
                         f"(samples, 1000); got {preds.shape}")
    from ember.applications.weights import get_weights_file

    path = get_weights_file(CLASS_INDEX_FILE, CLASS_INDEX_URL,
                            "c2c37ea517e94d9795004a39431a14cb")
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    out = []
    for row in preds:
        best = np.argsort(row)[::-1][:top]
        out.append([(index[str(i)][0], index[str(i)][1], float(row[i])) for i in best])
    return out


def check_arguments(name: str, weights: Any, include_top: bool, classes: int,
                    pooling: str | None, input_shape: Any, default_size: int,
                    min_size: int) -> tuple:
    """Keras' checks, and the input shape to build (None for a free spatial size)."""
    if not (weights in (None, "imagenet") or (isinstance(weights, (str, os.PathLike))
                                                and os.path.exists(weights))):
        raise ValueError(f"{name}: weights must be None, 'imagenet' or the path of a weights "
                         f"file; got {weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{name}: with weights='imagenet' and include_top=True, classes must "
                         f"be 1000; got {classes}")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{name}: pooling must be None, 'avg' or 'max'; got {pooling!r}")
    if input_shape is None:
        size = default_size if include_top else None
        return (size, size, 3)
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[-1] != 3 and weights == "imagenet":
        raise ValueError(f"{name}: input_shape must be (height, width, 3); got {shape}")
    if include_top and weights == "imagenet" and shape[:2] != (default_size, default_size):
        raise ValueError(f"{name}: with include_top=True and ImageNet weights the input must be "
                         f"({default_size}, {default_size}, 3); got {shape}")
    if any(s is not None and s < min_size for s in shape[:2]):
        raise ValueError(f"{name}: input height and width must be at least {min_size}; got "
                         f"{shape}")
    return shape
