"""em.sklearn: EmberClassifier / EmberRegressor as scikit-learn estimators."""

import pickle

import numpy as np
import pytest

import ember as em

pytest.importorskip("sklearn", minversion="1.6")  # expected_failed_checks needs 1.6
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, make_classification  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from ember.sklearn import EmberClassifier, EmberRegressor, expected_failed_checks  # noqa: E402


def build(units=8, n_classes_=2):
    out = em.layers.Dense(1, activation="sigmoid") if n_classes_ == 2 else \
        em.layers.Dense(n_classes_, activation="softmax")
    return em.Sequential([em.layers.Dense(units, activation="relu"), out])


@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer(return_X_y=True)


def _xfail_strict():
    import inspect

    params = inspect.signature(parametrize_with_checks).parameters
    return {"xfail_strict": True} if "xfail_strict" in params else {}


@parametrize_with_checks(
    [EmberClassifier(epochs=20, learning_rate=0.01), EmberRegressor(epochs=20, learning_rate=0.01)],
    expected_failed_checks=expected_failed_checks, **_xfail_strict())
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_pipeline_with_scaler(cancer):
    x, y = cancer
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", EmberClassifier(build, model__units=16, epochs=10,
                                             learning_rate=0.01, random_state=0))])
    pipe.fit(x[:400], y[:400])
    assert pipe.score(x[400:], y[400:]) > 0.9
    proba = pipe.predict_proba(x[400:])
    assert proba.shape == (169, 2) and np.allclose(proba.sum(1), 1.0)
    assert pipe.named_steps["net"].n_features_in_ == 30


def test_grid_search_tunes_routed_and_plain_parameters(cancer):
    x, y = cancer
    x = StandardScaler().fit_transform(x)[:300]
    y = y[:300]
    clf = EmberClassifier(build, epochs=3, random_state=0)
    grid = GridSearchCV(clf, {"model__units": [2, 16], "learning_rate": [1e-3, 1e-2]}, cv=2)
    grid.fit(x, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["model__units"] in (2, 16)
    assert grid.best_estimator_.model_.layers[0].units == grid.best_params_["model__units"]
    assert grid.best_score_ > 0.8


def test_randomized_search_and_cross_val_score(cancer):
    from scipy.stats import loguniform

    x, y = cancer
    x = StandardScaler().fit_transform(x)
    clf = EmberClassifier(build, epochs=4, random_state=0)
    search = RandomizedSearchCV(clf, {"learning_rate": loguniform(1e-3, 3e-2)}, n_iter=2,
                                cv=2, random_state=0).fit(x, y)
    assert 1e-3 <= search.best_params_["learning_rate"] <= 3e-2
    scores = cross_val_score(EmberClassifier(build, epochs=5, learning_rate=0.01,
                                             random_state=0), x, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9


def test_string_and_integer_labels():
    x, y_int = make_classification(n_samples=150, n_features=5, n_informative=4,
                                   n_redundant=0, n_classes=3, random_state=0)
    names = np.array(["cat", "dog", "bird"])[y_int]
    clf = EmberClassifier(build, model__units=16, epochs=30, learning_rate=0.02,
                          random_state=0).fit(x, names)
    assert clf.classes_.tolist() == ["bird", "cat", "dog"] and clf.n_classes_ == 3
    assert set(clf.predict(x)) <= {"bird", "cat", "dog"}
    assert clf.score(x, names) > 0.8
    assert clf.predict_proba(x).shape == (150, 3)
    # integer labels that are not 0..k-1 come back as themselves
    y2 = np.where(y_int[:100] == 0, 3, 7)
    clf2 = EmberClassifier(build, epochs=5, random_state=0).fit(x[:100], y2)
    assert clf2.classes_.tolist() == [3, 7] and set(clf2.predict(x[:100])) <= {3, 7}


def test_params_routing_clone_and_errors():
    clf = EmberClassifier(build, model__units=4, optimizer__beta_1=0.8, epochs=2)
    params = clf.get_params()
    assert params["model__units"] == 4 and params["optimizer__beta_1"] == 0.8
    copy = clone(clf)
    assert copy.get_params()["model__units"] == 4 and not hasattr(copy, "model_")
    copy.set_params(model__units=6, epochs=1)
    x, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    copy.fit(x, y)
    assert copy.model_.layers[0].units == 6
    assert copy.model_.optimizer.beta_1 == pytest.approx(0.8)
    assert clf.get_params()["model__units"] == 4  # the original is untouched
    with pytest.raises(TypeError, match="unknown parameter 'units'.*model__units"):
        EmberClassifier(build, units=3).fit(x, y)
    with pytest.raises(TypeError, match="model__depth given.*no parameter 'depth'"):
        EmberClassifier(build, model__depth=3).fit(x, y)
    with pytest.raises(TypeError, match="not a model instance"):
        EmberClassifier(build()).fit(x, y)
    with pytest.raises(ValueError, match="ends in 1 output unit.*3 classes"):
        EmberClassifier(lambda: build(n_classes_=2)).fit(x, np.arange(40) % 3)


def test_random_state_makes_fits_reproducible_and_pickle_works():
    x, y = make_classification(n_samples=80, n_features=4, random_state=1)
    a = EmberClassifier(build, epochs=3, random_state=7).fit(x, y).predict_proba(x)
    clf = EmberClassifier(build, epochs=3, random_state=7).fit(x, y)
    np.testing.assert_array_equal(a, clf.predict_proba(x))
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(x), a)


def test_compiled_model_keeps_its_loss_and_takes_learning_rate():
    def compiled(n_features_in_):
        model = em.Sequential([em.Input((n_features_in_,)),
                               em.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=em.optimizers.SGD(learning_rate=0.5),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    x, y = make_classification(n_samples=60, n_features=4, random_state=2)
    clf = EmberClassifier(compiled, epochs=2, learning_rate=0.05, validation_split=0.25,
                          random_state=0).fit(x, y)
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.05)
    assert set(clf.history_) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert clf.predict_proba(x).shape == (60, 2)


def test_regressor_single_and_multi_output():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + 1.0
    reg = Pipeline([("s", StandardScaler()),
                    ("r", EmberRegressor(model__hidden_layer_sizes=(16,), epochs=60,
                                         learning_rate=0.02, random_state=0))]).fit(x, y)
    assert reg.predict(x).shape == (200,) and reg.score(x, y) > 0.9
    y2 = np.stack([y, -y], axis=1)
    multi = EmberRegressor(epochs=2, random_state=0).fit(x, y2)
    assert multi.n_outputs_ == 2 and multi.predict(x).shape == (200, 2)
    with pytest.raises(ValueError, match="1 output unit.*2 column"):
        EmberRegressor(lambda: em.Sequential([em.layers.Dense(1)]), epochs=1).fit(x, y2)
