"""The normal (Gaussian) distribution N(loc, scale^2)."""

from __future__ import annotations

import math
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.distribution import Distribution, broadcast_all
from ember.distributions.special import ndtr, ndtri
from ember.ops import erf, log, square

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class Normal(Distribution):
    """Normal distribution with mean ``loc`` and standard deviation ``scale`` (> 0).

    density: p(x) = exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))

    ``rsample`` draws loc + scale * eps with eps ~ N(0, 1) (the reparameterization trick), so
    gradients flow from samples to ``loc`` and ``scale``.

    Example:
        >>> import ember as em
        >>> d = em.distributions.Normal(0.0, 1.0)
        >>> round(d.log_prob(0.0).item(), 4)   # -log(sqrt(2 pi))
        -0.9189
        >>> d.sample((2, 3)).shape
        (2, 3)
    """

    has_rsample = True
    support = "real numbers"

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)
        if self._validate_args:
            self._check_param("loc", self.loc, self.loc.data == self.loc.data, "a real number")
            self._check_param("scale", self.scale, self.scale.data > 0, "positive (> 0)")

    def _repr_params(self) -> tuple:
        return ("loc", "scale")

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return square(self.scale)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        data = self.loc.data
        xp = xp_of(data)
        dt = data.dtype if data.dtype.name in ("float32", "float64") else "float32"
        eps = backend.rng(xp).standard_normal(shape, dtype=dt).astype(data.dtype, copy=False)
        return self.loc + wrap_array(eps) * self.scale

    def log_prob(self, value: Any) -> Tensor:
        v = self._value(value, self.loc)
        z = (v - self.loc) / self.scale
        return -0.5 * square(z) - log(self.scale) - _HALF_LOG_2PI

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value) = (1 + erf((value - loc) / (scale sqrt 2))) / 2.

        The value is float64-accurate (``special.ndtr``, to ~1e-15 also far in the tails);
        the gradient is the density, through ember's erf op.
        """
        v = self._value(value, self.loc)
        approx = 0.5 * (1 + erf((v - self.loc) / (self.scale * math.sqrt(2.0))))
        return approx + wrap_array(self._exact(ndtr, v, 1.0) - approx.data)

    def sf(self, value: Any) -> Tensor:
        """P(X > value), computed directly (accurate far in the upper tail)."""
        v = self._value(value, self.loc)
        approx = 0.5 * (1 - erf((v - self.loc) / (self.scale * math.sqrt(2.0))))
        return approx + wrap_array(self._exact(ndtr, v, -1.0) - approx.data)

    def _exact(self, fn: Any, v: Tensor, sign: float) -> Any:
        xp = xp_of(v.data)
        z = (v.data.astype("float64") - self.loc.data) / self.scale.data
        return xp.asarray(fn(sign * z)).astype(v.data.dtype)

    def icdf(self, value: Any) -> Tensor:
        """The quantile function loc + scale * Phi^-1(value) (SciPy's ``norm.ppf``).

        Example:
            >>> import ember as em
            >>> round(em.distributions.Normal(0.0, 1.0).icdf(0.975).item(), 4)
            1.96
        """
        q = self._value_probability(value)
        xp = xp_of(q.data)
        z = wrap_array(xp.asarray(ndtri(q.data)).astype(q.data.dtype))
        return self.loc + self.scale * z

    def _value_probability(self, value: Any) -> Tensor:
        from ember.distributions.continuous import as_float, check_probability

        q = as_float(value, self.loc)
        check_probability("Normal", q)
        return q

    def entropy(self) -> Tensor:
        """0.5 + 0.5 log(2 pi) + log(scale)."""
        return log(self.scale) + (0.5 + _HALF_LOG_2PI)
