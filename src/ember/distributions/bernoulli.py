"""The Bernoulli distribution: 1 with probability p, 0 otherwise."""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.distribution import (
    Distribution,
    broadcast_all,
    draw_uniform,
    probs_or_logits,
    probs_to_logits,
)
from ember.ops import sigmoid, softplus


class Bernoulli(Distribution):
    """Bernoulli distribution parameterized by ``probs`` (p in [0, 1]) or ``logits``
    (log(p / (1 - p))), not both.

    log p(x) = x * logits - softplus(logits), the numerically stable form of
    x log p + (1 - x) log(1 - p) (the negative of binary cross-entropy with logits).

    Example:
        >>> import ember as em
        >>> d = em.distributions.Bernoulli(probs=0.25)
        >>> round(d.log_prob(1.0).item(), 4), d.variance.item()
        (-1.3863, 0.1875)
    """

    has_enumerate_support = True
    support = "{0, 1}"

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param, self._is_probs = probs_or_logits("Bernoulli", probs, logits)
        (self._param,) = broadcast_all(param)
        super().__init__(self._param.shape, (), validate_args)
        a = self._param.data
        if self._is_probs:
            self._check_param("probs", self._param, (a >= 0) & (a <= 1), "in [0, 1]")
        else:
            self._check_param("logits", self._param, a == a, "a real number (not NaN)")

    def _repr_params(self) -> tuple:
        return ("probs",) if self._is_probs else ("logits",)

    @property
    def probs(self) -> Tensor:
        """P(X = 1)."""
        return self._param if self._is_probs else sigmoid(self._param)

    @property
    def logits(self) -> Tensor:
        """log(p / (1 - p)); probabilities are clamped to [eps, 1 - eps] first."""
        return probs_to_logits(self._param, is_binary=True) if self._is_probs else self._param

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where p > 1/2, 0 where p < 1/2, NaN at a tie (as PyTorch)."""
        p = self.probs.data
        xp = xp_of(p)
        return wrap_array(xp.where(p == 0.5, xp.nan, (p > 0.5)).astype(p.dtype))

    @property
    def variance(self) -> Tensor:
        p = self.probs
        return p * (1 - p)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        u = draw_uniform(shape, p.dtype, p).data
        return wrap_array((u < p).astype(p.dtype))

    def _in_support(self, value: Any) -> Any:
        return (value == 0) | (value == 1)

    def log_prob(self, value: Any) -> Tensor:
        z = self.logits
        v = self._value(value, z)
        return v * z - softplus(z)

    def entropy(self) -> Tensor:
        """-p log p - (1 - p) log(1 - p) = softplus(logits) - p * logits."""
        z = self.logits
        return softplus(z) - self.probs * z

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """[0, 1] along a new leading axis: shape (2,) + batch_shape, or (2, 1, ..., 1)."""
        xp = xp_of(self._param.data)
        values = xp.arange(2, dtype=self._param.data.dtype)
        values = values.reshape((2,) + (1,) * len(self.batch_shape))
        if expand:
            values = xp.broadcast_to(values, (2,) + self.batch_shape)
        return wrap_array(values)
