"""Integration with SciPy's names: rules on sampled values, adaptive quadrature, Monte Carlo.

- ``trapezoid(y, x=None, dx=1.0, axis=-1)``, ``simpson(...)``: the area under sampled values
  (``scipy.integrate.trapezoid`` / ``simpson``, the same results), differentiable in ``y``;
- ``quad(func, a, b)``: adaptive Gauss-Legendre quadrature of a function (an ember function of
  a tensor, or any vectorized Python function), infinite limits included; returns
  ``(value, abserr)`` like ``scipy.integrate.quad``;
- ``monte_carlo(func, a, b, n)``: the average of ``func`` at points drawn from
  ``ember.distributions.Uniform`` times the volume, with its standard error.

Example:
    >>> import ember as em
    >>> x = em.linspace(0.0, 1.0, 101, dtype="float64")
    >>> round(em.integrate.trapezoid(x ** 2, x).item(), 6)   # exact: 1/3
    0.33335
    >>> round(em.integrate.simpson(x ** 2, x=x).item(), 12)
    0.333333333333
    >>> value, abserr = em.integrate.quad(lambda t: em.exp(-t * t), -float("inf"), float("inf"))
    >>> round(value, 12), abserr < 1.49e-8   # sqrt(pi); SciPy's default tolerance
    (1.772453850906, True)
"""

from ember.integrate.monte_carlo import MonteCarloResult, monte_carlo
from ember.integrate.quadrature import quad
from ember.integrate.rules import simpson, trapezoid

__all__ = ["trapezoid", "simpson", "quad", "monte_carlo", "MonteCarloResult"]
