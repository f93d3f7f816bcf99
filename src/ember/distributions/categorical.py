"""The categorical distribution: one of K classes, class k with probability p[k]."""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.distribution import (
    Distribution,
    broadcast_all,
    draw_uniform,
    is_integer,
    probs_or_logits,
    probs_to_logits,
)
from ember.ops import broadcast_to, clip, logsumexp, reshape, softmax, take_along_axis
from ember.ops import sum as _sum


class Categorical(Distribution):
    """Categorical distribution over K classes (the last axis of ``probs`` or ``logits``).

    ``probs`` need only be non-negative with a positive sum: each row is divided by its sum.
    ``logits`` are unnormalized log-probabilities: ``logits - logsumexp(logits)`` is kept.
    Samples and values are integer class indices in [0, K); ``batch_shape`` is the parameter's
    shape without the last axis. As in PyTorch, ``mean`` and ``variance`` are NaN (a class
    index has no meaningful average); ``mode`` is the most likely class.

    Example:
        >>> import ember as em
        >>> d = em.distributions.Categorical(probs=[0.2, 0.3, 0.5])
        >>> round(d.log_prob(2).item(), 4), d.mode.item()
        (-0.6931, 2)
        >>> d.sample((4,)).shape
        (4,)
    """

    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param, self._is_probs = probs_or_logits(type(self).__name__, probs, logits)
        (param,) = broadcast_all(param)
        if param.ndim < 1:
            raise ValueError(f"{type(self).__name__}: {'probs' if self._is_probs else 'logits'}"
                             " needs at least one axis (the classes, last); got a scalar")
        super().__init__(param.shape[:-1], (), validate_args)
        a = param.data
        xp = xp_of(a)
        if self._is_probs:
            self._check_param("probs", param, (a >= 0) & xp.isfinite(a),
                              "finite and non-negative")
            self._check_param("probs", param, xp.broadcast_to(a.sum(-1, keepdims=True) > 0,
                                                              a.shape),
                              "a row with a positive sum")
            self._param = param / _sum(param, axis=-1, keepdims=True)
        else:
            self._check_param("logits", param, a == a, "a real number (not NaN)")
            self._param = param - logsumexp(param, axis=-1, keepdims=True)
        self._num_events = param.shape[-1]

    @property
    def support(self) -> str:  # type: ignore[override]
        return f"class indices in [0, {self._num_events})"

    def _repr_params(self) -> tuple:
        return ("probs",) if self._is_probs else ("logits",)

    @property
    def param_shape(self) -> tuple:
        """batch_shape + (number of classes,)."""
        return tuple(self._param.shape)

    @property
    def probs(self) -> Tensor:
        """Normalized class probabilities (rows sum to 1)."""
        return self._param if self._is_probs else softmax(self._param, axis=-1)

    @property
    def logits(self) -> Tensor:
        """Normalized log-probabilities (probabilities are clamped to [eps, 1 - eps] first)."""
        return probs_to_logits(self._param) if self._is_probs else self._param

    @property
    def mean(self) -> Tensor:
        return self._nan()

    @property
    def variance(self) -> Tensor:
        return self._nan()

    def _nan(self) -> Tensor:
        xp = xp_of(self._param.data)
        return wrap_array(xp.full(self.batch_shape, xp.nan, dtype=self._param.data.dtype))

    @property
    def mode(self) -> Tensor:
        return wrap_array(xp_of(self._param.data).argmax(self._param.data, axis=-1))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Class indices (int64) by inverting the cumulative distribution of each row."""
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        xp = xp_of(p)
        cdf = xp.cumsum(p.astype("float64"), axis=-1)
        cdf /= cdf[..., -1:]
        u = draw_uniform(shape, "float64", p).data
        # the class is the number of cumulative sums <= u: classes with p = 0 are never drawn
        if not self.batch_shape:
            idx = xp.searchsorted(cdf, u, side="right")
        else:
            idx = (cdf <= u[..., None]).sum(axis=-1)
        return wrap_array(xp.minimum(idx, self._num_events - 1).astype("int64"))

    def _in_support(self, value: Any) -> Any:
        return (value >= 0) & (value < self._num_events) & is_integer(value)

    def log_prob(self, value: Any) -> Tensor:
        logits = self.logits
        v = self._value(value, logits)
        xp = xp_of(logits.data)
        shape = backend.numpy_module().broadcast_shapes(tuple(v.shape), self.batch_shape)
        idx = xp.broadcast_to(v.data.astype("int64"), shape)[..., None]
        lp = broadcast_to(logits, shape + (self._num_events,))
        return reshape(take_along_axis(lp, idx, axis=-1), shape)

    def entropy(self) -> Tensor:
        """-sum_k p[k] log p[k] (classes with p = 0 contribute 0)."""
        logits = self.logits
        low = float(xp_of(logits.data).finfo(logits.data.dtype).min)
        return -_sum(clip(logits, low) * self.probs, axis=-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 .. K-1 along a new leading axis: shape (K,) + batch_shape, or (K, 1, ..., 1)."""
        xp = xp_of(self._param.data)
        k = self._num_events
        values = xp.arange(k, dtype="int64").reshape((k,) + (1,) * len(self.batch_shape))
        if expand:
            values = xp.broadcast_to(values, (k,) + self.batch_shape)
        return wrap_array(values)
