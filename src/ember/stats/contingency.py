"""The chi-square test of independence on a contingency table (``scipy.stats.chi2_contingency``).

Under independence each cell is expected to hold row total * column total / grand total; the
statistic sums (observed - expected)^2 / expected and follows a chi-square distribution with
(rows - 1)(columns - 1) degrees of freedom.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.stats._common import sample, scalar
from ember.stats.families import chi2


class Chi2ContingencyResult:
    """``statistic``, ``pvalue``, ``dof``, ``expected_freq``; unpacks as those four (SciPy)."""

    def __init__(self, statistic: Any, pvalue: Any, dof: int, expected_freq: np.ndarray
                 ) -> None:
        self.statistic = scalar(statistic)
        self.pvalue = scalar(pvalue)
        self.dof = int(dof)
        self.expected_freq = expected_freq

    def __iter__(self):
        return iter((self.statistic, self.pvalue, self.dof, self.expected_freq))

    def __repr__(self) -> str:
        return (f"Chi2ContingencyResult(statistic={float(self.statistic):.6g}, "
                f"pvalue={float(self.pvalue):.6g}, dof={self.dof})")


def expected_freq(observed: Any) -> np.ndarray:
    """The counts each cell would hold if the variables were independent (any dimension)."""
    obs = sample(observed, "expected_freq", "observed")
    total = obs.sum()
    out = np.ones_like(obs) * total
    for axis in range(obs.ndim):
        others = tuple(i for i in range(obs.ndim) if i != axis)
        out = out * (obs.sum(axis=others, keepdims=True) / total)
    return out


def chi2_contingency(observed: Any, correction: bool = True) -> Chi2ContingencyResult:
    """Test whether the variables of a contingency table are independent.

    ``observed``: counts (2-D: rows x columns; more axes work too). ``correction``: Yates'
    continuity correction when there is one degree of freedom (a 2x2 table), as SciPy: each
    observed count moves 0.5 towards its expected count.

    Example:
        >>> import ember as em
        >>> table = em.tensor([[30.0, 10.0], [20.0, 40.0]])   # treated/untreated x got better?
        >>> r = em.stats.chi2_contingency(table)
        >>> round(float(r.statistic), 4), round(float(r.pvalue), 6), r.dof
        (15.0417, 0.000105, 1)
        >>> r.expected_freq
        array([[20., 20.],
               [30., 30.]])
    """
    who = "chi2_contingency"
    obs = sample(observed, who, "observed")
    if (obs < 0).any():
        raise ValueError(f"{who}: observed holds negative counts ({obs[obs < 0][:3]}); a "
                         "contingency table holds counts >= 0")
    expected = expected_freq(obs)
    if (expected == 0).any():
        raise ValueError(f"{who}: a row or column of the table is all zeros, so its expected "
                         "count is 0 and the statistic is undefined; drop it")
    dof = obs.size - sum(obs.shape) + obs.ndim - 1
    if dof == 0:
        return Chi2ContingencyResult(0.0, 1.0, 0, expected)
    if dof == 1 and correction:
        diff = expected - obs
        obs = obs + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    stat = ((obs - expected) ** 2 / expected).sum()
    return Chi2ContingencyResult(stat, chi2.sf(stat, float(dof)).item(), dof, expected)
