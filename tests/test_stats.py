"""ember.stats and the new distributions, checked against SciPy (the oracle; skipped without)."""

import numpy as np
import pytest

import ember as em

ss = pytest.importorskip("scipy.stats", reason="scipy is the oracle for ember.stats")
sp = pytest.importorskip("scipy.special", reason="scipy is the oracle for ember.stats")

from ember.distributions import special  # noqa: E402

RNG = np.random.default_rng(1234)
TOL = 1e-10


def f64(a):
    return em.tensor(np.asarray(a, dtype="float64"), dtype="float64")


# ---------------------------------------------------------------- special functions
def test_lgamma_matches_scipy():
    x = np.concatenate([RNG.uniform(1e-3, 20, 500), RNG.uniform(20, 1e5, 100),
                        [0.5, 1.0, 2.0, 1e-8], -RNG.uniform(0.01, 9.9, 50)])
    ref = sp.gammaln(x)
    assert np.max(np.abs(special.lgamma(x) - ref) / np.maximum(1, np.abs(ref))) < TOL


def test_incomplete_gamma_matches_scipy():
    a = RNG.uniform(0.05, 300, 3000)
    x = np.concatenate([RNG.uniform(0, 400, 2000), RNG.uniform(0, 3, 1000)])
    np.testing.assert_allclose(special.gammainc(a, x), sp.gammainc(a, x), rtol=0, atol=TOL)
    np.testing.assert_allclose(special.gammaincc(a, x), sp.gammaincc(a, x), rtol=0, atol=TOL)
    tail = sp.gammaincc(a, x) > 1e-250  # the upper tail keeps its relative accuracy
    np.testing.assert_allclose(special.gammaincc(a, x)[tail], sp.gammaincc(a, x)[tail],
                               rtol=1e-9)


def test_incomplete_beta_matches_scipy():
    a, b = RNG.uniform(0.05, 800, 3000), RNG.uniform(0.05, 800, 3000)
    x = RNG.uniform(0, 1, 3000)
    lower, upper = special.betainc_pair(a, b, x)
    np.testing.assert_allclose(lower, sp.betainc(a, b, x), rtol=0, atol=TOL)
    np.testing.assert_allclose(upper, sp.betaincc(a, b, x), rtol=0, atol=TOL)
    assert np.isnan(special.betainc(-1.0, 1.0, 0.5))
    assert special.betainc(2.0, 3.0, 0.0) == 0.0 and special.betainc(2.0, 3.0, 1.0) == 1.0


