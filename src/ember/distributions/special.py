"""log(n!) for whole-number counts, vectorized for NumPy and CuPy (NumPy has no lgamma ufunc).

The counts of a Binomial or Multinomial are data, never differentiated, so an exact table and
an asymptotic series are enough: no Python loop over elements, float64 throughout.
"""

from __future__ import annotations

import math
from typing import Any

from ember.backend import xp_of

# Below this, log(n!) comes from a table of cumulative sums of log(k) (exact to ~1e-13).
# From here on, Stirling's series with terms to 1/n^5 is already below float64 resolution:
# the first dropped term, 1/(1680 n^7), is under 1e-19.
_TABLE_SIZE = 256
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_tables: dict[str, Any] = {}


def _table(xp: Any) -> Any:
    table = _tables.get(xp.__name__)
    if table is None:
        logs = xp.log(xp.arange(1, _TABLE_SIZE, dtype="float64"))
        table = xp.concatenate([xp.zeros(1, dtype="float64"), xp.cumsum(logs)])
        _tables[xp.__name__] = table
    return table


def log_factorial(n: Any) -> Any:
    """log(n!) = lgamma(n + 1) for an array of non-negative whole numbers, as float64.

    Accurate to float64 rounding for all sizes (a table below 256, Stirling's series above).

    Example:
        >>> import numpy as np
        >>> from ember.distributions.special import log_factorial
        >>> np.allclose(log_factorial(np.array([0, 1, 5, 1000])),
        ...             [0.0, 0.0, np.log(120.0), 5912.128178939938])
        True
    """
    xp = xp_of(n)
    n = xp.asarray(n, dtype="float64")
    small = xp.take(_table(xp), xp.clip(n, 0, _TABLE_SIZE - 1).astype("int64"))
    m = xp.maximum(n, float(_TABLE_SIZE))  # the series branch never sees small n (no log(0))
    inv = 1.0 / m
    inv2 = inv * inv
    series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260)))
    large = m * xp.log(m) - m + 0.5 * xp.log(m) + _HALF_LOG_2PI + series
    return xp.where(n < _TABLE_SIZE, small, large)


# ---------------------------------------------------------------------- gamma and beta
# Lanczos' approximation (g = 7, 9 terms): relative error ~1e-15 for x >= 0.5; smaller x
# comes from the reflection formula. NumPy has no lgamma ufunc, and SciPy is not a dependency.
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_TINY = 1e-300
_EPS = 1e-15  # relative: a continued fraction step within ~4 ulps of 1 has converged
_MAX_TERMS = 5000  # continued fractions and series need ~sqrt(parameter) terms; a safety cap


def lgamma(x: Any) -> Any:
    """log|Gamma(x)| for an array of real numbers (not 0, -1, -2, ...), as float64.

    Example:
        >>> import math, numpy as np
        >>> from ember.distributions.special import lgamma
        >>> bool(np.allclose(lgamma(np.array([0.5, 3.0, 100.5])),
        ...                  [math.lgamma(0.5), math.log(2.0), math.lgamma(100.5)]))
        True
    """
    xp = xp_of(x)
    x = xp.asarray(x, dtype="float64")
    reflect = x < 0.5
    z = xp.where(reflect, 1.0 - x, x) - 1.0
    acc = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        acc = acc + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    direct = _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(acc)
    with _quiet(xp):
        sin = xp.abs(xp.sin(math.pi * xp.where(reflect, x, 0.5)))
        reflected = math.log(math.pi) - xp.log(sin) - direct
    return xp.where(reflect, reflected, direct)


