"""E[f(X)]: exact sums over a finite support, or Monte Carlo averages over samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.autograd.tensor import Tensor
from ember.distributions.distribution import Distribution
from ember.ops import exp, mean
from ember.ops import sum as _sum


def expectation(fn: Callable[[Tensor], Any], dist: Distribution,
                num_samples: int | None = None) -> Tensor:
    """The expected value E[fn(X)] for X ~ ``dist``, one value per batch element.

    With ``num_samples=None`` and a finite support (Bernoulli, Categorical, Binomial) it is the
    exact sum over the support of p(x) * fn(x), differentiable in the parameters through
    ``log_prob``. Otherwise it is the Monte Carlo average of fn over ``num_samples`` draws
    (10,000 by default), whose error shrinks like 1 / sqrt(num_samples); draws come from
    ``rsample`` when the distribution has one, so gradients reach the parameters (the
    reparameterization trick).

    Example:
        >>> import ember as em
        >>> coin = em.distributions.Bernoulli(probs=0.3)
        >>> round(em.distributions.expectation(lambda x: 10 * x, coin).item(), 4)
        3.0
        >>> d = em.distributions.Normal(2.0, 1.0)
        >>> ex2 = em.distributions.expectation(lambda x: x * x, d, num_samples=100_000)
        >>> abs(ex2.item() - 5.0) < 0.1   # E[X^2] = mean^2 + variance
        True
    """
    if num_samples is None and dist.has_enumerate_support:
        try:
            values = dist.enumerate_support(expand=False)
        except NotImplementedError:  # e.g. a Binomial whose total_count varies
            values = None
        if values is not None:
            return _sum(exp(dist.log_prob(values)) * fn(values), axis=0)
    n = 10_000 if num_samples is None else int(num_samples)
    if n < 1:
        raise ValueError(f"expectation: num_samples must be at least 1; got {num_samples}")
    draws = dist.rsample((n,)) if dist.has_rsample else dist.sample((n,))
    return mean(fn(draws), axis=0)
