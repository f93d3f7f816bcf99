"""em.metrics.sklearn's regression scores against scikit-learn (to 1e-6): multi-output modes, sample
weights, the R^2 conventions for constant targets, and errors that name the function."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ember.metrics import sklearn as M
from sk_compare import same

sk = pytest.importorskip("sklearn.metrics")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


REGRESSION = ["mean_squared_error", "root_mean_squared_error", "mean_absolute_error",
              "mean_absolute_percentage_error", "mean_squared_log_error",
              "root_mean_squared_log_error", "r2_score", "explained_variance_score"]


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_scores(rng, name, outputs, weighted):
    shape = (40,) if outputs == 1 else (40, outputs)
    yt = rng.random(shape) * 5
    yp = np.abs(yt + rng.normal(scale=0.7, size=shape))
    sw = rng.random(40) if weighted else None
    modes = ["uniform_average", "raw_values"]
    if outputs > 1:
        modes.append(np.array([0.2, 0.5, 0.3]))
        if name in ("r2_score", "explained_variance_score"):
            modes.append("variance_weighted")
    for mo in modes:
        same(getattr(M, name)(yt, yp, sample_weight=sw, multioutput=mo),
             getattr(sk, name)(yt, yp, sample_weight=sw, multioutput=mo))


def test_r2_conventions_and_adjusted(rng):
    for yt, yp in (([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]), ([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]),
                   (np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0]]),
                    np.array([[1.0, 2.5], [1.0, 3.0], [1.0, 4.0]]))):
        for name in ("r2_score", "explained_variance_score"):
            for ff in (True, False):
                for mo in ("uniform_average", "raw_values", "variance_weighted"):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ref = getattr(sk, name)(yt, yp, force_finite=ff, multioutput=mo)
                    same(getattr(M, name)(yt, yp, force_finite=ff, multioutput=mo), ref)
    with pytest.warns(M.UndefinedMetricWarning):
        assert np.isnan(M.r2_score([1.0], [2.0]))
    yt, yp = rng.random(30), rng.random(30)
    r2 = sk.r2_score(yt, yp)
    same(M.adjusted_r2_score(yt, yp, 5), 1 - (1 - r2) * 29 / 24)
    same(M.adjusted_r2_score(yt, yp, 0), r2)
    with pytest.raises(ValueError, match=r"adjusted_r2_score: needs more samples.*n=6.*=5"):
        M.adjusted_r2_score(yt[:6], yp[:6], 5)
    with pytest.raises(ValueError, match="adjusted_r2_score: n_features"):
        M.adjusted_r2_score(yt, yp, -1)


def test_regression_errors_name_the_function():
    with pytest.raises(ValueError, match="root_mean_squared_log_error: .*negative"):
        M.root_mean_squared_log_error([1.0, -0.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="mean_squared_log_error: .*negative"):
        M.mean_squared_log_error([1.0, 0.5], [1.0, -2.0])
    with pytest.raises(ValueError, match="mean_squared_error: y_true has 3 samples"):
        M.mean_squared_error([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="r2_score: multioutput"):
        M.r2_score([1, 2], [1, 2], multioutput="median")
    with pytest.raises(ValueError, match="mean_absolute_error: y_true must be numeric"):
        M.mean_absolute_error(["a", "b"], [1, 2])
