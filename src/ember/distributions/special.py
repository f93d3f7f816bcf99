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
