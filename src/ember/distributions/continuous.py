"""Helpers shared by the distributions whose CDF comes from the special functions.

Their CDF and quantile values are computed in float64 on the host (NumPy) and returned as
tensors in the parameters' float type; they carry no gradient (parameters such as degrees of
freedom are data in the tests and intervals they serve). ``log_prob`` is built from ember ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of


def host(t: Tensor) -> np.ndarray:
    """A tensor's values as a float64 NumPy array."""
    return np.asarray(backend.to_numpy(t.data), dtype="float64")


def back(values: np.ndarray, like: Tensor) -> Tensor:
    """float64 host values as a tensor on ``like``'s device, in its float type."""
    xp = xp_of(like.data)
    return wrap_array(xp.asarray(np.asarray(values).astype(like.data.dtype)))


def check_probability(who: str, q: Tensor) -> None:
    """Quantile functions take probabilities in [0, 1]; anything else is an error."""
    data = host(q)
    bad = ~((data >= 0) & (data <= 1))
    if bad.any():
        shown = ", ".join(f"{v:.6g}" for v in data[bad].ravel()[:5])
        raise ValueError(f"{who}.icdf: the probability must be in [0, 1]; got {shown}")


def as_float(value: Any, like: Tensor) -> Tensor:
    from ember.autograd.tensor import as_tensor
    from ember.ops import astype

    t = as_tensor(value, like)
    return t if t.data.dtype.kind == "f" else astype(t, like.data.dtype)
