"""Student's t distribution: the sampling distribution of a mean divided by its standard error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.continuous import as_float, back, check_probability, host
from ember.distributions.distribution import Distribution, broadcast_all
from ember.distributions.inverse import invert_cdf
from ember.distributions.special import betainc_pair, lgamma, ndtri
from ember.ops import log, log1p, square, where


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom (> 0), shifted by ``loc``, scaled by ``scale``.

    density: Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi) scale) * (1 + z^2/df)^(-(df+1)/2),
    z = (x - loc) / scale. CDF from the incomplete beta function; ``icdf`` inverts it. As df
    grows it becomes the normal distribution. Matches ``scipy.stats.t`` (pdf, cdf, sf, ppf).

    Example:
        >>> import ember as em
        >>> t = em.distributions.StudentT(df=9.0)
        >>> round(t.icdf(0.975).item(), 4)   # the 95% two-sided critical value for n = 10
        2.2622
        >>> round(t.sf(2.2622).item(), 4)
        0.025
    """

    has_rsample = False
    support = "real numbers"

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, (), validate_args)
        self._check_param("df", self.df, self.df.data > 0, "positive (> 0)")
        self._check_param("scale", self.scale, self.scale.data > 0, "positive (> 0)")

    def _repr_params(self) -> tuple:
        return ("df", "loc", "scale")

    @property
    def mean(self) -> Tensor:
        """loc for df > 1, NaN otherwise (the mean does not exist)."""
        return where(self.df.data > 1, self.loc, float("nan"))

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """scale^2 df / (df - 2) for df > 2, inf for 1 < df <= 2, NaN for df <= 1."""
        d = self.df.data
        xp = xp_of(d)
        var = square(self.scale) * self.df / where(d > 2, self.df - 2, 1.0)
        return where(d > 2, var, wrap_array(xp.where(d > 1, xp.inf, xp.nan).astype(d.dtype)))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        d = self.df.data
        xp = xp_of(d)
        z = backend.rng(xp).standard_t(xp.broadcast_to(d, shape).astype("float64"))
        return self.loc.detach() + wrap_array(xp.asarray(z).astype(d.dtype)) * self.scale.detach()

    def log_prob(self, value: Any) -> Tensor:
        v = self._value(value, self.loc)
        df = host(self.df)
        const = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * np.log(df * math.pi)
        z = (v - self.loc) / self.scale
        return (back(const, self.df) - log(self.scale)
                - 0.5 * (self.df + 1) * log1p(square(z) / self.df))

    def _z(self, value: Any) -> np.ndarray:
        v = as_float(value, self.loc)
        return (host(v) - host(self.loc)) / host(self.scale)

    def _tails(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(T <= z), P(T > z)) for the standard t, each accurate in its own tail."""
        df = host(self.df)
        # P(|T| > |z|) = I_{df / (df + z^2)}(df / 2, 1 / 2)
        with np.errstate(over="ignore"):
            x = df / (df + z * z)
        both, inner = betainc_pair(df / 2, 0.5, x)
        outer = 0.5 * both                  # P(T > |z|)
        rest = 0.5 + 0.5 * inner            # P(T <= |z|)
        below = np.where(z < 0, outer, rest)
        above = np.where(z < 0, rest, outer)
        return below, above

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value)."""
        return back(self._tails(self._z(value))[0], self.loc)

    def sf(self, value: Any) -> Tensor:
        """P(X > value), computed directly (accurate far in the upper tail)."""
        return back(self._tails(self._z(value))[1], self.loc)

    def icdf(self, value: Any) -> Tensor:
        """The quantile: the x with P(X <= x) = value."""
        q = as_float(value, self.loc)
        check_probability("StudentT", q)
        qs = host(q)
        shape = np.broadcast_shapes(qs.shape, tuple(self.batch_shape))
        qs = np.broadcast_to(qs, shape)
        df = np.broadcast_to(host(self.df), shape)
        std = StudentT(df, validate_args=False)
        z = invert_cdf(qs, lambda t: std._tails(t)[0], lambda t: std._tails(t)[1],
                       lambda t: np.exp(host(std.log_prob(wrap_array(t)))), -np.inf, ndtri(qs))
        return back(z * host(self.scale) + host(self.loc), self.loc)

    def entropy(self) -> Tensor:
        """(df+1)/2 (psi((df+1)/2) - psi(df/2)) + log(sqrt(df) B(df/2, 1/2)) + log(scale)."""
        df = host(self.df)
        beta = lgamma(df / 2) + lgamma(0.5) - lgamma((df + 1) / 2)
        value = ((df + 1) / 2 * (_digamma((df + 1) / 2) - _digamma(df / 2))
                 + 0.5 * np.log(df) + beta)
        return back(value, self.df) + log(self.scale)


def _digamma(x: np.ndarray) -> np.ndarray:
    # recurrence up to x >= 10, then the asymptotic series (first dropped term < 1e-12)
    x = np.asarray(x, dtype="float64")
    acc = np.zeros_like(x)
    for _ in range(10):
        small = x < 10
        acc = acc - np.where(small, 1.0 / np.where(small, x, 1.0), 0.0)
        x = np.where(small, x + 1, x)
    inv2 = 1.0 / (x * x)
    series = (np.log(x) - 0.5 / x
              - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240)))))
    return acc + series
