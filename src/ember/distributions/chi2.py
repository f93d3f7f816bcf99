"""The chi-square distribution: a sum of ``df`` squared standard normals."""

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
from ember.distributions.special import gammainc, gammaincc, lgamma
from ember.ops import log, where


class Chi2(Distribution):
    """Chi-square with ``df`` degrees of freedom (> 0): Gamma(df / 2, rate 1 / 2).

    density: x^(df/2 - 1) e^(-x/2) / (2^(df/2) Gamma(df/2)) for x >= 0; CDF P(df/2, x/2) (the
    regularized incomplete gamma function). The statistic of the chi-square test
    (``ember.stats.chi2_contingency``). Matches ``scipy.stats.chi2``.

    Example:
        >>> import ember as em
        >>> c = em.distributions.Chi2(df=1.0)
        >>> round(c.icdf(0.95).item(), 4)   # 1.96^2
        3.8415
        >>> c.mean.item(), c.variance.item()
        (1.0, 2.0)
    """

    support = "non-negative real numbers"

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        (self.df,) = broadcast_all(df)
        super().__init__(self.df.shape, (), validate_args)
        self._check_param("df", self.df, self.df.data > 0, "positive (> 0)")

    def _repr_params(self) -> tuple:
        return ("df",)

    @property
    def mean(self) -> Tensor:
        return self.df

    @property
    def mode(self) -> Tensor:
        return where(self.df.data > 2, self.df - 2, 0.0)

    @property
    def variance(self) -> Tensor:
        return 2 * self.df

    def _in_support(self, value: Any) -> Any:
        return value >= 0

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        d = self.df.data
        xp = xp_of(d)
        draws = backend.rng(xp).chisquare(xp.broadcast_to(d, shape).astype("float64"))
        return wrap_array(xp.asarray(draws).astype(d.dtype))

    def log_prob(self, value: Any) -> Tensor:
        v = self._value(value, self.df)
        k = host(self.df) / 2
        const = back(-k * math.log(2.0) - lgamma(k), self.df)
        return const + (self.df / 2 - 1) * log(v) - v / 2

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value) = P(df / 2, value / 2)."""
        x = np.maximum(host(as_float(value, self.df)), 0.0)
        return back(gammainc(host(self.df) / 2, x / 2), self.df)

    def sf(self, value: Any) -> Tensor:
        """P(X > value) = Q(df / 2, value / 2), computed directly (the test's p-value)."""
        x = np.maximum(host(as_float(value, self.df)), 0.0)
        return back(gammaincc(host(self.df) / 2, x / 2), self.df)

    def icdf(self, value: Any) -> Tensor:
        """The quantile: the x with P(X <= x) = value."""
        q = as_float(value, self.df)
        check_probability("Chi2", q)
        qs = host(q)
        shape = np.broadcast_shapes(qs.shape, tuple(self.batch_shape))
        qs = np.broadcast_to(qs, shape)
        k = np.broadcast_to(host(self.df), shape) / 2

        def pdf(x: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.exp((k - 1) * np.log(x) - x / 2 - k * math.log(2.0) - lgamma(k))

        x = invert_cdf(qs, lambda x: gammainc(k, x / 2), lambda x: gammaincc(k, x / 2), pdf,
                       0.0, 2 * k)
        return back(x, self.df)

    def entropy(self) -> Tensor:
        """df/2 + log(2 Gamma(df/2)) + (1 - df/2) psi(df/2)."""
        from ember.distributions.student_t import _digamma

        k = host(self.df) / 2
        return back(k + math.log(2.0) + lgamma(k) + (1 - k) * _digamma(k), self.df)
