"""``keras.utils``: ember's utilities (``to_categorical``, ``set_random_seed``,
``plot_model``, the dataset loaders, ...) plus Keras' custom-object names
(``get_custom_objects``, ``register_keras_serializable``, ``custom_object_scope``, ...) and
the small data helpers (``pack_x_y_sample_weight``, ``unpack_x_y_sample_weight``).

Example:
    >>> from ember import keras
    >>> keras.utils.pack_x_y_sample_weight([1, 2], None)
    [1, 2]
    >>> keras.utils.to_categorical([0, 2], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

from ember.keras.saving import (  # noqa: F401 - keras.utils' names for these
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from ember.models.custom_steps import unpack_x_y_sample_weight  # noqa: F401


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """``x``, ``(x, y)`` or ``(x, y, sample_weight)``: what a step receives."""
    if y is None:
        return x if not isinstance(x, (list, tuple)) or len(x) != 1 else (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def __getattr__(name: str) -> Any:
    import ember.utils

    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(ember.utils, name)
