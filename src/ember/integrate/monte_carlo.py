"""Monte Carlo integration: volume times the average of f at uniformly drawn points.

The estimate's standard error is volume * std(f) / sqrt(n): a hundred times the points buys
one more digit, whatever the dimension (where grid rules need exponentially many points).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor


class MonteCarloResult:
    """``integral`` and ``standard_error`` (the field names of ``scipy.integrate.qmc_quad``);
    unpacks as that pair."""

    def __init__(self, integral: float, standard_error: float) -> None:
        self.integral = float(integral)
        self.standard_error = float(standard_error)

    def __iter__(self):
        return iter((self.integral, self.standard_error))

    def __repr__(self) -> str:
        return (f"MonteCarloResult(integral={self.integral:.6g}, "
                f"standard_error={self.standard_error:.3g})")


def monte_carlo(func: Callable, a: Any, b: Any, n: int = 10_000, seed: int | None = None
                ) -> MonteCarloResult:
    """Estimate the integral of ``func`` over the box [a, b] from ``n`` uniform draws.

    Args:
        func: called once with the points, a float64 tensor of shape (n,) for one dimension
            (a and b numbers) or (n, d) for d dimensions (a and b of length d, one row per
            point); returns n values.
        a, b: the lower and upper corners (finite, a < b).
        n: the number of points; seed: seeds ember's generator first
            (``em.utils.set_random_seed``) for a reproducible estimate.

    Example:
        >>> import ember as em
        >>> r = em.integrate.monte_carlo(lambda x: x ** 2, 0.0, 3.0, n=100_000, seed=0)
        >>> abs(r.integral - 9.0) < 4 * r.standard_error   # exact: 9
        True
    """
    from ember.distributions import Uniform

    lo = np.asarray(a, dtype="float64")
    hi = np.asarray(b, dtype="float64")
    if lo.shape != hi.shape or lo.ndim > 1:
        raise ValueError(f"monte_carlo: a and b must be two numbers or two 1-D lists of the "
                         f"same length; got shapes {lo.shape} and {hi.shape}")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)):
        raise ValueError(f"monte_carlo: needs finite limits with a < b in every dimension; got "
                         f"a={lo.tolist()}, b={hi.tolist()}")
    if int(n) < 2:
        raise ValueError(f"monte_carlo: n must be at least 2 (to estimate the error); got {n}")
    if seed is not None:
        from ember.utils import set_random_seed

        set_random_seed(seed)
    box = Uniform(Tensor(lo), Tensor(hi))
    points = box.sample((int(n),))
    with no_grad():
        out = func(points)
    values = backend.to_numpy(out.data) if isinstance(out, Tensor) else np.asarray(out)
    values = values.astype("float64").reshape(-1)
    if values.size != int(n):
        raise ValueError(f"monte_carlo: func must return one value per point ({n}); got "
                         f"{values.size} values")
    volume = float(np.prod(hi - lo))
    return MonteCarloResult(volume * values.mean(), volume * values.std(ddof=1) / np.sqrt(n))
