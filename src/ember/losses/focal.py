"""The focal cross-entropies (Lin et al., 2017), as Keras 3 defines them:
``binary_focal_crossentropy`` / ``BinaryFocalCrossentropy`` and
``categorical_focal_crossentropy`` / ``CategoricalFocalCrossentropy``. Each weighs the
cross-entropy by ``(1 - p_t) ** gamma``, so confidently right samples count little.

Example:
    >>> import ember as em
    >>> loss = em.losses.BinaryFocalCrossentropy(gamma=2.0)
    >>> round(loss([[0.0, 1.0]], em.tensor([[0.2, 0.9]])).item(), 5)
    0.00499
"""

from __future__ import annotations

from typing import Any

from ember import ops, serialization
from ember.autograd.tensor import Tensor
from ember.losses._inputs import EPSILON, as_pred, check_smoothing, pair
from ember.losses.base import Loss
from ember.losses.classes import _Builtin

_DEFAULT = "sum_over_batch_size"


def _check_gamma(gamma: float, who: str) -> float:
    if not isinstance(gamma, (int, float)) or isinstance(gamma, bool) or gamma < 0:
        raise ValueError(f"{who}: gamma must be a number >= 0; got {gamma!r}")
    return float(gamma)


@serialization.register()
def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """``mean((1 - p_t) ** gamma * bce, axis)`` with ``p_t`` the probability given to the
    true label; ``apply_class_balancing`` also weighs positives by ``alpha`` and negatives by
    ``1 - alpha``.

    Example:
        >>> import ember as em
        >>> loss = em.losses.binary_focal_crossentropy([[0.0, 1.0]], em.tensor([[0.4, 0.6]]))
        >>> print(loss.numpy().round(4))
        [0.0817]
    """
    who = "binary_focal_crossentropy"
    gamma = _check_gamma(gamma, who)
    t, p = pair(y_true, as_pred(y_pred), who)
    ls = check_smoothing(label_smoothing, who)
    if ls:
        t = t * (1.0 - ls) + 0.5 * ls
    if from_logits:
        p = ops.sigmoid(p)
    pc = ops.clip(p, EPSILON, 1.0 - EPSILON)
    bce = -(t * ops.log(pc) + (1.0 - t) * ops.log(1.0 - pc))
    p_t = t * p + (1.0 - t) * (1.0 - p)
    focal = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (t * alpha + (1.0 - t) * (1.0 - alpha)) * focal
    return focal if focal.ndim == 0 else ops.mean(focal, axis=axis)


@serialization.register()
def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``sum(alpha * (1 - p) ** gamma * -t * log(p), axis)`` for one-hot (or soft) targets,
    the probabilities normalized and clipped to [1e-7, 1 - 1e-7] as in Keras.

    Example:
        >>> import ember as em
        >>> loss = em.losses.categorical_focal_crossentropy([[0.0, 1.0, 0.0]],
        ...                                                 em.tensor([[0.1, 0.8, 0.1]]))
        >>> print(loss.numpy().round(5))
        [0.00223]
    """
    who = "categorical_focal_crossentropy"
    gamma = _check_gamma(gamma, who)
    t, p = pair(y_true, as_pred(y_pred), who)
    if from_logits:
        p = ops.softmax(p, axis=axis)
    p = p / ops.sum(p, axis=axis, keepdims=True)
    p = ops.clip(p, EPSILON, 1.0 - EPSILON)
    ls = check_smoothing(label_smoothing, who)
    if ls:
        t = t * (1.0 - ls) + ls / t.shape[axis]
    focal = alpha * (1.0 - p) ** gamma * (-t * ops.log(p))
    return ops.sum(focal, axis=axis)


@serialization.register()
class BinaryFocalCrossentropy(_Builtin):
    """Mean binary focal cross-entropy (see ``binary_focal_crossentropy``)."""

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = _DEFAULT,
                 name: str = "binary_focal_crossentropy", dtype: Any = None) -> None:
        _check_gamma(gamma, "BinaryFocalCrossentropy")
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, apply_class_balancing=apply_class_balancing,
                         alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@serialization.register()
class CategoricalFocalCrossentropy(_Builtin):
    """Mean categorical focal cross-entropy (see ``categorical_focal_crossentropy``)."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = _DEFAULT,
                 name: str = "categorical_focal_crossentropy", dtype: Any = None) -> None:
        _check_gamma(gamma, "CategoricalFocalCrossentropy")
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


FOCAL_CLASSES: dict[Any, type[Loss]] = {
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
}
