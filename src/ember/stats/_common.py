"""What the tests and intervals share: samples as float64 arrays, results, alternatives."""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor

ALTERNATIVES = ("two-sided", "less", "greater")


def sample(x: Any, who: str, name: str = "a") -> np.ndarray:
    """A sample (tensor, array or list) as a float64 NumPy array, checked."""
    data = backend.to_numpy(x.data) if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind not in "fiub":
        raise TypeError(f"{who}: {name} must hold numbers; got dtype {data.dtype}")
    data = data.astype("float64")
    if data.size == 0:
        raise ValueError(f"{who}: {name} is empty")
    if np.isnan(data).any():
        raise ValueError(f"{who}: {name} contains NaN; drop the missing values first")
    return data


def check_alternative(alternative: str, who: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"{who}: alternative must be one of {', '.join(ALTERNATIVES)}; got "
                         f"{alternative!r}")


def scalar(a: Any) -> Any:
    """0-d results as NumPy float64 scalars (what SciPy returns), arrays as they are."""
    a = np.asarray(a, dtype="float64")
    return a[()] if a.ndim == 0 else a


def p_value(statistic: np.ndarray, alternative: str, cdf: Any, sf: Any) -> np.ndarray:
    """The p-value of ``statistic`` under a null distribution symmetric about 0 (t, normal)."""
    if alternative == "greater":
        return sf(statistic)
    if alternative == "less":
        return cdf(statistic)
    return np.minimum(1.0, 2.0 * sf(np.abs(statistic)))


class ConfidenceInterval:
    """(low, high): unpacks as a pair; SciPy's ``ConfidenceInterval`` field names."""

    def __init__(self, low: Any, high: Any) -> None:
        self.low = scalar(low)
        self.high = scalar(high)

    def __iter__(self):
        return iter((self.low, self.high))

    def __repr__(self) -> str:
        return f"ConfidenceInterval(low={_show(self.low)}, high={_show(self.high)})"


def _show(v: Any) -> str:
    return f"{float(v):.6g}" if np.ndim(v) == 0 else repr(np.asarray(v))
