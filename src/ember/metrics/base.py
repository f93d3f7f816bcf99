"""Streaming metrics: state that accumulates over batches, and ``Mean``, ``Sum`` and
``MeanMetricWrapper`` (Keras 3's reduction metrics).

A metric is not part of the autograd graph: it reads arrays (NumPy, or CuPy through
``xp_of``), reduces each batch on the array's device to a few numbers, and adds those to its
state on the host in float64. ``fit`` calls ``update_state`` on every batch, then
``float(result())``; ``reset_state`` starts a new epoch. ``get_state``/``set_state`` export
and restore the accumulated state as plain numbers and NumPy arrays.

Example:
    >>> import ember as em
    >>> m = em.metrics.Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> float(m.result())
    4.0
    >>> m.reset_state(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result()), m.get_state()
    (2.0, {'total': 4.0, 'count': 2.0})
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from ember import backend, serialization
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend import xp_of

EPSILON = 1e-7  # Keras' backend.epsilon()


def snake_case(name: str) -> str:
    """``SparseCategoricalAccuracy`` -> ``sparse_categorical_accuracy``, ``AUC`` -> ``auc``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def register(obj: Any) -> Any:
    """Register a metric class or function as ``metrics.<name>`` (losses own the bare names
    ``MeanSquaredError``, ``mean_squared_error``, ... in the shared registry)."""
    return serialization.register(f"metrics.{obj.__name__}")(obj)


# ---------------------------------------------------------------------- array helpers
def as_array(x: Any, xp: ModuleType | None = None) -> Any:
    """An array from a Tensor, an array, a list or a scalar, on ``xp``'s device if given."""
    if isinstance(x, Tensor):
        x = x.data
    if xp is None:
        return x if hasattr(x, "dtype") and hasattr(x, "shape") else np.asarray(x)
    if xp is np:
        return x if type(x) is np.ndarray else backend.to_numpy(x)
    return xp.asarray(x)


def as_float(x: Any) -> Any:
    """``x`` itself when it is floating point, else as float64 (labels, counts, booleans)."""
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def inputs(y_true: Any, y_pred: Any) -> tuple[Any, Any, ModuleType]:
    """``y_true`` and ``y_pred`` as arrays on ``y_pred``'s device, and their array module."""
    yp = as_array(y_pred)
    xp = xp_of(yp)
    return as_array(y_true, xp), yp, xp


