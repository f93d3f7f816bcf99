"""Hyperparameter checks shared by the optimizers: a number in range, or a clear error."""

from __future__ import annotations

import math
from typing import Any


def _as_float(owner: str, name: str, value: Any, low: float | None = None,
              high: float | None = None, high_open: bool = False,
              low_open: bool = False) -> float:
    """``value`` as a Python float, checked against [low, high] (bounds optionally open)."""
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{owner}: `{name}` must be a number; got {name}={value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: `{name}` must be a number; got {name}={value!r}") from None
    bad = math.isnan(out)
    if low is not None:
        bad = bad or out < low or (low_open and out == low)
    if high is not None:
        bad = bad or out > high or (high_open and out == high)
    if bad:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        where = f"in {lo}, {hi}" if low is not None and high is not None else (
            f"{'>' if low_open else '>='} {low:g}" if low is not None else f"<= {high:g}")
        raise ValueError(f"{owner}: `{name}` must be {where}; got {name}={value!r}")
    return out
