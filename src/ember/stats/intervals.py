"""Confidence intervals: a range built so that, over repeated samples, it holds the true
value ``confidence_level`` of the time (not "the true value is in here with 95% probability").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.stats._common import ConfidenceInterval, sample
from ember.stats.families import norm, t


def _level(confidence_level: float, who: str) -> float:
    if not 0 < confidence_level < 1:
        raise ValueError(f"{who}: confidence_level must be in (0, 1), e.g. 0.95; got "
                         f"{confidence_level!r}")
    return float(confidence_level)


def mean_confidence_interval(x: Any, confidence_level: float = 0.95,
                             sigma: float | None = None, axis: int = 0) -> ConfidenceInterval:
    """The interval mean ± critical value * standard error for the population mean.

    Without ``sigma``: Student's t with n - 1 degrees of freedom and the sample standard
    deviation (SciPy: ``t.interval(level, n - 1, loc=mean, scale=sem)``). With ``sigma`` (the
    population standard deviation known): the normal's critical value (1.96 for 95%).

    Example:
        >>> import ember as em
        >>> ci = em.stats.mean_confidence_interval(em.tensor([5.1, 4.9, 5.6, 5.8, 6.0, 5.7]))
        >>> round(float(ci.low), 4), round(float(ci.high), 4)
        (5.0694, 5.964)
    """
    who = "mean_confidence_interval"
    level = _level(confidence_level, who)
    a = sample(x, who, "x")
    n = a.shape[axis]
    mean = a.mean(axis=axis)
    if sigma is None:
        if n < 2:
            raise ValueError(f"{who}: needs at least 2 observations to estimate the spread "
                             f"(or pass sigma); got {n}")
        se = a.std(axis=axis, ddof=1) / np.sqrt(n)
        crit = t.ppf(0.5 + level / 2, float(n - 1)).numpy()
    else:
        se = np.asarray(sigma, dtype="float64") / np.sqrt(n)
        crit = norm.ppf(0.5 + level / 2).numpy()
    return ConfidenceInterval(mean - crit * se, mean + crit * se)


def proportion_confint(count: Any, nobs: Any, alpha: float = 0.05, method: str = "normal"
                       ) -> ConfidenceInterval:
    """A confidence interval for a proportion from ``count`` successes in ``nobs`` trials
    (statsmodels' name and arguments; the level is 1 - alpha).

    ``method="normal"`` (Wald): p ± z sqrt(p (1 - p) / n) — the textbook formula, too narrow for
    small n or p near 0 or 1 (clipped to [0, 1]). ``method="wilson"``: Wilson's score interval,
    good at any n (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``).

    Example:
        >>> import ember as em
        >>> ci = em.stats.proportion_confint(42, 100)
        >>> round(float(ci.low), 4), round(float(ci.high), 4)
        (0.3233, 0.5167)
    """
    who = "proportion_confint"
    level = _level(1 - alpha, who)
    k = np.asarray(count, dtype="float64")
    n = np.asarray(nobs, dtype="float64")
    if not (np.all(n > 0) and np.all((k >= 0) & (k <= n))):
        raise ValueError(f"{who}: need 0 <= count <= nobs and nobs > 0; got count={count!r}, "
                         f"nobs={nobs!r}")
    z = norm.ppf(0.5 + level / 2).numpy()
    p = k / n
    if method == "normal":
        half = z * np.sqrt(p * (1 - p) / n)
        return ConfidenceInterval(np.clip(p - half, 0, 1), np.clip(p + half, 0, 1))
    if method == "wilson":
        denom = 1 + z * z / n
        center = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        return ConfidenceInterval(center - half, center + half)
    raise ValueError(f"{who}: method must be 'normal' or 'wilson'; got {method!r}")
