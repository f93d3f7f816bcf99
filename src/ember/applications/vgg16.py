"""``em.applications.vgg16``: VGG16, preprocess_input and decode_predictions (Keras' module).

Example:
    >>> from ember.applications import vgg16
    >>> vgg16.preprocess_input([[[[0.0, 0.0, 0.0]]]]).shape
    (1, 1, 1, 3)
"""

from ember.applications.vgg import VGG16, decode_predictions, preprocess_input

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
