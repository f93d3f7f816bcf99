"""Summaries of a sample: median, quantiles and percentiles, the five-number summary.

NumPy's definitions (the median averages the two middle values; quantiles interpolate
linearly between order statistics, NumPy's default ``method="linear"``), on ember tensors and
differentiable. ``ember.median`` is PyTorch's lower median (no averaging); this one is not.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ember.autograd.tensor import Tensor, as_tensor
from ember.ops import quantile as _quantile

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _tensor(x: Any, who: str) -> Tensor:
    t = x if isinstance(x, Tensor) else as_tensor(x)
    if t.size == 0:
        raise ValueError(f"{who}: the sample is empty")
    if t.data.dtype.kind not in "fiu":
        raise TypeError(f"{who}: expected numbers; got dtype {t.data.dtype}")
    return t


def quantile(x: Any, q: Any, axis: int | None = None, method: str = "linear",
             keepdims: bool = False) -> Tensor:
    """The ``q``-quantiles of ``x`` (q in [0, 1]: a number, or a 1-D list giving a new leading
    axis), as ``numpy.quantile``.

    Example:
        >>> import ember as em
        >>> em.stats.quantile(em.tensor([1.0, 2.0, 3.0, 4.0]), [0.25, 0.5])
        tensor([1.75, 2.5 ])
    """
    t = _tensor(x, "quantile")
    if method not in _METHODS:
        raise ValueError(f"quantile: unknown method {method!r}; expected one of "
                         f"{', '.join(_METHODS)}")
    return _quantile(t, q, dim=axis, keepdim=keepdims, interpolation=method)


def percentile(x: Any, q: Any, axis: int | None = None, method: str = "linear",
               keepdims: bool = False) -> Tensor:
    """The ``q``-th percentiles (q in [0, 100]), as ``numpy.percentile``.

    Example:
        >>> import ember as em
        >>> em.stats.percentile(em.tensor([1.0, 2.0, 3.0, 4.0, 100.0]), 50).item()
        3.0
    """
    import numpy as np

    qs = np.asarray(q.numpy() if isinstance(q, Tensor) else q, dtype="float64")
    if bool(((qs < 0) | (qs > 100)).any()):
        raise ValueError(f"percentile: q must be in [0, 100]; got {q!r} (quantile takes "
                         "fractions in [0, 1])")
    return quantile(x, qs / 100.0, axis=axis, method=method, keepdims=keepdims)


def median(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The median, averaging the two middle values of an even-sized sample (``numpy.median``).

    Example:
        >>> import ember as em
        >>> em.stats.median(em.tensor([3.0, 1.0, 4.0, 1.0])).item()   # (1 + 3) / 2
        2.0
    """
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


class FiveNumberSummary(NamedTuple):
    """minimum, first quartile, median, third quartile, maximum (what a box plot draws)."""

    minimum: Tensor
    q1: Tensor
    median: Tensor
    q3: Tensor
    maximum: Tensor

    @property
    def iqr(self) -> Tensor:
        """The interquartile range q3 - q1 (the box's height)."""
        return self.q3 - self.q1

    def __str__(self) -> str:
        def show(v: Tensor) -> str:
            return f"{v.item():.6g}" if v.size == 1 else str(v.numpy())

        return ", ".join(f"{name} {show(getattr(self, name))}" for name in self._fields)


def five_number_summary(x: Any, axis: int | None = None) -> FiveNumberSummary:
    """Tukey's five numbers: min, Q1, median, Q3, max (quartiles as ``numpy.quantile``).

    Example:
        >>> import ember as em
        >>> s = em.stats.five_number_summary(em.tensor([2.0, 4.0, 4.0, 5.0, 7.0, 9.0, 10.0]))
        >>> print(s)
        minimum 2, q1 4, median 5, q3 8, maximum 10
        >>> s.iqr.item()
        4.0
    """
    t = _tensor(x, "five_number_summary")
    qs = quantile(t, [0.0, 0.25, 0.5, 0.75, 1.0], axis=axis)
    return FiveNumberSummary(*(qs[i] for i in range(5)))


class Description(NamedTuple):
    """``scipy.stats.describe``'s fields: nobs, minmax, mean, variance, skewness, kurtosis."""

    nobs: int
    minmax: tuple[Tensor, Tensor]
    mean: Tensor
    variance: Tensor
    skewness: Tensor
    kurtosis: Tensor


def describe(x: Any, axis: int = 0, ddof: int = 1) -> Description:
    """Count, (min, max), mean, variance (``ddof=1``), skewness and excess kurtosis (both the
    biased moment estimators, SciPy's defaults), as ``scipy.stats.describe``.

    Example:
        >>> import ember as em
        >>> d = em.stats.describe(em.tensor([1.0, 2.0, 3.0, 4.0]))
        >>> d.nobs, d.mean.item(), round(d.variance.item(), 4), round(d.kurtosis.item(), 4)
        (4, 2.5, 1.6667, -1.36)
    """
    from ember.ops import max as amax
    from ember.ops import mean
    from ember.ops import min as amin

    t = _tensor(x, "describe")
    if t.data.dtype.kind != "f":
        from ember.ops import astype

        t = astype(t, "float64")
    n = t.shape[axis]
    m = mean(t, axis=axis, keepdims=True)
    d = t - m
    m2 = mean(d * d, axis=axis)
    m3 = mean(d * d * d, axis=axis)
    m4 = mean(d * d * d * d, axis=axis)
    if n - ddof <= 0:
        raise ValueError(f"describe: {n} observations leave no degrees of freedom with "
                         f"ddof={ddof}")
    return Description(n, (amin(t, axis=axis), amax(t, axis=axis)), m.squeeze(axis),
                       m2 * (n / (n - ddof)), m3 / m2 ** 1.5, m4 / (m2 * m2) - 3.0)
