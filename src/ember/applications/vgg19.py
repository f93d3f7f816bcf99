"""``em.applications.vgg19``: VGG19, preprocess_input and decode_predictions (Keras' module).

Example:
    >>> from ember.applications import vgg19
    >>> vgg19.preprocess_input([[[[0.0, 0.0, 0.0]]]]).shape
    (1, 1, 1, 3)
"""

from ember.applications.vgg import VGG19, decode_predictions, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
