"""t-tests and the z-test: is a mean different from a value, or two means from each other?

The statistic is (estimate - hypothesized value) / standard error; the p-value is the
probability, if the null hypothesis held, of a statistic at least as extreme (Student's t with
the test's degrees of freedom, or the standard normal for the z-test). Names, arguments and
results as ``scipy.stats.ttest_1samp`` / ``ttest_ind`` (and statsmodels' ``ztest``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.stats._common import (
    ConfidenceInterval,
    check_alternative,
    p_value,
    sample,
    scalar,
)
from ember.stats.families import norm, t


def _t_tails(df: np.ndarray) -> tuple[Any, Any]:
    return (lambda s: t.cdf(s, df).numpy(), lambda s: t.sf(s, df).numpy())


class TtestResult:
    """``statistic``, ``pvalue``, ``df``; ``confidence_interval(confidence_level)``.

    Unpacks as ``statistic, pvalue`` (SciPy's ``TtestResult``).
    """

    def __init__(self, statistic: Any, pvalue: Any, df: Any, alternative: str,
                 estimate: Any, standard_error: Any) -> None:
        self.statistic = scalar(statistic)
        self.pvalue = scalar(pvalue)
        self.df = scalar(df)
        self.alternative = alternative
        self._estimate = np.asarray(estimate)
        self._se = np.asarray(standard_error)

    def __iter__(self):
        return iter((self.statistic, self.pvalue))

    def __getitem__(self, i: int) -> Any:
        return (self.statistic, self.pvalue)[i]

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        return (f"TtestResult(statistic={float(np.mean(self.statistic)):.6g}, "
                f"pvalue={float(np.mean(self.pvalue)):.6g}, df={float(np.mean(self.df)):.6g})"
                if np.ndim(self.statistic) == 0 else
                f"TtestResult(statistic={self.statistic!r}, pvalue={self.pvalue!r})")

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        """The interval for the population mean (one sample) or the difference of means (two
        samples), one-sided when the test was: ``greater`` gives (low, inf)."""
        if not 0 < confidence_level < 1:
            raise ValueError(f"confidence_interval: confidence_level must be in (0, 1); got "
                             f"{confidence_level!r}")
        df = np.asarray(self.df, dtype="float64")
        if self.alternative == "two-sided":
            crit = t.ppf(0.5 + confidence_level / 2, df).numpy()
            return ConfidenceInterval(self._estimate - crit * self._se,
                                      self._estimate + crit * self._se)
        crit = t.ppf(confidence_level, df).numpy()
        if self.alternative == "greater":
            return ConfidenceInterval(self._estimate - crit * self._se,
                                      np.full_like(self._estimate, np.inf))
        return ConfidenceInterval(np.full_like(self._estimate, -np.inf),
                                  self._estimate + crit * self._se)


def ttest_1samp(a: Any, popmean: Any, axis: int = 0, alternative: str = "two-sided"
                ) -> TtestResult:
    """One-sample t-test: is the mean of ``a`` different from ``popmean``?

    t = (mean(a) - popmean) / (s / sqrt(n)), s the sample standard deviation (ddof=1), with
    n - 1 degrees of freedom. ``alternative``: "two-sided", "less" (the mean is below
    popmean) or "greater".

    Example:
        >>> import ember as em
        >>> r = em.stats.ttest_1samp(em.tensor([5.1, 4.9, 5.6, 5.8, 6.0, 5.7]), popmean=5.0)
        >>> round(float(r.statistic), 4), round(float(r.pvalue), 4), int(r.df)
        (2.9693, 0.0312, 5)
    """
    who = "ttest_1samp"
    check_alternative(alternative, who)
    x = sample(a, who)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"{who}: needs at least 2 observations along axis {axis}; got {n}")
    mean = x.mean(axis=axis)
    se = x.std(axis=axis, ddof=1) / np.sqrt(n)
    mu = np.asarray(popmean, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (mean - mu) / se
    df = np.full_like(stat, n - 1.0)
    return TtestResult(stat, p_value(stat, alternative, *_t_tails(df)), df, alternative, mean,
                       se)


def ttest_ind(a: Any, b: Any, axis: int = 0, equal_var: bool = True,
              alternative: str = "two-sided") -> TtestResult:
    """Two-sample t-test: do ``a`` and ``b`` have the same mean?

    ``equal_var=True``: Student's test with the pooled variance and n_a + n_b - 2 degrees of
    freedom. ``equal_var=False``: Welch's test (each sample's own variance, Welch-Satterthwaite
    degrees of freedom), the safer choice when the spreads differ.

    Example:
        >>> import ember as em
        >>> a = em.tensor([20.1, 22.3, 19.8, 21.5, 23.0])
        >>> b = em.tensor([18.2, 19.0, 17.5, 20.1, 18.8])
        >>> r = em.stats.ttest_ind(a, b)
        >>> round(float(r.statistic), 4), round(float(r.pvalue), 4)
        (3.4764, 0.0084)
    """
    who = "ttest_ind"
    check_alternative(alternative, who)
    x, y = sample(a, who, "a"), sample(b, who, "b")
    n1, n2 = x.shape[axis], y.shape[axis]
    if n1 < 2 or n2 < 2:
        raise ValueError(f"{who}: each sample needs at least 2 observations; got {n1} and {n2}")
    v1, v2 = x.var(axis=axis, ddof=1), y.var(axis=axis, ddof=1)
    diff = x.mean(axis=axis) - y.mean(axis=axis)
    if equal_var:
        df = np.asarray(n1 + n2 - 2.0)
        pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
        se = np.sqrt(pooled * (1.0 / n1 + 1.0 / n2))
    else:
        w1, w2 = v1 / n1, v2 / n2
        se = np.sqrt(w1 + w2)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = (w1 + w2) ** 2 / (w1 ** 2 / (n1 - 1) + w2 ** 2 / (n2 - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = diff / se
    df = np.broadcast_to(df, np.shape(stat)).astype("float64")
    return TtestResult(stat, p_value(stat, alternative, *_t_tails(df)), df, alternative, diff,
                       se)


class ZtestResult:
    """``statistic`` and ``pvalue`` of a z-test; unpacks as a pair."""

    def __init__(self, statistic: Any, pvalue: Any) -> None:
        self.statistic = scalar(statistic)
        self.pvalue = scalar(pvalue)

    def __iter__(self):
        return iter((self.statistic, self.pvalue))

    def __repr__(self) -> str:
        return f"ZtestResult(statistic={self.statistic!r}, pvalue={self.pvalue!r})"


def ztest(x1: Any, x2: Any = None, value: float = 0.0, sigma: float | None = None,
          alternative: str = "two-sided", axis: int = 0) -> ZtestResult:
    """z-test for a mean (or, with ``x2``, a difference of means) against ``value``.

    z = (mean - value) / standard error, compared with the standard normal. With ``sigma``
    (the known population standard deviation) the standard error is sigma / sqrt(n) (two
    samples: sigma sqrt(1/n1 + 1/n2)); without it the sample's (pooled, for two samples)
    standard deviation stands in, as statsmodels' ``ztest`` does — fine for large samples,
    where t and z agree; for small ones use ``ttest_1samp`` / ``ttest_ind``.

    Example:
        >>> import ember as em
        >>> r = em.stats.ztest(em.tensor([101.0, 99.0, 104.0, 102.0, 98.0, 103.0]),
        ...                    value=100.0, sigma=2.0)
        >>> round(float(r.statistic), 4), round(float(r.pvalue), 4)
        (1.4289, 0.153)
    """
    who = "ztest"
    check_alternative(alternative, who)
    a = sample(x1, who, "x1")
    n1 = a.shape[axis]
    if x2 is None:
        est = a.mean(axis=axis) - value
        sd = a.std(axis=axis, ddof=1) if sigma is None else np.asarray(sigma, dtype="float64")
        se = sd / np.sqrt(n1)
    else:
        b = sample(x2, who, "x2")
        n2 = b.shape[axis]
        est = a.mean(axis=axis) - b.mean(axis=axis) - value
        if sigma is None:
            pooled = ((n1 - 1) * a.var(axis=axis, ddof=1) + (n2 - 1) * b.var(axis=axis, ddof=1))
            sd = np.sqrt(pooled / (n1 + n2 - 2))
        else:
            sd = np.asarray(sigma, dtype="float64")
        se = sd * np.sqrt(1.0 / n1 + 1.0 / n2)
    if sigma is not None and not np.all(np.asarray(sigma) > 0):
        raise ValueError(f"{who}: sigma (the population standard deviation) must be > 0; got "
                         f"{sigma!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    pv = p_value(stat, alternative, lambda s: norm.cdf(s).numpy(), lambda s: norm.sf(s).numpy())
    return ZtestResult(stat, pv)