def gammainc(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function P(a, x) (a > 0, x >= 0); SciPy's name.

    Example:
        >>> import math
        >>> from ember.distributions.special import gammainc
        >>> round(float(gammainc(1.0, 2.0)), 12) == round(1 - math.exp(-2.0), 12)
        True
    """
    return _gamma_pq(a, x)[0]


def gammaincc(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), computed
    directly (accurate in the far tail, where 1 - P would round to 0)."""
    return _gamma_pq(a, x)[1]


def _gamma_pq(a: Any, x: Any) -> tuple[Any, Any]:
    # Numerical Recipes: the series for x < a + 1 (P converges), Lentz's continued fraction
    # for Q elsewhere; both run on every element (masked), iterating until all converged.
    xp = xp_of(x) if hasattr(x, "dtype") else xp_of(a) if hasattr(a, "dtype") else None
    if xp is None:
        import numpy as xp
    a, x = xp.broadcast_arrays(xp.asarray(a, dtype="float64"), xp.asarray(x, dtype="float64"))
    a_safe = xp.where(a > 0, a, 1.0)
    x_safe = xp.where(x > 0, x, 1.0)
    with _quiet(xp):
        log_front = -x_safe + a_safe * xp.log(x_safe) - lgamma(a_safe)
    use_series = x < a_safe + 1.0
    # series: P = front * sum_n x^n / (a (a+1) ... (a+n))
    xs = xp.where(use_series, x_safe, 0.0)
    term = 1.0 / a_safe
    total = term.copy()
    for n in range(1, _MAX_TERMS):
        term = term * xs / (a_safe + n)
        total = total + term
        if not bool(xp.any(xp.abs(term) > xp.abs(total) * _EPS)):
            break
    p_series = xp.exp(log_front) * total
    # continued fraction for Q
    xc = xp.where(use_series, a_safe + 2.0, x_safe)
    b = xc + 1.0 - a_safe
    c = xp.full_like(b, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a_safe)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if not bool(xp.any(xp.abs(delta - 1.0) > _EPS)):
            break
    q_cf = xp.exp(log_front) * h
    p = xp.where(use_series, p_series, 1.0 - q_cf)
    q = xp.where(use_series, 1.0 - p_series, q_cf)
    p = xp.where(x <= 0, 0.0, p)
    q = xp.where(x <= 0, 1.0, q)
    bad = ~(a > 0) | (x < 0) | xp.isnan(x)
    nan = float("nan")
    return xp.where(bad, nan, xp.clip(p, 0.0, 1.0)), xp.where(bad, nan, xp.clip(q, 0.0, 1.0))


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function I_x(a, b) (a, b > 0, 0 <= x <= 1); SciPy's name.

    Example:
        >>> from ember.distributions.special import betainc
        >>> round(float(betainc(2.0, 1.0, 0.5)), 12)   # I_x(2, 1) = x^2
        0.25
    """
    return betainc_pair(a, b, x)[0]


def betainc_pair(a: Any, b: Any, x: Any) -> tuple[Any, Any]:
    """(I_x(a, b), 1 - I_x(a, b)), each computed directly where it is the small one."""
    xp = next((xp_of(v) for v in (x, a, b) if hasattr(v, "dtype")), None)
    if xp is None:
        import numpy as xp
    a, b, x = xp.broadcast_arrays(*(xp.asarray(v, dtype="float64") for v in (a, b, x)))
    ok = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
    a_s, b_s = xp.where(ok, a, 1.0), xp.where(ok, b, 1.0)
    x_s = xp.where(ok & (x > 0) & (x < 1), x, 0.5)
    # the continued fraction converges fast for x < (a + 1) / (a + b + 2); elsewhere use
    # I_x(a, b) = 1 - I_{1-x}(b, a)
    swap = x_s > (a_s + 1.0) / (a_s + b_s + 2.0)
    p, q = xp.where(swap, b_s, a_s), xp.where(swap, a_s, b_s)
    y = xp.where(swap, 1.0 - x_s, x_s)
    log_front = (lgamma(p + q) - lgamma(p) - lgamma(q) + p * xp.log(y) + q * xp.log1p(-y))
    small = xp.exp(log_front) * _beta_cf(p, q, y, xp) / p  # I_y(p, q), the small side
    lower = xp.where(swap, 1.0 - small, small)
    upper = xp.where(swap, small, 1.0 - small)
    lower = xp.where(x <= 0, 0.0, xp.where(x >= 1, 1.0, lower))
    upper = xp.where(x <= 0, 1.0, xp.where(x >= 1, 0.0, upper))
    nan = float("nan")
    return (xp.where(ok, xp.clip(lower, 0.0, 1.0), nan),
            xp.where(ok, xp.clip(upper, 0.0, 1.0), nan))


def _beta_cf(a: Any, b: Any, x: Any, xp: Any) -> Any:
    # Numerical Recipes' betacf (modified Lentz), all elements at once
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = xp.ones_like(x)
    d = 1.0 - qab * x / qap
    d = 1.0 / xp.where(xp.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / xp.where(xp.abs(d) < _TINY, _TINY, d)
            c = 1.0 + aa / c
            c = xp.where(xp.abs(c) < _TINY, _TINY, c)
            delta = d * c
            h = h * delta
        if not bool(xp.any(xp.abs(delta - 1.0) > _EPS)):
            break
    return h


def erfc(x: Any) -> Any:
    """The complementary error function 1 - erf(x) to float64 accuracy (via Q(1/2, x^2)).

    Example:
        >>> import math
        >>> from ember.distributions.special import erfc
        >>> abs(float(erfc(1.5)) - math.erfc(1.5)) < 1e-15
        True
    """
    xp = xp_of(x) if hasattr(x, "dtype") else None
    if xp is None:
        import numpy as xp
    x = xp.asarray(x, dtype="float64")
    q = gammaincc(0.5, x * x)
    return xp.where(x >= 0, q, 2.0 - q)


def ndtr(x: Any) -> Any:
    """The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, float64 accurate in the tails."""
    return 0.5 * erfc(-_as64(x) / math.sqrt(2.0))


# Acklam's rational approximation of the normal quantile (relative error 1.15e-9), then one
# Halley step on Phi(x) - p, which brings it to float64 accuracy.
_ACK_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
          1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_ACK_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
          6.680131188771972e+01, -1.328068155288572e+01)
_ACK_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
          -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_ACK_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
          3.754408661907416e+00)


def _poly(coefs: tuple, x: Any) -> Any:
    out = coefs[0]
    for c in coefs[1:]:
        out = out * x + c
    return out


def ndtri(p: Any) -> Any:
    """The standard normal quantile Phi^-1(p) for p in [0, 1] (+-inf at the ends); SciPy's name.

    Example:
        >>> from ember.distributions.special import ndtri
        >>> round(float(ndtri(0.975)), 10)
        1.9599639845
    """
    xp = xp_of(p) if hasattr(p, "dtype") else None
    if xp is None:
        import numpy as xp
    p = xp.asarray(p, dtype="float64")
    ps = xp.where((p > 0) & (p < 1), p, 0.5)
    tail = xp.minimum(ps, 1.0 - ps)
    with _quiet(xp):
        r = xp.sqrt(-2.0 * xp.log(tail))
        x_tail = _poly(_ACK_C, r) / (_poly(_ACK_D, r) * r + 1.0)
        x_tail = xp.where(ps < 0.5, x_tail, -x_tail)
        q = ps - 0.5
        s = q * q
        x_mid = q * _poly(_ACK_A, s) / (_poly(_ACK_B, s) * s + 1.0)
    x = xp.where(tail < 0.02425, x_tail, x_mid)
    # Halley's step on the smaller of the two tails, so p near 1 keeps its precision
    err = xp.where(ps < 0.5, ndtr(x) - ps, (1.0 - ps) - ndtr(-x))
    u = err * math.sqrt(2.0 * math.pi) * xp.exp(0.5 * x * x)
    x = x - u / (1.0 + 0.5 * x * u)
    x = xp.where(p == 0, -xp.inf, xp.where(p == 1, xp.inf, x))
    return xp.where((p >= 0) & (p <= 1), x, float("nan"))


def _as64(x: Any) -> Any:
    if hasattr(x, "dtype"):
        return xp_of(x).asarray(x, dtype="float64")
    import numpy

    return numpy.asarray(x, dtype="float64")


class _quiet:
    """NumPy's errstate (ignore), for the branches that ``where`` discards anyway."""

    def __init__(self, xp: Any) -> None:
        self._state = xp.errstate(all="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self) -> None:
        if self._state is not None:
            self._state.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._state is not None:
            self._state.__exit__(*exc)