def test_erfc_ndtr_ndtri_match_scipy():
    z = np.linspace(-38, 38, 2001)
    np.testing.assert_allclose(special.ndtr(z), sp.ndtr(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(special.erfc(z / 1.5), sp.erfc(z / 1.5), rtol=1e-11,
                               atol=1e-300)
    p = np.concatenate([RNG.uniform(0, 1, 2000), [1e-300, 1e-30, 1e-10, 1 - 1e-10, 0.5]])
    np.testing.assert_allclose(special.ndtri(p), sp.ndtri(p), rtol=1e-12, atol=1e-12)
    assert special.ndtri(0.0) == -np.inf and special.ndtri(1.0) == np.inf
    assert np.isnan(special.ndtri(1.5))


# ---------------------------------------------------------------- distributions
X = RNG.normal(0, 3, 300)
Q = np.concatenate([RNG.uniform(0, 1, 297), [1e-9, 0.5, 1 - 1e-9]])
DF = RNG.uniform(0.5, 80, 300)


def test_normal_icdf_cdf_sf_match_scipy():
    d = em.distributions.Normal(f64(1.5), f64(2.0))
    np.testing.assert_allclose(d.icdf(f64(Q)).numpy(), ss.norm.ppf(Q, 1.5, 2.0), rtol=1e-12)
    np.testing.assert_allclose(d.ppf(f64(Q)).numpy(), ss.norm.ppf(Q, 1.5, 2.0), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(f64(X)).numpy(), ss.norm.cdf(X, 1.5, 2.0), atol=1e-14)
    np.testing.assert_allclose(d.sf(f64(X * 5)).numpy(), ss.norm.sf(X * 5, 1.5, 2.0),
                               rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(d.pdf(f64(X)).numpy(), ss.norm.pdf(X, 1.5, 2.0), rtol=1e-12)


def test_normal_cdf_keeps_its_gradient():
    loc = em.tensor(0.3, dtype="float64", requires_grad=True)
    em.distributions.Normal(loc, 1.0).cdf(f64(1.0)).backward()
    assert abs(loc.grad.item() + ss.norm.pdf(1.0, 0.3)) < 1e-12  # d/dloc Phi(x - loc)


def test_student_t_matches_scipy():
    d = em.distributions.StudentT(f64(DF), f64(0.5), f64(2.0))
    np.testing.assert_allclose(d.pdf(f64(X)).numpy(), ss.t.pdf(X, DF, 0.5, 2.0), rtol=1e-11)
    np.testing.assert_allclose(d.cdf(f64(X)).numpy(), ss.t.cdf(X, DF, 0.5, 2.0), atol=TOL)
    np.testing.assert_allclose(d.sf(f64(X)).numpy(), ss.t.sf(X, DF, 0.5, 2.0), atol=TOL)
    np.testing.assert_allclose(d.icdf(f64(Q)).numpy(), ss.t.ppf(Q, DF, 0.5, 2.0), rtol=1e-9)
    np.testing.assert_allclose(d.entropy().numpy(), ss.t.entropy(DF, 0.5, 2.0), atol=1e-9)
    big = DF > 4
    np.testing.assert_allclose(d.variance.numpy()[big], ss.t.var(DF, 0.5, 2.0)[big])


def test_chi2_matches_scipy():
    x = np.abs(X) * 5
    d = em.distributions.Chi2(f64(DF))
    np.testing.assert_allclose(d.pdf(f64(x)).numpy(), ss.chi2.pdf(x, DF), rtol=1e-10,
                               atol=1e-300)
    np.testing.assert_allclose(d.cdf(f64(x)).numpy(), ss.chi2.cdf(x, DF), atol=TOL)
    np.testing.assert_allclose(d.sf(f64(x)).numpy(), ss.chi2.sf(x, DF), atol=TOL)
    np.testing.assert_allclose(d.icdf(f64(Q)).numpy(), ss.chi2.ppf(Q, DF), rtol=1e-9)
    np.testing.assert_allclose(d.entropy().numpy(), ss.chi2.entropy(DF), atol=1e-9)


def test_f_matches_scipy():
    d2 = RNG.uniform(0.5, 60, 300)
    x = np.abs(X)
    d = em.distributions.FisherSnedecor(f64(DF), f64(d2))
    np.testing.assert_allclose(d.pdf(f64(x)).numpy(), ss.f.pdf(x, DF, d2), rtol=1e-10)
    np.testing.assert_allclose(d.cdf(f64(x)).numpy(), ss.f.cdf(x, DF, d2), atol=TOL)
    np.testing.assert_allclose(d.sf(f64(x)).numpy(), ss.f.sf(x, DF, d2), atol=TOL)
    q = Q[(Q > 1e-6) & (Q < 1 - 1e-6)]
    d = em.distributions.FisherSnedecor(f64(DF[:q.size]), f64(d2[:q.size]))
    np.testing.assert_allclose(d.icdf(f64(q)).numpy(), ss.f.ppf(q, DF[:q.size], d2[:q.size]),
                               rtol=1e-8)
    ok = d2[:q.size] > 4
    np.testing.assert_allclose(d.variance.numpy()[ok], ss.f.var(DF[:q.size], d2[:q.size])[ok])


def test_binomial_cdf_matches_scipy():
    n = RNG.integers(0, 200, 400).astype(float)
    p = RNG.uniform(0, 1, 400)
    k = RNG.integers(-3, 205, 400).astype(float) + RNG.choice([0, 0.5], 400)
    d = em.distributions.Binomial(f64(n), probs=f64(p))
    np.testing.assert_allclose(d.cdf(f64(k)).numpy(), ss.binom.cdf(k, n, p), atol=TOL)
    np.testing.assert_allclose(d.sf(f64(k)).numpy(), ss.binom.sf(k, n, p), atol=TOL)
    np.testing.assert_allclose(em.stats.binom.ppf(Q[:300], n[:300], p[:300]).numpy(),
                               ss.binom.ppf(Q[:300], n[:300], p[:300]))


def test_uniform_matches_scipy():
    d = em.distributions.Uniform(f64(-1.0), f64(3.0))
    x = np.linspace(-0.9, 2.9, 7)
    np.testing.assert_allclose(d.pdf(f64(x)).numpy(), ss.uniform.pdf(x, -1, 4))
    np.testing.assert_allclose(d.cdf(f64(x * 2)).numpy(), ss.uniform.cdf(x * 2, -1, 4))
    np.testing.assert_allclose(d.icdf(f64(Q)).numpy(), ss.uniform.ppf(Q, -1, 4))
    assert d.mean.item() == 1.0 and abs(d.variance.item() - 16 / 12) < 1e-15
    assert abs(d.entropy().item() - ss.uniform.entropy(-1, 4)) < 1e-15
    em.utils.set_random_seed(0)
    s = d.sample((20000,)).numpy()
    assert s.min() >= -1 and s.max() < 3 and abs(s.mean() - 1.0) < 0.05
    low = em.tensor(0.0, requires_grad=True)
    em.distributions.Uniform(low, 2.0).rsample((10,)).sum().backward()
    assert low.grad is not None
    with pytest.raises(ValueError, match="Uniform.log_prob.*support"):
        d.log_prob(f64(5.0))
    with pytest.raises(ValueError, match="high must be greater than low"):
        em.distributions.Uniform(1.0, 1.0)


def test_sampling_moments():
    em.utils.set_random_seed(0)
    t = em.distributions.StudentT(f64(10.0)).sample((40000,)).numpy()
    c = em.distributions.Chi2(f64(4.0)).sample((40000,)).numpy()
    f = em.distributions.FisherSnedecor(f64(5.0), f64(20.0)).sample((40000,)).numpy()
    assert abs(t.var() - 10 / 8) < 0.05 and abs(c.mean() - 4) < 0.05
    assert abs(f.mean() - 20 / 18) < 0.03


def test_quantile_of_a_probability_outside_0_1_is_an_error():
    for d in (em.distributions.Normal(0.0, 1.0), em.distributions.StudentT(3.0),
              em.distributions.Chi2(2.0), em.distributions.FisherSnedecor(2.0, 3.0)):
        with pytest.raises(ValueError, match=r"icdf: the probability must be in \[0, 1\]; got 1.5"):
            d.icdf(1.5)
    with pytest.raises(ValueError, match="StudentT: df must be positive"):
        em.distributions.StudentT(-1.0)


def test_scipy_named_families():
    assert abs(em.stats.norm.ppf(0.975).item() - ss.norm.ppf(0.975)) < 1e-14
    assert abs(em.stats.norm.isf(0.05, 10, 2).item() - ss.norm.isf(0.05, 10, 2)) < 1e-12
    assert abs(em.stats.t.sf(2.0, df=10).item() - ss.t.sf(2.0, 10)) < 1e-12
    assert abs(em.stats.chi2.ppf(0.95, 3).item() - ss.chi2.ppf(0.95, 3)) < 1e-10
    assert abs(em.stats.f.cdf(2.5, 3, 12).item() - ss.f.cdf(2.5, 3, 12)) < 1e-12
    k = np.arange(-1, 12)
    np.testing.assert_allclose(em.stats.binom.pmf(k, 10, 0.3).numpy(), ss.binom.pmf(k, 10, 0.3),
                               atol=1e-14)
    np.testing.assert_allclose(em.stats.binom.cdf(k, 10, 0.3).numpy(), ss.binom.cdf(k, 10, 0.3),
                               atol=1e-14)
    lo, hi = em.stats.t.interval(0.95, 7, loc=3.0, scale=0.5)
    np.testing.assert_allclose([lo.item(), hi.item()], ss.t.interval(0.95, 7, 3.0, 0.5))
    assert abs(em.stats.uniform.cdf(0.5, 0, 2).item() - 0.25) < 1e-15
    with pytest.raises(TypeError, match="norm: unknown parameter 'mu'"):
        em.stats.norm.cdf(0.0, mu=1.0)


# ---------------------------------------------------------------- summaries
def test_median_quantile_percentile_match_numpy():
    a = RNG.normal(size=(7, 6))
    assert abs(em.stats.median(f64(a)).item() - np.median(a)) < 1e-15
    np.testing.assert_allclose(em.stats.median(f64(a), axis=1).numpy(), np.median(a, axis=1))
    np.testing.assert_allclose(em.stats.quantile(f64(a), [0.1, 0.9], axis=0).numpy(),
                               np.quantile(a, [0.1, 0.9], axis=0))
    np.testing.assert_allclose(em.stats.percentile(f64(a), 37.5).numpy(),
                               np.percentile(a, 37.5))
    for method in ("lower", "higher", "nearest", "midpoint"):
        np.testing.assert_allclose(em.stats.quantile(f64(a), 0.3, method=method).numpy(),
                                   np.quantile(a, 0.3, method=method))
    with pytest.raises(ValueError, match=r"percentile: q must be in \[0, 100\]"):
        em.stats.percentile(f64(a), 150)


def test_five_number_summary_and_describe_match_scipy():
    a = RNG.exponential(size=101)
    s = em.stats.five_number_summary(f64(a))
    np.testing.assert_allclose([v.item() for v in s], np.quantile(a, [0, .25, .5, .75, 1]))
    assert abs(s.iqr.item() - ss.iqr(a)) < 1e-14
    d, ref = em.stats.describe(f64(a)), ss.describe(a)
    assert d.nobs == ref.nobs
    np.testing.assert_allclose([d.minmax[0].item(), d.minmax[1].item(), d.mean.item(),
                                d.variance.item(), d.skewness.item(), d.kurtosis.item()],
                               [*ref.minmax, ref.mean, ref.variance, ref.skewness, ref.kurtosis])


def test_median_is_differentiable():
    x = em.tensor([3.0, 1.0, 4.0, 1.0], requires_grad=True)
    em.stats.median(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.0, 0.0, 0.5])  # (1 + 3) / 2


# ---------------------------------------------------------------- tests and intervals
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_ttest_1samp_matches_scipy(alternative):
    a = RNG.normal(0.3, 1.0, size=(25, 4))
    r = em.stats.ttest_1samp(f64(a), 0.1, alternative=alternative)
    ref = ss.ttest_1samp(a, 0.1, alternative=alternative)
    np.testing.assert_allclose(r.statistic, ref.statistic, rtol=1e-12)
    np.testing.assert_allclose(r.pvalue, ref.pvalue, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(r.df, ref.df)
    ci, ref_ci = r.confidence_interval(0.9), ref.confidence_interval(0.9)
    np.testing.assert_allclose([ci.low, ci.high], [ref_ci.low, ref_ci.high], rtol=1e-10)
    stat, p = em.stats.ttest_1samp(a[:, 0].tolist(), 0.1, alternative=alternative)
    assert abs(p - ss.ttest_1samp(a[:, 0], 0.1, alternative=alternative).pvalue) < 1e-12


@pytest.mark.parametrize("equal_var", [True, False])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_ttest_ind_matches_scipy(equal_var, alternative):
    a, b = RNG.normal(0.0, 1.0, 30), RNG.normal(0.5, 2.5, 17)
    r = em.stats.ttest_ind(f64(a), f64(b), equal_var=equal_var, alternative=alternative)
    ref = ss.ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
    assert abs(r.statistic - ref.statistic) < 1e-12
    assert abs(r.pvalue - ref.pvalue) < 1e-12
    assert abs(r.df - ref.df) < 1e-9
    ci, ref_ci = r.confidence_interval(), ref.confidence_interval()
    np.testing.assert_allclose([ci.low, ci.high], [ref_ci.low, ref_ci.high], rtol=1e-10)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_ztest_matches_the_normal_from_scipy(alternative):
    a, b = RNG.normal(10.2, 2.0, 50), RNG.normal(10.0, 2.0, 40)
    z, p = em.stats.ztest(f64(a), value=10.0, sigma=2.0, alternative=alternative)
    z_ref = (a.mean() - 10.0) / (2.0 / np.sqrt(50))
    p_ref = {"two-sided": 2 * ss.norm.sf(abs(z_ref)), "greater": ss.norm.sf(z_ref),
             "less": ss.norm.cdf(z_ref)}[alternative]
    assert abs(z - z_ref) < 1e-12 and abs(p - p_ref) < 1e-12
    z2, p2 = em.stats.ztest(a, b, alternative=alternative)
    pooled = ((49 * a.var(ddof=1) + 39 * b.var(ddof=1)) / 88)
    z2_ref = (a.mean() - b.mean()) / np.sqrt(pooled * (1 / 50 + 1 / 40))
    # without sigma the pooled sample variance stands in: the t-test's statistic, normal p
    assert abs(z2 - ss.ttest_ind(a, b).statistic) < 1e-12 and abs(z2 - z2_ref) < 1e-12
    p2_ref = {"two-sided": 2 * ss.norm.sf(abs(z2_ref)), "greater": ss.norm.sf(z2_ref),
              "less": ss.norm.cdf(z2_ref)}[alternative]
    assert abs(p2 - p2_ref) < 1e-12


@pytest.mark.parametrize("table", [
    [[30, 10], [20, 40]],            # 2x2: Yates' correction
    [[12, 5, 9], [7, 14, 3]],
    [[[3, 5], [6, 2]], [[4, 9], [8, 7]]],   # three variables
    [[10, 20]],                      # no degrees of freedom
])
@pytest.mark.parametrize("correction", [True, False])
def test_chi2_contingency_matches_scipy(table, correction):
    r = em.stats.chi2_contingency(f64(table), correction=correction)
    ref = ss.chi2_contingency(np.asarray(table), correction=correction)
    assert abs(r.statistic - ref.statistic) < 1e-12
    assert abs(r.pvalue - ref.pvalue) < 1e-12
    assert r.dof == ref.dof
    np.testing.assert_allclose(r.expected_freq, ref.expected_freq)
    stat, p, dof, expected = r
    assert dof == ref.dof and expected.shape == np.shape(table)


def test_chi2_contingency_errors():
    with pytest.raises(ValueError, match="chi2_contingency: a row or column .* all zeros"):
        em.stats.chi2_contingency([[0, 0], [3, 4]])
    with pytest.raises(ValueError, match="chi2_contingency: observed holds negative counts"):
        em.stats.chi2_contingency([[-1, 2], [3, 4]])


def test_confidence_intervals_match_scipy():
    a = RNG.normal(5.0, 1.5, 20)
    ci = em.stats.mean_confidence_interval(f64(a), 0.99)
    ref = ss.t.interval(0.99, 19, loc=a.mean(), scale=ss.sem(a))
    np.testing.assert_allclose([ci.low, ci.high], ref, rtol=1e-12)
    ci = em.stats.mean_confidence_interval(a, 0.95, sigma=1.5)
    ref = ss.norm.interval(0.95, loc=a.mean(), scale=1.5 / np.sqrt(20))
    np.testing.assert_allclose(list(ci), ref, rtol=1e-12)
    for k, n in ((42, 100), (0, 12), (3, 7), (50, 50)):
        w = em.stats.proportion_confint(k, n, alpha=0.1, method="wilson")
        ref = ss.binomtest(k, n).proportion_ci(0.9, method="wilson")
        np.testing.assert_allclose([w.low, w.high], [ref.low, ref.high], rtol=1e-12, atol=1e-15)
        wald = em.stats.proportion_confint(k, n)
        p = k / n
        half = ss.norm.ppf(0.975) * np.sqrt(p * (1 - p) / n)
        np.testing.assert_allclose(list(wald), np.clip([p - half, p + half], 0, 1), atol=1e-15)
    with pytest.raises(ValueError, match="mean_confidence_interval: confidence_level"):
        em.stats.mean_confidence_interval(a, 95)


def test_bayes_rule_matches_a_conjugate_posterior_from_scipy():
    # a grid of coin biases, uniform prior, 7 heads in 10 flips: the posterior is Beta(8, 4)
    grid = np.linspace(0.0005, 0.9995, 1000)
    prior = np.full_like(grid, 1 / grid.size)
    post = em.stats.bayes(prior, ss.binom.pmf(7, 10, grid)).numpy()
    ref = ss.beta.pdf(grid, 8, 4)
    np.testing.assert_allclose(post, ref / ref.sum(), rtol=1e-6, atol=1e-12)
    assert abs(post.sum() - 1) < 1e-12


def test_bayes_rule_the_disease_test():
    ill = em.stats.bayes([0.01, 0.99], [0.9, 0.05]).numpy()
    assert abs(ill[0] - 0.009 / (0.009 + 0.0495)) < 1e-15
    assert abs(em.stats.bayes(0.01, 0.9, evidence=0.0585).item() - ill[0]) < 1e-15
    with pytest.raises(ValueError, match="bayes: the priors along axis -1 sum to 0.5"):
        em.stats.bayes([0.2, 0.3], [0.9, 0.05])
    with pytest.raises(ValueError, match="bayes: with a single prior give evidence"):
        em.stats.bayes(0.01, 0.9)
    with pytest.raises(ValueError, match="bayes: likelihood must hold probabilities"):
        em.stats.bayes([0.5, 0.5], [1.5, 0.1])


def test_tests_report_bad_input():
    with pytest.raises(ValueError, match="ttest_1samp: alternative must be one of"):
        em.stats.ttest_1samp([1.0, 2.0, 3.0], 0, alternative="bigger")
    with pytest.raises(ValueError, match="ttest_1samp: a contains NaN"):
        em.stats.ttest_1samp([1.0, float("nan"), 3.0], 0)
    with pytest.raises(ValueError, match="ttest_ind: each sample needs at least 2"):
        em.stats.ttest_ind([1.0], [2.0, 3.0])


# ---------------------------------------------------------------- gradients (log_prob, cdf)
def _value_and_params():
    v = em.tensor(RNG.normal(size=6) * 2, dtype="float64")
    return v, em.tensor(RNG.uniform(-1, 1, 6), dtype="float64"), em.tensor(
        RNG.uniform(0.5, 2, 6), dtype="float64")


def test_log_probs_pass_gradcheck():
    v, loc, scale = _value_and_params()
    df = f64(RNG.uniform(1, 20, 6))
    em.gradcheck(lambda x, m, s: em.distributions.StudentT(df, m, s).log_prob(x),
                 [v, loc, scale])
    em.gradcheck(lambda x, m, s: em.distributions.Normal(m, s).cdf(x), [v, loc, scale])
    pos = f64(np.abs(v.numpy()) + 0.1)
    em.gradcheck(lambda x: em.distributions.Chi2(df).log_prob(x), [pos])
    em.gradcheck(lambda x: em.distributions.FisherSnedecor(df, df + 1).log_prob(x), [pos])
    em.gradcheck(lambda lo, hi: em.distributions.Uniform(lo, hi).log_prob(f64(0.5)),
                 [f64(0.0), f64(2.0)])


def test_log_probs_and_gradients_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for the gradients")
    D = torch.distributions
    v, loc, scale = _value_and_params()
    df = RNG.uniform(1, 20, 6)
    pos = np.abs(v.numpy()) + 0.1

    def both(make_em, make_torch, x):
        m_e = em.tensor(loc.numpy(), dtype="float64", requires_grad=True)
        s_e = em.tensor(scale.numpy(), dtype="float64", requires_grad=True)
        m_t = torch.tensor(loc.numpy(), requires_grad=True)
        s_t = torch.tensor(scale.numpy(), requires_grad=True)
        lp_e = make_em(m_e, s_e).log_prob(f64(x))
        lp_t = make_torch(m_t, s_t).log_prob(torch.tensor(x))
        np.testing.assert_allclose(lp_e.numpy(), lp_t.detach().numpy(), rtol=1e-12, atol=1e-12)
        lp_e.sum().backward()
        lp_t.sum().backward()
        np.testing.assert_allclose(m_e.grad.numpy(), m_t.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(s_e.grad.numpy(), s_t.grad.numpy(), rtol=1e-10, atol=1e-12)

    both(lambda m, s: em.distributions.StudentT(f64(df), m, s),
         lambda m, s: D.StudentT(torch.tensor(df), m, s), v.numpy())
    both(lambda m, s: em.distributions.Uniform(m - 3, s + 3),
         lambda m, s: D.Uniform(m - 3, s + 3), np.zeros(6))
    for make_em, make_torch in (
            (lambda: em.distributions.Chi2(f64(df)), lambda: D.Chi2(torch.tensor(df))),
            (lambda: em.distributions.FisherSnedecor(f64(df), f64(df + 2)),
             lambda: D.FisherSnedecor(torch.tensor(df), torch.tensor(df + 2)))):
        np.testing.assert_allclose(make_em().log_prob(f64(pos)).numpy(),
                                   make_torch().log_prob(torch.tensor(pos)).numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(make_em().mean.numpy(), make_torch().mean.numpy())
        np.testing.assert_allclose(make_em().variance.numpy(), make_torch().variance.numpy())
    t_e = em.distributions.StudentT(f64(df), 0.0, 1.0)
    np.testing.assert_allclose(t_e.entropy().numpy(),
                               D.StudentT(torch.tensor(df)).entropy().numpy(), rtol=1e-10)
