"""The binomial distribution: the number of successes in ``total_count`` Bernoulli trials."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.distributions.distribution import (
    Distribution,
    broadcast_all,
    is_integer,
    probs_or_logits,
    probs_to_logits,
)
from ember.distributions.special import log_factorial
from ember.ops import exp, sigmoid, softplus, where
from ember.ops import sum as _sum


class Binomial(Distribution):
    """Binomial(total_count, p): parameterized by ``probs`` or ``logits``, not both.

    log p(k) = log C(n, k) + k log p + (n - k) log(1 - p), computed from the logits as
    k * logits - n * softplus(logits) + log C(n, k): finite for any logit, differentiable in
    the probabilities. ``total_count`` (whole numbers >= 0) broadcasts with the probabilities.

    Example:
        >>> import ember as em
        >>> d = em.distributions.Binomial(10, probs=0.5)
        >>> round(d.log_prob(5.0).exp().item(), 4)   # C(10, 5) / 2**10
        0.2461
        >>> d.mean.item(), d.variance.item()
        (5.0, 2.5)
    """

    has_enumerate_support = True
    support = "whole numbers in [0, total_count]"

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param, self._is_probs = probs_or_logits("Binomial", probs, logits)
        self._param, n = broadcast_all(param, total_count)
        # counts are data, never differentiated, kept in the probabilities' float type
        self.total_count = wrap_array(n.data.astype(self._param.data.dtype, copy=False))
        super().__init__(self._param.shape, (), validate_args)
        c = self.total_count.data
        self._check_param("total_count", self.total_count, (c >= 0) & is_integer(c),
                          "whole numbers >= 0")
        a = self._param.data
        if self._is_probs:
            self._check_param("probs", self._param, (a >= 0) & (a <= 1), "in [0, 1]")
        else:
            self._check_param("logits", self._param, a == a, "a real number (not NaN)")

    def _repr_params(self) -> tuple:
        return ("total_count", "probs" if self._is_probs else "logits")

    @property
    def probs(self) -> Tensor:
        """The success probability of each trial."""
        return self._param if self._is_probs else sigmoid(self._param)

    @property
    def logits(self) -> Tensor:
        """log(p / (1 - p)); probabilities are clamped to [eps, 1 - eps] first."""
        return probs_to_logits(self._param, is_binary=True) if self._is_probs else self._param

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """floor((n + 1) p), at most n."""
        n, p = self.total_count.data, self.probs.data
        xp = xp_of(p)
        return wrap_array(xp.minimum(xp.floor((n + 1) * p), n).astype(p.dtype))

    @property
    def variance(self) -> Tensor:
        p = self.probs
        return self.total_count * p * (1 - p)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        xp = xp_of(p)
        n = xp.broadcast_to(self.total_count.data, shape).astype("int64")
        draws = backend.rng(xp).binomial(n, xp.broadcast_to(p, shape).astype("float64"))
        return wrap_array(xp.asarray(draws).astype(p.dtype))

    def _in_support(self, value: Any) -> Any:
        return (value >= 0) & (value <= self.total_count.data) & is_integer(value)

    def log_prob(self, value: Any) -> Tensor:
        z = self.logits
        v = self._value(value, z)
        return self._log_prob(v, z)

    def _log_prob(self, v: Tensor, z: Tensor) -> Tensor:
        n = self.total_count
        xp = xp_of(z.data)
        nd, vd = n.data, v.data
        log_choose = log_factorial(nd) - log_factorial(vd) - log_factorial(xp.maximum(nd - vd, 0))
        return v * z - n * softplus(z) + wrap_array(log_choose.astype(z.data.dtype))

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value) = I_{1-p}(n - k, k + 1) with k = floor(value) (SciPy's ``binom.cdf``).

        0 below 0 and 1 from total_count on; no gradient (computed from the special functions).

        Example:
            >>> import ember as em
            >>> round(em.distributions.Binomial(10, probs=0.5).cdf(2).item(), 6)   # 56 / 1024
            0.054688
        """
        from ember.distributions.continuous import as_float, back, host
        from ember.distributions.special import betainc_pair

        k = np.floor(host(as_float(value, self.probs)))
        n, p = host(self.total_count), host(self.probs)
        k, n, p = np.broadcast_arrays(k, n, p)
        inside = (k >= 0) & (k < n)
        ks = np.where(inside, k, 0.0)
        lower = betainc_pair(np.where(inside, n - ks, 1.0), ks + 1, 1.0 - p)[0]
        return back(np.where(k < 0, 0.0, np.where(k >= n, 1.0, lower)), self.probs)

    def sf(self, value: Any) -> Tensor:
        """P(X > value) = I_p(k + 1, n - k), computed directly."""
        from ember.distributions.continuous import as_float, back, host
        from ember.distributions.special import betainc_pair

        k = np.floor(host(as_float(value, self.probs)))
        n, p = host(self.total_count), host(self.probs)
        k, n, p = np.broadcast_arrays(k, n, p)
        inside = (k >= 0) & (k < n)
        ks = np.where(inside, k, 0.0)
        upper = betainc_pair(np.where(inside, n - ks, 1.0), ks + 1, 1.0 - p)[1]
        return back(np.where(k < 0, 1.0, np.where(k >= n, 0.0, upper)), self.probs)

    def entropy(self) -> Tensor:
        """-sum_k p(k) log p(k), summed over k = 0 .. total_count (exact, differentiable).

        Unlike PyTorch this also works when total_count differs across the batch: counts
        above an element's total_count are masked out.
        """
        z = self.logits
        xp = xp_of(z.data)
        n = self.total_count.data
        top = int(n.max()) if n.size else 0
        k = xp.arange(top + 1, dtype=z.data.dtype).reshape((top + 1,) + (1,) * z.ndim)
        inside = k <= n
        lp = self._log_prob(wrap_array(xp.minimum(k, n)), z)
        return -_sum(where(inside, exp(lp) * lp, 0.0), axis=0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 .. total_count along a new leading axis (one total_count for the whole batch)."""
        n = self.total_count.data
        xp = xp_of(n)
        if n.size and not bool(xp.all(n == n.reshape(-1)[0])):
            raise NotImplementedError("Binomial.enumerate_support: total_count differs across "
                                      "the batch, so the supports differ; enumerate one count")
        top = int(n.reshape(-1)[0]) if n.size else 0
        values = xp.arange(top + 1, dtype=n.dtype).reshape((top + 1,) + (1,) * n.ndim)
        if expand:
            values = xp.broadcast_to(values, (top + 1,) + self.batch_shape)
        return wrap_array(values)
