"""validation_curve beside learning_curve: scikit-learn's results on scikit-learn estimators
(the oracle), the same on ember's wrappers, and ember build functions."""

import numpy as np
import pytest

import ember as em

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is the oracle for validation_curve")
from sklearn import linear_model, model_selection  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402


def test_matches_sklearn_on_a_regressor():
    X, y = make_regression(n_samples=60, n_features=8, noise=5.0, random_state=0)
    alphas = [0.01, 1.0, 100.0, 1e4]
    for cv, scoring in ((model_selection.KFold(4), None), (3, "neg_mean_squared_error")):
        train, test = em.model_selection.validation_curve(
            linear_model.Ridge(), X, y, param_name="alpha", param_range=alphas, cv=cv,
            scoring=scoring)
        ref_train, ref_test = model_selection.validation_curve(
            linear_model.Ridge(), X, y, param_name="alpha", param_range=alphas, cv=cv,
            scoring=scoring)
        assert train.shape == ref_train.shape == (4, ref_train.shape[1])
        np.testing.assert_allclose(train, ref_train, rtol=1e-12)
        np.testing.assert_allclose(test, ref_test, rtol=1e-12)


def test_matches_sklearn_on_a_classifier_with_stratified_folds():
    X, y = make_classification(n_samples=80, n_features=5, random_state=1)
    cs = [1e-3, 0.1, 10.0]
    curve = em.model_selection.validation_curve(linear_model.LogisticRegression(), X, y,
                                                param_name="C", param_range=cs, cv=4,
                                                scoring="accuracy")
    ref_train, ref_test = model_selection.validation_curve(
        linear_model.LogisticRegression(), X, y, param_name="C", param_range=cs, cv=4,
        scoring="accuracy")
    np.testing.assert_allclose(curve.train_scores, ref_train)
    np.testing.assert_allclose(curve.test_scores, ref_test)
    assert curve.best_param == cs[int(np.argmax(ref_test.mean(axis=1)))]
    assert "validation curve (4 folds)" in str(curve) and "best C" in str(curve)


def test_works_on_embers_sklearn_wrapper_as_sklearn_does():
    X, y = make_classification(n_samples=60, n_features=4, random_state=2)
    X = X.astype("float32")
    clf = em.sklearn.EmberClassifier(epochs=5, learning_rate=0.05, random_state=0,
                                     model__hidden_layer_sizes=(4,))
    kw = dict(param_name="model__hidden_layer_sizes", param_range=[(2,), (8,)], cv=3)
    train, test = em.model_selection.validation_curve(clf, X, y, **kw)
    ref_train, ref_test = model_selection.validation_curve(clf, X, y, **kw)
    assert train.shape == (2, 3)
    np.testing.assert_allclose(train, ref_train)  # same folds, same seeds, same scores
    np.testing.assert_allclose(test, ref_test)


def test_ember_build_function_complexity_curve():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (120, 1)).astype("float32")
    y = (np.sin(3 * x[:, 0]) + 0.1 * rng.normal(size=120)).astype("float32")

    def build(units):
        model = em.Sequential([em.Input((1,)), em.layers.Dense(units, activation="tanh"),
                               em.layers.Dense(1)])
        model.compile(optimizer=em.optimizers.Adam(0.05), loss="mse")
        return model

    curve = em.model_selection.validation_curve(build, x, y, param_name="units",
                                                param_range=[1, 16], cv=3,
                                                fit_params={"epochs": 40, "batch_size": 32},
                                                seed=0)
    train, val = curve
    assert train.shape == val.shape == (2, 3)
    assert curve.metric == "r2"  # continuous target: r2 by default
    assert curve.train_mean[1] > curve.train_mean[0]  # more units fit the sine better
    assert curve.best_param == 16
    again = em.model_selection.validation_curve(build, x, y, param_name="units",
                                                param_range=[1, 16], cv=3,
                                                fit_params={"epochs": 40, "batch_size": 32},
                                                seed=0)
    np.testing.assert_allclose(again.val_scores, curve.val_scores)  # seeded: reproducible


def test_plot_draws_both_curves(tmp_path):
    pytest.importorskip("matplotlib", reason="plot needs matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    curve = em.model_selection.validation_curve(linear_model.Ridge(), X, y, param_name="alpha",
                                                param_range=[0.1, 10.0, 1000.0], cv=3)
    fig, ax = plt.subplots()
    curve.plot(ax, log_x=True)
    assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "alpha"
    plt.close(fig)


def test_reports_bad_input():
    X, y = make_regression(n_samples=20, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="validation_curve: Ridge has no parameter 'alpah'"):
        em.model_selection.validation_curve(linear_model.Ridge(), X, y, param_name="alpah",
                                            param_range=[1.0])
    with pytest.raises(ValueError, match="validation_curve: param_range is empty"):
        em.model_selection.validation_curve(linear_model.Ridge(), X, y, param_name="alpha",
                                            param_range=[])
    with pytest.raises(TypeError, match="validation_curve: estimator must be"):
        em.model_selection.validation_curve(42, X, y, param_name="a", param_range=[1])
