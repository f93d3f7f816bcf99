"""``quad``: adaptive Gauss-Legendre quadrature of a function over [a, b] (limits may be inf).

Each interval is integrated with a 10- and a 20-point Gauss-Legendre rule; their difference
bounds the error of the 20-point value (a cautious estimate). Intervals whose error exceeds
their share of the tolerance are halved, all in one vectorized call of ``func`` per round,
until the total error is below max(epsabs, epsrel |value|) or ``limit`` intervals are in use.
Infinite limits are mapped onto [0, 1) by x = a + t / (1 - t).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from ember import backend
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor, as_tensor

_N = 10
_G1 = np.polynomial.legendre.leggauss(_N)
_G2 = np.polynomial.legendre.leggauss(2 * _N)


def _evaluate(func: Callable, x: np.ndarray, args: tuple) -> np.ndarray:
    """func at the points x (1-D), called once on a float64 tensor; a function that only
    takes single numbers (math.sin) is called point by point."""
    try:
        with no_grad():
            out = func(as_tensor(x), *args)
        values = backend.to_numpy(out.data) if isinstance(out, Tensor) else np.asarray(out)
        if values.shape == x.shape:
            return values.astype("float64")
    except (TypeError, ValueError):
        pass
    values = []
    for v in x.tolist():
        out = func(v, *args)
        values.append(float(out.item() if isinstance(out, Tensor) else out))
    return np.asarray(values)


def quad(func: Callable, a: float, b: float, args: tuple = (), epsabs: float = 1.49e-8,
         epsrel: float = 1.49e-8, limit: int = 50) -> tuple[float, float]:
    """The integral of ``func`` from ``a`` to ``b`` and an estimate of its absolute error.

    Args:
        func: f(x, *args), called with a float64 ember tensor of points and returning values
            of that shape (ember ops such as ``em.exp`` do); a function of one number also
            works, called point by point.
        a, b: the limits; ``float("inf")`` / ``-float("inf")`` for infinite ones. b < a gives
            the negative of the integral from b to a, as SciPy.
        epsabs, epsrel, limit: SciPy's tolerances and the most subintervals.

    Returns:
        ``(value, abserr)``, as ``scipy.integrate.quad``. Warns (UserWarning) when the
        tolerance was not met within ``limit`` subintervals.

    Example:
        >>> import ember as em
        >>> value, err = em.integrate.quad(em.sin, 0.0, 3.141592653589793)
        >>> round(value, 12), err < 1e-10
        (2.0, True)
    """
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        raise ValueError(f"quad: the limits must be numbers; got a={a}, b={b}")
    if limit < 1:
        raise ValueError(f"quad: limit must be at least 1; got {limit}")
    if a == b:
        return 0.0, 0.0
    if b < a:
        value, err = quad(func, b, a, args, epsabs, epsrel, limit)
        return -value, err
    if math.isinf(a) and math.isinf(b):  # split at 0: two half-infinite integrals
        left, e1 = quad(func, a, 0.0, args, epsabs / 2, epsrel, limit)
        right, e2 = quad(func, 0.0, b, args, epsabs / 2, epsrel, limit)
        return left + right, e1 + e2

    if math.isinf(b):       # x = a + t / (1 - t), t in [0, 1)
        def g(t: np.ndarray) -> np.ndarray:
            return _evaluate(func, a + t / (1 - t), args) / (1 - t) ** 2
        lo, hi = 0.0, 1.0
    elif math.isinf(a):     # x = b - t / (1 - t)
        def g(t: np.ndarray) -> np.ndarray:
            return _evaluate(func, b - t / (1 - t), args) / (1 - t) ** 2
        lo, hi = 0.0, 1.0
    else:
        def g(t: np.ndarray) -> np.ndarray:
            return _evaluate(func, t, args)
        lo, hi = a, b

    starts, ends = np.array([lo]), np.array([hi])
    while True:
        values, errors = _rules(g, starts, ends)
        total, err = float(values.sum()), float(errors.sum())
        tol = max(epsabs, epsrel * abs(total))
        if not math.isfinite(total):
            raise ValueError(f"quad: the integrand gave non-finite values ({total}) on "
                             f"[{a}, {b}]: a singularity, or an integral that diverges")
        if err <= tol:
            return total, err
        room = limit - starts.size
        if room <= 0:
            warnings.warn(f"quad: the error estimate {err:.3g} is above the tolerance "
                          f"{tol:.3g} after {limit} subintervals; raise limit, or split the "
                          "range at the trouble spot (a kink or singularity)", UserWarning,
                          stacklevel=2)
            return total, err
        share = tol * (ends - starts) / (hi - lo)
        split = np.argsort(-(errors - share))[:room]
        split = split[errors[split] > share[split]]
        if split.size == 0:
            split = np.array([int(np.argmax(errors))])
        mids = (starts[split] + ends[split]) / 2
        keep = np.ones(starts.size, bool)
        keep[split] = False
        starts = np.concatenate([starts[keep], starts[split], mids])
        ends = np.concatenate([ends[keep], mids, ends[split]])


def _rules(g: Callable, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each interval's 20-point value and |20-point - 10-point| (one call of g for all)."""
    half = (ends - starts)[:, None] / 2
    mid = (ends + starts)[:, None] / 2
    x1, x2 = mid + half * _G1[0], mid + half * _G2[0]
    f = g(np.concatenate([x1, x2], axis=1).ravel()).reshape(starts.size, -1)
    v1 = (f[:, :_N] * _G1[1]).sum(axis=1) * half[:, 0]
    v2 = (f[:, _N:] * _G2[1]).sum(axis=1) * half[:, 0]
    return v2, np.abs(v2 - v1)
