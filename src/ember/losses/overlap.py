"""The overlap losses of segmentation, as Keras 3 defines them: ``dice`` / ``Dice``
(``1 - 2|A∩B| / (|A| + |B|)``) and ``tversky`` / ``Tversky`` (false positives and false
negatives weighed by ``alpha`` and ``beta``). Summed over ``axis`` (None: everything, one
value for the batch).

Example:
    >>> import ember as em
    >>> y_true = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
    >>> y_pred = em.tensor([[[[0.0], [1.0]], [[0.0], [1.0]]],
    ...                     [[[0.4], [0.0]], [[0.0], [0.9]]]])
    >>> print(em.losses.dice(y_true, y_pred, axis=(1, 2, 3)).numpy().round(4))
    [0.5    0.7576]
    >>> round(em.losses.dice(y_true, y_pred).item(), 4)
    0.6164
"""

from __future__ import annotations

from typing import Any

from ember import ops, serialization
from ember.autograd.tensor import Tensor
from ember.losses._inputs import as_pred, pair
from ember.losses.base import Loss
from ember.losses.classes import _Builtin

_DEFAULT = "sum_over_batch_size"
_EPSILON = 1e-7  # keras.backend.epsilon()


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


@serialization.register()
def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    """``1 - 2 * sum(t * p) / (sum(t) + sum(p) + 1e-7)`` over ``axis``."""
    t, p = pair(y_true, as_pred(y_pred), "dice")
    axis = _axis(axis)
    intersection = ops.sum(t * p, axis=axis)
    return 1.0 - 2.0 * intersection / (ops.sum(t, axis=axis) + ops.sum(p, axis=axis)
                                       + _EPSILON)


@serialization.register()
def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5,
            axis: Any = None) -> Tensor:
    """``1 - TP / (TP + alpha * FP + beta * FN + 1e-7)`` with soft counts over ``axis``
    (Keras' definition: ``FP = sum((1 - p) * t)``, ``FN = sum(p * (1 - t))``)."""
    t, p = pair(y_true, as_pred(y_pred), "tversky")
    axis = _axis(axis)
    tp = ops.sum(t * p, axis=axis)
    fp = ops.sum((1.0 - p) * t, axis=axis)
    fn = ops.sum(p * (1.0 - t), axis=axis)
    return 1.0 - tp / (tp + fp * alpha + fn * beta + _EPSILON)


@serialization.register()
class Dice(_Builtin):
    """The Dice loss (see ``dice``)."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "dice", axis: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)


@serialization.register()
class Tversky(_Builtin):
    """The Tversky loss (see ``tversky``)."""

    def __init__(self, alpha: float = 0.5, beta: float = 0.5,
                 reduction: str | None = _DEFAULT, name: str = "tversky", axis: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)


OVERLAP_CLASSES: dict[Any, type[Loss]] = {dice: Dice, tversky: Tversky}
