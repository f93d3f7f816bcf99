"""``keras.config``: the global settings a Keras program reads or sets: the float type,
the dtype policy (``set_dtype_policy("mixed_float16")``), epsilon, the image data format.

Example:
    >>> from ember.keras import config
    >>> config.floatx(), config.image_data_format(), config.dtype_policy()
    ('float32', 'channels_last', <DTypePolicy "float32">)
"""

from __future__ import annotations

from ember.backend import floatx, set_floatx
from ember.keras.backend import epsilon
from ember.layers.dtype_policy import global_policy as dtype_policy
from ember.layers.dtype_policy import set_global_policy as set_dtype_policy

__all__ = ["floatx", "set_floatx", "epsilon", "dtype_policy", "set_dtype_policy",
           "image_data_format", "backend"]


def image_data_format() -> str:
    """Always "channels_last": ember's image layers take channels last, as Keras' default."""
    return "channels_last"


def backend() -> str:
    """The backend's name ("ember")."""
    return "ember"
