"""Preprocessing layers: ``Normalization`` (with ``adapt``) and ``Rescaling``.

They put the input scaling inside the model, so a saved model takes raw data: the mean and
variance that ``adapt`` computes are non-trainable weights, saved with the other weights.
The random augmentation layers (RandomFlip, RandomRotation, ...) live in
``ember.layers.augmentation``.

Example:
    >>> import numpy as np, ember as em
    >>> norm = em.layers.Normalization()
    >>> norm.adapt(np.array([[0., 7.], [2., 9.]], dtype="float32"))
    >>> norm(np.array([[0., 7.]], dtype="float32"))
    tensor([[-1., -1.]])
    >>> em.layers.Rescaling(1 / 255)(np.array([[255.0]], dtype="float32"))
    tensor([[1.]])
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers.base import Layer
from ember.ops.elementwise import add, div, mul, sub
from ember.ops.misc import astype
from ember.serialization import register

_EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest standard deviation divided by


def _to_numpy(value: Any) -> Any:
    if isinstance(value, Tensor):
        return backend.to_numpy(value.data)
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):  # pandas
        return value.to_numpy()
    return backend.to_numpy(value) if hasattr(value, "shape") else np.asarray(value)


@register()
class Normalization(Layer):
    """Shift and scale inputs to mean 0 and variance 1: ``(x - mean) / sqrt(variance)``.

    ``axis`` (default -1, the features) is the axis or axes that keep a separate mean and
    variance per index; the statistics are shared over every other axis; ``axis=None`` uses
    one scalar mean and variance. Give ``mean`` and ``variance`` directly, or call
    ``adapt(data)`` before training. ``invert=True`` applies the inverse,
    ``mean + x * sqrt(variance)``. The standard deviation is floored at 1e-7 (as Keras).
    """

    def __init__(self, axis: int | tuple[int, ...] | None = -1, mean: Any = None,
                 variance: Any = None, invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axes: tuple = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axes = (axis,)
        else:
            try:
                axes = tuple(int(a) for a in axis)
            except TypeError:
                raise ValueError(f"Normalization: axis must be an int, a tuple of ints or "
                                 f"None; got {axis!r}") from None
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: pass both mean and variance, or neither (and "
                             f"call adapt()); got mean={mean!r}, variance={variance!r}")
        if mean is not None:
            m, v = np.asarray(_to_numpy(mean), "float64"), np.asarray(_to_numpy(variance),
                                                                      "float64")
            if m.shape != v.shape:
                raise ValueError(f"Normalization: mean and variance must have the same shape; "
                                 f"got {m.shape} and {v.shape}")
            if m.ndim > len(axes):
                raise ValueError(f"Normalization: mean has {m.ndim} axes, more than the "
                                 f"{len(axes)} kept axis/axes {axes}")
            if (v < 0).any():
                raise ValueError("Normalization: variance must be >= 0")
        self.axis = axes
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} is out of range "
                             f"for inputs with {ndim} axes (shape {tuple(input_shape)})")
        keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [a for a in keep if input_shape[a] is None]
        if unknown:
            raise ValueError(f"Normalization '{self.name}': the kept axis/axes {unknown} must "
                             f"have a known size; got input shape {tuple(input_shape)}")
        self._keep = keep
        self._reduce = tuple(a for a in range(ndim) if a not in keep)
        self._stat_shape = tuple(int(input_shape[a]) for a in keep)
        self._broadcast_shape = tuple(int(input_shape[a]) if a in keep else 1
                                      for a in range(ndim))
        if self.input_mean is None:
            mean_init, var_init = "zeros", "ones"
        else:
            mean_init = self._fit_stat(self.input_mean, "mean")
            var_init = self._fit_stat(self.input_variance, "variance")
        self.mean = self.add_weight("mean", self._stat_shape, mean_init, trainable=False)
        self.variance = self.add_weight("variance", self._stat_shape, var_init,
                                        trainable=False)

    def _fit_stat(self, value: Any, what: str) -> Any:
        """``value`` broadcast to the statistics' shape (aligned on the right), as an array."""
        arr = np.asarray(_to_numpy(value), dtype=self.dtype)
        try:
            return np.array(np.broadcast_to(arr, self._stat_shape))
        except ValueError:
            raise ValueError(f"Normalization '{self.name}': {what} of shape {arr.shape} does "
                             f"not broadcast to the statistics' shape {self._stat_shape} (the "
                             f"sizes of axis {self.axis})") from None

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Compute the mean and variance of ``data`` and store them in the layer's weights.

        ``data`` is an array (NumPy, Tensor, DataFrame, nested lists) or an iterable of
        batches (a list of arrays, a generator, an ``em.data.Dataset``; ``(x, y)`` batches
        use ``x``), combined
        exactly in float64 (Chan et al.'s parallel mean/variance update); ``steps`` limits
        the number of batches read.
        """
        who = f"Normalization '{self.name}'.adapt"
        nested = isinstance(data, (list, tuple)) and all(
            isinstance(v, (int, float, list, tuple)) for v in data)  # rows, not batches
        if nested or isinstance(data, (np.ndarray, Tensor)) or hasattr(data, "to_numpy") or \
                hasattr(data, "shape") and hasattr(data, "dtype"):
            batches: Any = [_to_numpy(data)]
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            batches = (_to_numpy(b[0] if isinstance(b, tuple) else b) for b in data)
            if steps is not None:
                batches = itertools.islice(batches, int(steps))
        else:
            raise TypeError(f"{who}: expected an array or an iterable of batches; got "
                            f"{type(data).__name__}")
        count, total_mean, total_m2 = 0, None, None
        for batch in batches:
            batch = np.asarray(batch, dtype="float64")
            if not self.built:
                shape = list(batch.shape)
                if shape and all(a % batch.ndim != 0 for a in self.axis):
                    shape[0] = None  # any batch size may follow
                self.build(tuple(shape))
            self._check_adapt_shape(batch, who)
            n = int(np.prod([batch.shape[a] for a in self._reduce], dtype=np.int64))
            if n == 0:
                continue
            b_mean = batch.mean(axis=self._reduce)
            b_m2 = ((batch - batch.mean(axis=self._reduce, keepdims=True)) ** 2).sum(
                axis=self._reduce)
            if total_mean is None:
                count, total_mean, total_m2 = n, b_mean, b_m2
                continue
            delta = b_mean - total_mean
            new_count = count + n
            total_mean = total_mean + delta * (n / new_count)
            total_m2 = total_m2 + b_m2 + delta ** 2 * (count * n / new_count)
            count = new_count
        if total_mean is None:
            raise ValueError(f"{who}: the data held no samples")
        self.mean.assign(np.asarray(total_mean, dtype=self.dtype).reshape(self._stat_shape))
        self.variance.assign(np.asarray(total_m2 / count, dtype=self.dtype).reshape(
            self._stat_shape))

    def _check_adapt_shape(self, batch: Any, who: str) -> None:
        if not self.axis:  # axis=None: one mean and variance for inputs of any shape
            return
        if batch.ndim != len(self._broadcast_shape) or any(
                batch.shape[a] != self._broadcast_shape[a] for a in self._keep):
            raise ValueError(f"{who}: the layer was built for inputs of shape "
                             f"{self._build_input_shape} (axis {self.axis}); got a batch of "
                             f"shape {batch.shape}")

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs if inputs.data.dtype.kind == "f" else astype(inputs, self._np_dtype)
        shape = self._broadcast_shape
        if not self.axis:  # axis=None: scalar statistics, any rank (Keras)
            shape = (1,) * x.ndim
        elif x.ndim != len(shape):
            raise ValueError(f"Normalization '{self.name}' was built for inputs with "
                             f"{len(self._broadcast_shape)} axes; got shape {tuple(x.shape)}")
        xp = backend.xp_of(x.data)
        dt = x.data.dtype
        m = self.mean.data.astype(dt, copy=False).reshape(shape)
        std = xp.maximum(xp.sqrt(self.variance.data.astype(dt, copy=False)), dt.type(_EPSILON))
        std = std.reshape(shape)
        if self.invert:
            return add(mul(x, wrap_array(std)), wrap_array(m))
        return div(sub(x, wrap_array(m)), wrap_array(std))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        def plain(v: Any) -> Any:
            return None if v is None else np.asarray(_to_numpy(v)).tolist()

        axis: Any = None if not self.axis else (self.axis[0] if len(self.axis) == 1
                                                else list(self.axis))
        return {**super().get_config(), "axis": axis, "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}


@register()
class Rescaling(Layer):
    """``inputs * scale + offset``: e.g. ``Rescaling(1 / 255)`` maps [0, 255] pixels to
    [0, 1], ``Rescaling(1 / 127.5, offset=-1)`` to [-1, 1]. ``scale`` and ``offset`` may
    be per-channel lists. Integer inputs become floats."""

    supports_masking = True  # elementwise: the padding mask passes (Keras)

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                arr = np.asarray(value, dtype="float64")
            except (TypeError, ValueError):
                arr = None
            if arr is None or not np.isfinite(arr).all():
                raise ValueError(f"Rescaling: {name} must be a finite number or a list of "
                                 f"them; got {value!r}")
        self.scale = scale
        self.offset = offset

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs if inputs.data.dtype.kind == "f" else astype(inputs, self._np_dtype)
        xp = backend.xp_of(x.data)
        out = mul(x, wrap_array(xp.asarray(self.scale, dtype=x.data.dtype)))
        if np.any(np.asarray(self.offset) != 0):
            out = add(out, wrap_array(xp.asarray(self.offset, dtype=x.data.dtype)))
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        def plain(v: Any) -> Any:
            return np.asarray(v).tolist() if isinstance(v, (list, tuple, np.ndarray)) \
                else float(v)

        return {**super().get_config(), "scale": plain(self.scale),
                "offset": plain(self.offset)}