def align(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple[Any, Any]:
    """Keras' ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    shape ends in 1, drop that axis, or give a rank-1 partner one: (n,) against (n, 1)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def mean_last(x: Any) -> Any:
    """The mean over the last axis: one value per sample. Rank-1 input already is one value
    per sample (Keras would average the whole batch into one value there)."""
    return x if x.ndim <= 1 else x.mean(axis=-1)


def divide_no_nan(a: Any, b: Any) -> Any:
    """``a / b`` with 0 where ``b`` is 0 (no warning): Keras' ``divide_no_nan``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
    np.divide(a, b, out=out, where=b != 0)
    return out


def host_sum(x: Any, axis: Any = None) -> Any:
    """A float64 sum on the array's device, brought to the host (a float, or a NumPy array)."""
    # Asking for a float64 accumulator costs microseconds per call: do it only when needed.
    s = x.sum(axis=axis) if x.dtype == np.float64 else x.sum(axis=axis, dtype=np.float64)
    return float(s) if axis is None else backend.to_numpy(s)


def reduce_to_samplewise(values: Any, sample_weight: Any, xp: ModuleType,
                         reduce: str = "mean") -> tuple[Any, Any]:
    """Keras' ``reduce_to_samplewise_values``: weight ``values`` and reduce them to one value
    per sample; returns ``(weighted values, weights)`` (weights None when not given)."""
    fn = xp.mean if reduce == "mean" else xp.sum
    sw = None
    if sample_weight is not None:
        sw = as_float(as_array(sample_weight, xp))
        values, sw = align(values, sw)
        wn, vn = sw.ndim, values.ndim
        if vn > wn:
            values = fn(values, axis=tuple(range(wn, vn)))
        try:
            sw = xp.broadcast_to(sw, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {tuple(sw.shape)} does not fit values of "
                             f"shape {tuple(values.shape)}; give one weight per sample") from None
        values = values * sw
        if wn > 1:
            sw = fn(sw, axis=tuple(range(1, wn)))
    if values.ndim > 1:
        values = fn(values, axis=tuple(range(1, values.ndim)))
    return values, sw


# ---------------------------------------------------------------------- the base class
class Metric:
    """Base class of streaming metrics: ``update_state`` adds a batch, ``result`` reads the
    value so far, ``reset_state`` forgets everything.

    Subclasses declare their state with ``add_variable(name, shape)`` (a float, or a float64
    NumPy array, kept as an attribute of that name) and implement ``update_state`` and
    ``result``. Calling a metric updates it and returns the result.

    Example:
        >>> import numpy as np
        >>> import ember as em
        >>> class MaxAbsError(em.metrics.Metric):
        ...     def __init__(self, name="max_abs_error"):
        ...         super().__init__(name=name)
        ...         self.add_variable("worst")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         err = np.abs(np.asarray(y_true) - np.asarray(y_pred)).max()
        ...         self.worst = max(self.worst, float(err))
        ...     def result(self):
        ...         return np.float64(self.worst)
        >>> m = MaxAbsError()
        >>> float(m([1.0, 2.0], [1.5, 2.0])), float(m([0.0], [3.0]))
        (0.5, 3.0)
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or snake_case(type(self).__name__)
        # Kept for Keras-compatible configs; results are float64 NumPy values regardless.
        self.dtype = None if dtype is None else np.dtype(dtype).name
        self._specs: dict[str, tuple] = {}

    # ------------------------------------------------------------------ state
    def add_variable(self, name: str, shape: tuple = ()) -> Any:
        """Declare a state variable (zeros of ``shape``; a float when ``shape`` is ())."""
        shape = tuple(int(s) for s in shape)
        self._specs[name] = shape
        value = 0.0 if shape == () else np.zeros(shape)
        setattr(self, name, value)
        return value

    @property
    def variables(self) -> list:
        """The state values, in declaration order."""
        return [getattr(self, n) for n in self._specs]

    def reset_state(self) -> None:
        """Set every state variable back to zero."""
        for n, shape in self._specs.items():
            setattr(self, n, 0.0 if shape == () else np.zeros(shape))

    def get_state(self) -> dict:
        """The accumulated state: ``{name: float or NumPy array}`` (copies)."""
        return {n: (float(getattr(self, n)) if shape == () else np.array(getattr(self, n)))
                for n, shape in self._specs.items()}

    def set_state(self, state: dict) -> None:
        """Restore a state returned by ``get_state`` (of a metric configured the same way)."""
        if not isinstance(state, dict):
            raise TypeError(f"{type(self).__name__}.set_state: expected a dict; got "
                            f"{type(state).__name__}")
        if not self._specs and state:
            self._build_from_state(state)
        if set(state) != set(self._specs):
            raise ValueError(f"{type(self).__name__}.set_state: expected the keys "
                             f"{sorted(self._specs)}; got {sorted(state)}")
        for n, shape in self._specs.items():
            value = np.array(state[n], dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"{type(self).__name__}.set_state: {n!r} has shape "
                                 f"{value.shape}; expected {shape}")
            setattr(self, n, float(value) if shape == () else value)

    def _build_from_state(self, state: dict) -> None:
        """Metrics whose state shapes come from the first batch build them here instead."""

    # ------------------------------------------------------------------ the protocol
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``update_state(*args, **kwargs)``, then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


@register
class Sum(Metric):
    """The (weighted) sum of the values given.

    Example:
        >>> import ember as em
        >>> float(em.metrics.Sum()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]))
        4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.add_variable("total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = as_float(as_array(values))
        values, _ = reduce_to_samplewise(values, sample_weight, xp_of(values), reduce="sum")
        self.total += host_sum(values)

    def result(self) -> np.float64:
        return np.float64(self.total)


@register
class Mean(Metric):
    """The (weighted) mean of the values given: ``total / count``, 0 before any data.

    Values of rank > 1 are first averaged to one value per sample. With ``sample_weight``,
    ``total`` adds ``value * weight`` and ``count`` adds the weights.

    Example:
        >>> import ember as em
        >>> m = em.metrics.Mean()
        >>> m.update_state([1, 3]); m.update_state([5, 7])
        >>> float(m.result())
        4.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.add_variable("total")
        self.add_variable("count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = as_float(as_array(values))
        values, sw = reduce_to_samplewise(values, sample_weight, xp_of(values))
        self.total += host_sum(values)
        if sw is not None:
            self.count += host_sum(sw)
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self) -> np.float64:
        return np.float64(self.total / self.count) if self.count else np.float64(0.0)


@register
class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, a function returning one value
    per sample (a NumPy/CuPy array, or a Tensor such as an ``em.losses`` function returns).

    Example:
        >>> import numpy as np
        >>> import ember as em
        >>> def abs_error(y_true, y_pred):
        ...     return np.abs(np.asarray(y_true) - np.asarray(y_pred))
        >>> m = em.metrics.MeanMetricWrapper(abs_error)
        >>> m.name, float(m([1.0, 2.0, 3.0], [1.0, 2.0, 6.0]))
        ('abs_error', 1.0)
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be callable; got {fn!r}")
        # a Loss object (em.losses.MeanSquaredError()) is named by its own name, as in Keras
        default = getattr(fn, "__name__", None) or getattr(fn, "name", None)
        super().__init__(name=name or default or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = serialization.registered_name(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> MeanMetricWrapper:
        config = dict(config)
        if isinstance(config.get("fn"), str):
            config["fn"] = serialization.lookup(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fn={getattr(self._fn, '__name__', self._fn)!r}, " \
               f"name={self.name!r})"


class _FixedFn(MeanMetricWrapper):
    """A ``MeanMetricWrapper`` whose function is part of the class (Accuracy, MSE, ...): its
    config holds the constructor arguments only."""

    _config_keys: tuple[str, ...] = ()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        # Built-in functions are pure array code: no autograd mode to switch off.
        Mean.update_state(self, self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype}
        config.update({k: getattr(self, k) for k in self._config_keys})
        return config

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
