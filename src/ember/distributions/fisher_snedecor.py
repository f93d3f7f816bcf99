"""The F distribution: the ratio of two chi-squares, each divided by its degrees of freedom."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.continuous import as_float, back, check_probability, host
from ember.distributions.distribution import Distribution, broadcast_all
from ember.distributions.inverse import invert_cdf
from ember.distributions.special import betainc_pair, lgamma
from ember.ops import log, where


class FisherSnedecor(Distribution):
    """F(df1, df2) (both > 0): (U1 / df1) / (U2 / df2) with U1 ~ chi2(df1), U2 ~ chi2(df2).

    CDF: I_{df1 x / (df1 x + df2)}(df1 / 2, df2 / 2). The statistic of ANOVA and of
    comparing two variances. PyTorch's name; ``scipy.stats.f`` gives the same values.

    Example:
        >>> import ember as em
        >>> f = em.distributions.FisherSnedecor(3.0, 20.0)
        >>> round(f.icdf(0.95).item(), 4)   # the 5% critical value of a one-way ANOVA
        3.0984
    """

    support = "non-negative real numbers"

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        super().__init__(self.df1.shape, (), validate_args)
        self._check_param("df1", self.df1, self.df1.data > 0, "positive (> 0)")
        self._check_param("df2", self.df2, self.df2.data > 0, "positive (> 0)")

    def _repr_params(self) -> tuple:
        return ("df1", "df2")

    @property
    def mean(self) -> Tensor:
        """df2 / (df2 - 2) for df2 > 2, NaN otherwise."""
        d2 = self.df2
        return where(d2.data > 2, d2 / where(d2.data > 2, d2 - 2, 1.0), float("nan"))

    @property
    def mode(self) -> Tensor:
        d1, d2 = self.df1, self.df2
        return where(d1.data > 2, (d1 - 2) / d1 * d2 / (d2 + 2), float("nan"))

    @property
    def variance(self) -> Tensor:
        """2 df2^2 (df1 + df2 - 2) / (df1 (df2 - 2)^2 (df2 - 4)) for df2 > 4, NaN otherwise."""
        d1, d2 = self.df1, self.df2
        ok = d2.data > 4
        safe = where(ok, d2, 5.0)
        var = 2 * safe * safe * (d1 + safe - 2) / (d1 * (safe - 2) ** 2 * (safe - 4))
        return where(ok, var, float("nan"))

    def _in_support(self, value: Any) -> Any:
        return value >= 0

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        d1, d2 = self.df1.data, self.df2.data
        xp = xp_of(d1)
        draws = backend.rng(xp).f(xp.broadcast_to(d1, shape).astype("float64"),
                                  xp.broadcast_to(d2, shape).astype("float64"))
        return wrap_array(xp.asarray(draws).astype(d1.dtype))

    def log_prob(self, value: Any) -> Tensor:
        v = self._value(value, self.df1)
        a, b = host(self.df1) / 2, host(self.df2) / 2
        const = back(a * np.log(2 * a / (2 * b)) - (lgamma(a) + lgamma(b) - lgamma(a + b)),
                     self.df1)
        return const + (self.df1 / 2 - 1) * log(v) - (self.df1 + self.df2) / 2 * log(
            1 + self.df1 / self.df2 * v)

    def _tails(self, x: np.ndarray, a: Any = None, b: Any = None
               ) -> tuple[np.ndarray, np.ndarray]:
        a = host(self.df1) / 2 if a is None else a
        b = host(self.df2) / 2 if b is None else b
        x = np.maximum(x, 0.0)
        with np.errstate(all="ignore"):
            u = np.where(np.isinf(x), 1.0, a * x / (a * x + b))
        return betainc_pair(a, b, u)

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value)."""
        return back(self._tails(host(as_float(value, self.df1)))[0], self.df1)

    def sf(self, value: Any) -> Tensor:
        """P(X > value), computed directly (the ANOVA p-value)."""
        return back(self._tails(host(as_float(value, self.df1)))[1], self.df1)

    def icdf(self, value: Any) -> Tensor:
        """The quantile: the x with P(X <= x) = value."""
        q = as_float(value, self.df1)
        check_probability("FisherSnedecor", q)
        qs = host(q)
        shape = np.broadcast_shapes(qs.shape, tuple(self.batch_shape))
        qs = np.broadcast_to(qs, shape)
        a = np.broadcast_to(host(self.df1) / 2, shape)
        b = np.broadcast_to(host(self.df2) / 2, shape)
        const = a * np.log(a / b) - (lgamma(a) + lgamma(b) - lgamma(a + b))

        def pdf(x: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.exp(const + (a - 1) * np.log(x) - (a + b) * np.log1p(a / b * x))

        x = invert_cdf(qs, lambda x: self._tails(x, a, b)[0], lambda x: self._tails(x, a, b)[1],
                       pdf, 0.0, np.ones(shape))
        return back(x, self.df1)
