"""Quantile functions by inverting a CDF: bracketed Newton steps, every element at once.

Used by the distributions whose quantile has no closed form (Student's t, chi-square, F).
Where q > 1/2 the survival function is solved instead (sf(x) = 1 - q), so quantiles near 1
keep their precision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

_MAX_STEPS = 200
_MAX_DOUBLINGS = 1100  # 2^1100 overflows float64: the bracket search always ends


def invert_cdf(q: Any, cdf: Callable, sf: Callable, pdf: Callable, lower: float,
               start: Any) -> np.ndarray:
    """x with cdf(x) = q for a continuous distribution on (lower, inf) (lower = -inf: all reals).

    ``cdf``, ``sf``, ``pdf`` take and return float64 arrays of q's shape; ``start`` is a first
    guess. q = 0 gives ``lower``, q = 1 gives inf, q outside [0, 1] NaN.
    """
    q = np.asarray(q, dtype="float64")
    inside = (q > 0) & (q < 1)
    qs = np.where(inside, q, 0.5)
    upper_half = qs > 0.5
    target = np.where(upper_half, 1.0 - qs, qs)

    def residual(x: np.ndarray) -> np.ndarray:  # increasing in x
        return np.where(upper_half, target - sf(x), cdf(x) - target)

    # bracket: hi doubles until it passes the quantile; lo likewise (or sits at the bound)
    hi = np.ones_like(qs)
    for _ in range(_MAX_DOUBLINGS):
        low_side = residual(hi) < 0
        if not low_side.any():
            break
        hi = np.where(low_side, hi * 2.0, hi)
    if np.isfinite(lower):
        lo = np.full_like(qs, lower)
    else:
        lo = -np.ones_like(qs)
        for _ in range(_MAX_DOUBLINGS):
            high_side = residual(lo) > 0
            if not high_side.any():
                break
            lo = np.where(high_side, lo * 2.0, lo)
    x = np.clip(np.broadcast_to(np.asarray(start, dtype="float64"), qs.shape), lo, hi)
    x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
    for _ in range(_MAX_STEPS):
        r = residual(x)
        lo = np.where(r < 0, x, lo)
        hi = np.where(r > 0, x, hi)
        with np.errstate(all="ignore"):
            newton = x - r / pdf(x)
        ok = np.isfinite(newton) & (newton > lo) & (newton < hi)
        new = np.where(ok, newton, 0.5 * (lo + hi))
        step = np.abs(new - x)
        x = new
        if not bool((step > 1e-14 * np.maximum(1.0, np.abs(x))).any()):
            break
    x = np.where(q == 0, lower, np.where(q == 1, np.inf, x))
    return np.where((q >= 0) & (q <= 1), x, np.nan)
