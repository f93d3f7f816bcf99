"""Loss classes, as ``keras.losses``: configured once, called as
``loss(y_true, y_pred, sample_weight=None)`` -> a scalar Tensor (by default the mean of the
per-sample losses of ``functions.py``).

Example:
    >>> import ember as em
    >>> scce = em.losses.SparseCategoricalCrossentropy()
    >>> round(scce([1, 2], em.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])).item(), 3)
    1.177
    >>> scce = em.losses.SparseCategoricalCrossentropy(reduction="sum")
    >>> round(scce([1, 2], em.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])).item(), 3)
    2.354
"""

from __future__ import annotations

from typing import Any

from ember import serialization
from ember.autograd.tensor import Tensor
from ember.losses import functions as F
from ember.losses._inputs import check_smoothing
from ember.losses.base import Loss, LossFunctionWrapper

_DEFAULT = "sum_over_batch_size"


class _Builtin(LossFunctionWrapper):
    """A built-in loss: its config is the base config plus the function's keyword arguments."""

    def get_config(self) -> dict:
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return Loss.__repr__(self)


@serialization.register()
class MeanSquaredError(_Builtin):
    """Mean of ``(y_true - y_pred) ** 2``."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "mean_squared_error",
                 dtype: Any = None) -> None:
        super().__init__(F.mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class MeanAbsoluteError(_Builtin):
    """Mean of ``|y_true - y_pred|``."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "mean_absolute_error",
                 dtype: Any = None) -> None:
        super().__init__(F.mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class MeanAbsolutePercentageError(_Builtin):
    """``100 * mean(|y_true - y_pred| / |y_true|)``."""

    def __init__(self, reduction: str | None = _DEFAULT,
                 name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(F.mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


@serialization.register()
class MeanSquaredLogarithmicError(_Builtin):
    """Mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2``."""

    def __init__(self, reduction: str | None = _DEFAULT,
                 name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(F.mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


@serialization.register()
class Huber(_Builtin):
    """Quadratic below ``delta``, linear above: robust to outliers."""

    def __init__(self, delta: float = 1.0, reduction: str | None = _DEFAULT,
                 name: str = "huber_loss", dtype: Any = None) -> None:
        super().__init__(F.huber, reduction=reduction, name=name, dtype=dtype,
                         delta=float(delta))
        self.delta = float(delta)


@serialization.register()
class LogCosh(_Builtin):
    """Mean of ``log(cosh(y_pred - y_true))``."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "log_cosh",
                 dtype: Any = None) -> None:
        super().__init__(F.log_cosh, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class CosineSimilarity(_Builtin):
    """``-cos(angle)`` between ``y_true`` and ``y_pred`` along ``axis`` (-1 is best)."""

    def __init__(self, axis: int = -1, reduction: str | None = _DEFAULT,
                 name: str = "cosine_similarity", dtype: Any = None) -> None:
        super().__init__(F.cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)
        self.axis = axis


@serialization.register()
class BinaryCrossentropy(_Builtin):
    """Binary cross-entropy for 0/1 targets (one sigmoid unit per label).

    Example:
        >>> import ember as em
        >>> bce = em.losses.BinaryCrossentropy(from_logits=True)
        >>> round(bce([[0.0], [1.0]], em.tensor([[-20.0], [20.0]])).item(), 6)
        0.0
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = _DEFAULT,
                 name: str = "binary_crossentropy", dtype: Any = None) -> None:
        label_smoothing = check_smoothing(label_smoothing, "BinaryCrossentropy")
        super().__init__(F.binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, \
            axis


@serialization.register()
class CategoricalCrossentropy(_Builtin):
    """Cross-entropy for one-hot (or soft) targets against a softmax output or logits."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = _DEFAULT,
                 name: str = "categorical_crossentropy", dtype: Any = None) -> None:
        label_smoothing = check_smoothing(label_smoothing, "CategoricalCrossentropy")
        super().__init__(F.categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, \
            axis


@serialization.register()
class SparseCategoricalCrossentropy(_Builtin):
    """Cross-entropy for integer class labels against a softmax output or logits.

    ``ignore_class``: a label (e.g. -1 or 255 for "void") whose samples are left out.
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = _DEFAULT,
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None) -> None:
        super().__init__(F.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=bool(from_logits), ignore_class=ignore_class)
        self.from_logits, self.ignore_class = bool(from_logits), ignore_class

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        # the every-step case (mean over a batch, no weights or masks): the fused op + a mean
        if (sample_weight is None and self.ignore_class is None and self.dtype is None
                and (self.reduction == _DEFAULT or self.reduction == "mean")
                and isinstance(y_pred, Tensor) and getattr(y_pred, "_mask", None) is None):
            return F.sparse_categorical_crossentropy(y_true, y_pred, self.from_logits,
                                                     reduction="mean")
        return super().__call__(y_true, y_pred, sample_weight)


@serialization.register()
class KLDivergence(_Builtin):
    """Kullback-Leibler divergence ``sum(t * log(t / p))`` between distributions."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "kl_divergence",
                 dtype: Any = None) -> None:
        super().__init__(F.kl_divergence, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class Poisson(_Builtin):
    """Poisson negative log-likelihood ``mean(p - t * log(p))`` for count targets."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "poisson",
                 dtype: Any = None) -> None:
        super().__init__(F.poisson, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class Hinge(_Builtin):
    """``mean(max(1 - t * p, 0))`` with labels -1/1 (0/1 are converted)."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "hinge",
                 dtype: Any = None) -> None:
        super().__init__(F.hinge, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class SquaredHinge(_Builtin):
    """``mean(max(1 - t * p, 0) ** 2)`` with labels -1/1 (0/1 are converted)."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "squared_hinge",
                 dtype: Any = None) -> None:
        super().__init__(F.squared_hinge, reduction=reduction, name=name, dtype=dtype)


@serialization.register()
class CategoricalHinge(_Builtin):
    """``max(max_wrong - correct + 1, 0)`` for one-hot targets."""

    def __init__(self, reduction: str | None = _DEFAULT, name: str = "categorical_hinge",
                 dtype: Any = None) -> None:
        super().__init__(F.categorical_hinge, reduction=reduction, name=name, dtype=dtype)


# the class that each built-in function corresponds to (for `get` and saving)
CLASS_OF_FUNCTION = {
    F.mean_squared_error: MeanSquaredError, F.mean_absolute_error: MeanAbsoluteError,
    F.mean_absolute_percentage_error: MeanAbsolutePercentageError,
    F.mean_squared_logarithmic_error: MeanSquaredLogarithmicError, F.huber: Huber,
    F.log_cosh: LogCosh, F.cosine_similarity: CosineSimilarity,
    F.binary_crossentropy: BinaryCrossentropy,
    F.categorical_crossentropy: CategoricalCrossentropy,
    F.sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    F.kl_divergence: KLDivergence, F.poisson: Poisson, F.hinge: Hinge,
    F.squared_hinge: SquaredHinge, F.categorical_hinge: CategoricalHinge,
}

__all__ = [c.__name__ for c in CLASS_OF_FUNCTION.values()]
