"""Losses, as ``keras.losses``: per-sample functions (``mean_squared_error``, ...), classes that
reduce them to the value training minimizes (``MeanSquaredError``, ...), and ``get`` for the
names ``compile(loss=...)`` accepts.

Cross-entropies given logits (``from_logits=True``) never overflow: a confident wrong
prediction gives a large finite loss. Given probabilities they clip them to [1e-7, 1 - 1e-7],
as Keras does; ``compile`` turns a model whose last activation is a softmax (sigmoid) and whose
loss is the matching cross-entropy into the loss from the logits by itself.

Example:
    >>> import ember as em
    >>> loss = em.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> logits = em.tensor([[1e4, 0.0, 0.0]])                   # certain of class 0
    >>> round(loss([2], logits).item())                         # but it is class 2
    10000
    >>> probs = em.softmax(logits)                              # probabilities: clipped
    >>> round(em.losses.sparse_categorical_crossentropy([2], probs).item(), 2)
    16.12
"""

from __future__ import annotations

import difflib
from typing import Any

from ember import serialization
from ember.losses import functions as _functions
from ember.losses.base import (
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    reduce_values,
    reduce_weighted_values,
)
from ember.losses.classes import *  # noqa: F403 - the classes are the public API
from ember.losses.classes import CLASS_OF_FUNCTION as _CLASS_OF_FUNCTION
from ember.losses.classes import __all__ as _classes_all
from ember.losses.functions import *  # noqa: F403 - the functions are the public API
from ember.losses.functions import __all__ as _functions_all

_BY_NAME: dict[str, type] = {}
for _fn, _cls in _CLASS_OF_FUNCTION.items():
    _BY_NAME[_fn.__name__] = _cls
    _BY_NAME[_cls.__name__] = _cls
_BY_NAME.update({
    "mse": MeanSquaredError, "MSE": MeanSquaredError,  # noqa: F405
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,  # noqa: F405
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,  # noqa: F405
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,  # noqa: F405
    "kld": KLDivergence, "KLD": KLDivergence,  # noqa: F405
    "kullback_leibler_divergence": KLDivergence,  # noqa: F405
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,  # noqa: F405
    "huber_loss": Huber, "logcosh": LogCosh,  # noqa: F405
})


def names() -> list[str]:
    """The names ``get`` accepts."""
    return sorted(_BY_NAME)


def get(identifier: Any) -> Loss | None:
    """A ``Loss`` object for ``identifier``, called as ``loss(y_true, y_pred, sample_weight)``
    and returning the reduced loss: a name ("mse", "sparse_categorical_crossentropy",
    "CategoricalCrossentropy", ...), a built-in function, a Loss class or instance, a serialized
    dict, or any function ``f(y_true, y_pred) -> per-sample losses`` (wrapped so its values
    are averaged). None gives None.

    Example:
        >>> import ember as em
        >>> em.losses.get("mse")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is not None:
            return cls()
        if ">" in identifier:
            return get(serialization.lookup(identifier))
        close = difflib.get_close_matches(identifier, _BY_NAME, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown loss {identifier!r}.{hint} Valid names: "
                         f"{', '.join(names())} (or pass a Loss or a function "
                         "f(y_true, y_pred))")
    if isinstance(identifier, dict):
        return get(serialization.deserialize(identifier))
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if identifier in _CLASS_OF_FUNCTION:
        return _CLASS_OF_FUNCTION[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"loss must be a name such as 'mse', a Loss or a function "
                    f"f(y_true, y_pred); got {type(identifier).__name__} {identifier!r}")


def serialize(loss: Any) -> Any:
    """``{"class_name": ..., "config": ...}`` for a Loss, the name for a function."""
    return serialization.serialize(loss)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild what ``serialize`` produced (a Loss object)."""
    if isinstance(config, dict):
        return get(serialization.deserialize(config, custom_objects))
    if isinstance(config, str) and custom_objects and config in custom_objects:
        return get(custom_objects[config])
    return get(config)


__all__ = ["Loss", "LossFunctionWrapper", "REDUCTIONS", "reduce_values",
           "reduce_weighted_values", "get", "serialize", "deserialize", "names",
           *_classes_all, *_functions_all]
del _functions
