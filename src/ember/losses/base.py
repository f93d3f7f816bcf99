"""``Loss``: per-sample losses -> sample weights and masks -> one reduced value, as Keras 3.

Reductions: "sum_over_batch_size" (default; the sum divided by the number of per-sample
values, i.e. their mean, also with sample weights), "mean" (the same), "sum",
"mean_with_sample_weight" (the weighted sum divided by the sum of the weights), and "none" or
None (the per-sample values). A mask (``ignore_class``, or ``y_pred._mask`` from a padding
mask) leaves the masked values out of the mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import backend, ops, serialization
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.losses._inputs import align, as_pred, as_true

_BUILTIN_MODULE = "ember.losses.functions"
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction: Any, who: str = "Loss") -> str | None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {REDUCTIONS}; got {reduction!r}")
    return reduction


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class Loss:
    """Base class of losses: subclasses implement ``call(y_true, y_pred)`` returning per-sample
    losses; calling the loss applies ``sample_weight`` and the reduction. ``y_pred`` reaches
    ``call`` as a float Tensor, ``y_true`` as given (a NumPy array, list or Tensor: NumPy arrays
    combine with Tensors in arithmetic).

    Example:
        >>> import ember as em
        >>> class Cubic(em.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((y_pred - y_true) ** 2 * (y_pred - y_true).abs()).mean(axis=-1)
        >>> Cubic()(em.tensor([[0.0], [0.0]]), em.tensor([[1.0], [2.0]])).item()
        4.5
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or _snake(type(self).__name__)
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self.dtype = None if dtype is None else backend.numpy_module().dtype(dtype).name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The reduced loss (a scalar Tensor, or per-sample values for reduction "none")."""
        in_mask = getattr(y_pred, "_mask", None)
        p = as_pred(y_pred)
        dt = self.dtype
        if dt is None and p.data.dtype.name == "float16" != backend.floatx():
            dt = backend.floatx()  # mixed_float16 outputs: the loss in float32, as Keras
        if dt is not None and p.data.dtype.name != dt:
            p = ops.astype(p, dt)
        losses = self.call(y_true, p)
        out_mask = getattr(losses, "_mask", None)
        mask = _combine_masks(in_mask, out_mask)
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction, self.name)

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@serialization.register()
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs) -> per-sample losses``.

    Example:
        >>> import ember as em
        >>> loss = em.losses.LossFunctionWrapper(lambda t, p: ((p - t) ** 4).mean(axis=-1))
        >>> loss([[0.0], [0.0]], em.tensor([[1.0], [2.0]])).item()
        8.5
    """

    def __init__(self, fn: Callable, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable; got {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        if getattr(self.fn, "__module__", None) != _BUILTIN_MODULE:
            # a user's function sees tensors of equal rank, as in Keras (ours align themselves)
            y_true, y_pred = align(as_true(y_true, y_pred), y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "fn": serialization.serialize(self.fn),
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        config = dict(config)
        fn = config.pop("fn")
        return cls(serialization.lookup(fn) if isinstance(fn, str) else fn, **config)

    def __repr__(self) -> str:
        fn = getattr(self.fn, "__name__", repr(self.fn))
        return f"{type(self).__name__}({fn}, {self._fn_kwargs!r})"


def _combine_masks(a: Any, b: Any) -> Any:
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    if a is None or b is None:
        return a if b is None else b
    return a.astype(bool) & b.astype(bool)


def _weights_array(sample_weight: Any, like: Tensor) -> Any:
    data = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    return xp_of(like.data).asarray(data, dtype=like.data.dtype)


def reduce_weighted_values(values: Tensor, sample_weight: Any = None, mask: Any = None,
                           reduction: str | None = "sum_over_batch_size",
                           who: str = "loss") -> Tensor:
    """Apply the mask and ``sample_weight`` to per-sample ``values``, then the reduction."""
    if not isinstance(values, Tensor):
        values = as_pred(values)
    sw = None if sample_weight is None else _weights_array(sample_weight, values)
    if mask is not None:
        m = _weights_array(mask, values)
        if reduction in ("mean", "sum_over_batch_size") and m.size:
            valid = float(m.sum())  # masked values are left out of the mean: scale the rest
            m = m * (m.size / valid) if valid else m * 0.0
        if sw is not None:
            m, sw = align(m, sw)
            sw = sw * m
        else:
            sw = m
    if sw is not None:
        values, sw = _weighted(values, sw, who)
    return reduce_values(values, sw, reduction)


def _weighted(values: Tensor, sw: Any, who: str) -> tuple[Tensor, Any]:
    """``values * sw`` and the weights broadcast to the values' shape."""
    xp = xp_of(sw)
    while sw.ndim > values.ndim and sw.shape[-1] == 1:  # (batch, 1) weights, (batch,) losses
        sw = sw.reshape(sw.shape[:-1])
    while 0 < sw.ndim < values.ndim:  # per-sample weights for (batch, time, ...) losses
        sw = sw.reshape(sw.shape + (1,))
    try:
        sw = xp.broadcast_to(sw, tuple(values.shape))
    except ValueError:
        raise ValueError(f"{who}: sample_weight of shape {sw.shape} does not match the "
                         f"per-sample losses of shape {tuple(values.shape)}") from None
    return values * wrap_array(sw), sw


def reduce_values(values: Tensor, sample_weight: Any = None,
                  reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Reduce (already weighted) per-sample values to one value."""
    if reduction is None or reduction == "none" or values.ndim == 0:
        return values
    if values.size == 0:  # an empty batch contributes nothing (Keras would return it empty)
        return ops.sum(values)
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total = float(sample_weight.sum())
        return ops.sum(values) * (1.0 / total if total else 0.0)
    return ops.mean(values)
