"""Statistics on ember tensors with SciPy's names: summaries, distributions, tests, intervals.

- summaries: ``median``, ``quantile``, ``percentile``, ``five_number_summary``, ``describe``;
- distributions as ``scipy.stats`` has them: ``norm``, ``t``, ``chi2``, ``f``, ``binom``,
  ``uniform``, each with ``pdf``/``pmf``, ``cdf``, ``sf``, ``ppf``, ``isf``, ``interval``, ``rvs``
  (built on ``ember.distributions``: ``Normal``, ``StudentT``, ``Chi2``, ``FisherSnedecor``,
  ``Binomial``, ``Uniform``);
- tests: ``ttest_1samp``, ``ttest_ind`` (Student's or Welch's), ``ztest``,
  ``chi2_contingency``, each giving a statistic and a p-value;
- intervals: ``mean_confidence_interval``, ``proportion_confint``;
- Bayes' rule: ``bayes(prior, likelihood, evidence=None)``.

The special functions behind them (incomplete gamma and beta, the normal quantile) are in
``ember.distributions.special``, in NumPy: SciPy is not needed (the tests compare with it).

Example:
    >>> import ember as em
    >>> round(em.stats.norm.ppf(0.975).item(), 4)
    1.96
    >>> round(em.stats.t.sf(2.0, df=10).item(), 4)
    0.0367
"""

from ember.stats._common import ConfidenceInterval
from ember.stats.bayes import bayes
from ember.stats.contingency import Chi2ContingencyResult, chi2_contingency, expected_freq
from ember.stats.families import Family, binom, chi2, f, norm, t, uniform
from ember.stats.intervals import mean_confidence_interval, proportion_confint
from ember.stats.summary import (
    Description,
    FiveNumberSummary,
    describe,
    five_number_summary,
    median,
    percentile,
    quantile,
)
from ember.stats.ttests import TtestResult, ZtestResult, ttest_1samp, ttest_ind, ztest

__all__ = [
    "median", "quantile", "percentile", "five_number_summary", "FiveNumberSummary", "describe",
    "Description", "norm", "t", "chi2", "f", "binom", "uniform", "Family", "ttest_1samp",
    "ttest_ind", "ztest", "TtestResult", "ZtestResult", "chi2_contingency",
    "Chi2ContingencyResult", "expected_freq", "mean_confidence_interval", "proportion_confint",
    "ConfidenceInterval", "bayes",
]
