"""Pretrained architectures with Keras' constructors: ``VGG16``, ``VGG19``, ``ResNet50``,
``MobileNetV2``.

``weights="imagenet"`` fetches Keras' published weight files once (cached under
``~/.ember/models``, or found in ``~/.keras/models``; md5 checked) and fails at once without a
network, saying where to put the file; ``weights=path`` loads a Keras weights file (Keras 3
``.weights.h5`` or the published by-name h5); ``weights=None`` starts from random weights.

Example:
    >>> import ember as em
    >>> em.applications.VGG19(weights=None, include_top=False, pooling="max",
    ...                       input_shape=(32, 32, 3)).output_shape
    (None, 512)
"""

from __future__ import annotations

from ember.applications import mobilenet_v2, resnet50, vgg16, vgg19
from ember.applications.mobilenet_v2 import MobileNetV2
from ember.applications.resnet50 import ResNet50
from ember.applications.vgg import VGG16, VGG19

__all__ = ["VGG16", "VGG19", "ResNet50", "MobileNetV2", "mobilenet_v2", "resnet50", "vgg16",
           "vgg19"]
