"""The continuous uniform distribution on [low, high)."""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.distributions.continuous import check_probability
from ember.distributions.distribution import Distribution, broadcast_all, draw_uniform
from ember.ops import clip, log, square, where


class Uniform(Distribution):
    """Uniform(low, high), low < high: every value in [low, high) equally likely.

    density 1 / (high - low); mean (low + high) / 2; variance (high - low)^2 / 12.
    ``rsample`` is low + u (high - low) with u ~ U[0, 1), differentiable in low and high. The
    distribution behind Monte Carlo integration (``ember.integrate.monte_carlo``).

    Example:
        >>> import ember as em
        >>> u = em.distributions.Uniform(0.0, 4.0)
        >>> u.mean.item(), round(u.variance.item(), 4), u.cdf(1.0).item(), u.icdf(0.5).item()
        (2.0, 1.3333, 0.25, 2.0)
    """

    has_rsample = True
    support = "[low, high)"

    def __init__(self, low: Any = 0.0, high: Any = 1.0, validate_args: bool | None = None
                 ) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        self._check_param("high", self.high, self.high.data > self.low.data,
                          "greater than low")

    def _repr_params(self) -> tuple:
        return ("low", "high")

    @property
    def mean(self) -> Tensor:
        return (self.low + self.high) / 2

    @property
    def mode(self) -> Tensor:
        """NaN: every value in the support is equally likely (PyTorch's answer)."""
        return where(self.low.data != self.low.data, self.low, float("nan"))

    @property
    def variance(self) -> Tensor:
        return square(self.high - self.low) / 12

    def _in_support(self, value: Any) -> Any:
        return (value >= self.low.data) & (value < self.high.data)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = draw_uniform(shape, self.low.data.dtype, self.low.data)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        v = self._value(value, self.low)
        return -log(self.high - self.low) + 0 * v

    def cdf(self, value: Any) -> Tensor:
        """(value - low) / (high - low), clipped to [0, 1]."""
        from ember.distributions.continuous import as_float

        v = as_float(value, self.low)
        return clip((v - self.low) / (self.high - self.low), 0.0, 1.0)

    def icdf(self, value: Any) -> Tensor:
        """low + value (high - low)."""
        from ember.distributions.continuous import as_float

        q = as_float(value, self.low)
        check_probability("Uniform", q)
        return self.low + q * (self.high - self.low)

    def entropy(self) -> Tensor:
        return log(self.high - self.low)
