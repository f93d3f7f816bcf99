"""em.model_selection: splits, cross_validate, learning_curve, metric/target checks."""

import sys

import numpy as np
import pytest

import ember as em

sklearn = pytest.importorskip("sklearn")
from sklearn import metrics as skm  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402

ms = em.model_selection


@pytest.fixture(scope="module")
def cancer():
    x, y = load_breast_cancer(return_X_y=True)
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), y


def tiny_binary(units=8, lr=0.01):
    model = em.Sequential([em.layers.Dense(units, activation="relu"),
                           em.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=em.optimizers.Adam(learning_rate=lr), loss="binary_crossentropy")
    return model


def tiny_regressor():
    model = em.Sequential([em.layers.Dense(8, activation="relu"), em.layers.Dense(1)])
    model.compile(optimizer=em.optimizers.Adam(learning_rate=0.02), loss="mse")
    return model


# ---------------------------------------------------------------------- splits
def test_train_test_split_is_sklearns_with_stratify():
    y = np.array([0] * 80 + [1] * 20)
    x = np.arange(100)[:, None]
    x_tr, x_te, y_tr, y_te = ms.train_test_split(x, y, test_size=0.2, stratify=y,
                                                 random_state=0)
    assert len(x_te) == 20 and y_te.sum() == 4  # 20% of each class
    assert set(x_tr[:, 0]) | set(x_te[:, 0]) == set(range(100))


def test_train_val_test_split_sizes_disjoint_and_stratified():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    x = np.arange(100)
    x_tr, x_val, x_te, y_tr, y_val, y_te = ms.train_val_test_split(
        x, y, val_size=0.2, test_size=0.1, stratify=y, random_state=3)
    assert (len(x_tr), len(x_val), len(x_te)) == (70, 20, 10)
    assert sorted(np.concatenate([x_tr, x_val, x_te]).tolist()) == list(range(100))
    assert np.array_equal(y[x_val], y_val) and np.array_equal(y[x_te], y_te)
    assert np.bincount(y_val).tolist() == [12, 6, 2]
    assert np.bincount(y_te).tolist() == [6, 3, 1]
    counts = ms.train_val_test_split(x, val_size=15, test_size=5, random_state=0)
    assert [len(p) for p in counts] == [80, 15, 5]


@pytest.mark.parametrize("kwargs, match", [
    ({"val_size": 0.5, "test_size": 0.5}, "leave no training"),
    ({"val_size": 0.0, "test_size": 0.2}, "val_size"),
    ({"val_size": 0.2, "test_size": "a"}, "test_size"),
    ({"val_size": 200, "test_size": 0.1}, "val_size=200"),
])
def test_train_val_test_split_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ms.train_val_test_split(np.arange(100), **kwargs)


def test_splitters_are_sklearns():
    from sklearn import model_selection as skms

    assert ms.KFold is skms.KFold and ms.StratifiedKFold is skms.StratifiedKFold
    assert sum(1 for _ in ms.LeaveOneOut().split(np.zeros(7))) == 7
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        ms.Nope


def test_missing_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.model_selection", None)
    with pytest.raises(ImportError, match=r"ember\[sklearn\]"):
        ms.train_test_split(np.arange(4))
    with pytest.raises(ImportError, match=r"KFold needs scikit-learn"):
        ms.KFold


# ---------------------------------------------------------------------- cross_validate
def test_cross_validate_breast_cancer(cancer):
    x, y = cancer
    calls = []

    def build():
        calls.append(1)
        return tiny_binary()

    result = ms.cross_validate(build, x, y, cv=5, metrics=("accuracy", "f1"),
                               fit_kwargs={"epochs": 8, "batch_size": 32}, seed=0,
                               return_models=True)
    assert len(calls) == 5 and len({id(m) for m in result.models}) == 5  # fresh per fold
    assert result.stratified and result.n_splits == 5
    assert result["test_accuracy"].shape == (5,) and result["fit_time"].shape == (5,)
    assert result.mean("accuracy") >= 0.9  # a 8-unit network on standardized features
    assert result.std("accuracy") == pytest.approx(np.std(result["test_accuracy"]))
    assert set(result.mean()) == {"accuracy", "f1"}
    text = str(result)
    assert "5-fold stratified cross-validation" in text and "accuracy:" in text and "±" in text
    assert len(result.histories) == 5 and len(result.histories[0]["loss"]) == 8


def test_cross_validate_is_reproducible_with_a_seed(cancer):
    x, y = cancer[0][:200], cancer[1][:200]
    runs = [ms.cross_validate(tiny_binary, x, y, cv=3, fit_kwargs={"epochs": 2}, seed=5)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0]["test_accuracy"], runs[1]["test_accuracy"])


def test_cross_validate_regression_and_train_scores():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.05 * rng.normal(size=150)
    result = ms.cross_validate(tiny_regressor, x, y, cv=3, metrics=["r2", "mse"],
                               fit_kwargs={"epochs": 40}, seed=0, return_train_score=True)
    assert not result.stratified and result.task == "regression"
    assert result.mean("r2") > 0.8 and result.mean("mse") < 1.0
    assert "train_r2" in result and result["train_r2"].shape == (3,)


def test_cross_validate_custom_splitters_and_metric_functions(cancer):
    x, y = cancer[0][:12], cancer[1][:12]
    loo = ms.cross_validate(tiny_binary, x, y, cv=ms.LeaveOneOut(), seed=0)
    assert loo.n_splits == 12 and set(loo["test_accuracy"]) <= {0.0, 1.0}
    pairs = [(np.arange(6, 12), np.arange(6)), (np.arange(6), np.arange(6, 12))]
    seen = []

    def spy(y_true, y_pred):
        seen.append(np.asarray(y_pred))
        return 0.5

    result = ms.cross_validate(tiny_binary, x, y, cv=pairs,
                               metrics=[spy, em.metrics.sklearn.f1_score], seed=0)
    assert result.n_splits == 2 and result.mean("spy") == 0.5
    assert "f1_score" in result.metrics
    assert all(set(p.tolist()) <= {0, 1} and p.shape == (6,) for p in seen)  # labels


def test_scorers_read_probabilities_labels_and_logits():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=60)
    logits = rng.normal(size=(60, 3)) + 2 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    f1 = ms.get_scorer("f1")
    assert f1(y, proba, "classification") == pytest.approx(
        skm.f1_score(y, proba.argmax(1), average="macro"))
    auc = ms.get_scorer("roc_auc")
    assert auc(y, proba, "classification") == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr"))
    # logits (rows not summing to 1) are turned into probabilities first
    assert ms.get_scorer("log_loss")(y, logits, "classification") == pytest.approx(
        skm.log_loss(y, proba))
    yb = (y > 0).astype(int)
    p1 = rng.uniform(size=(60, 1))
    assert ms.get_scorer("accuracy")(yb, p1, "classification") == pytest.approx(
        skm.accuracy_score(yb, (p1[:, 0] > 0.5).astype(int)))
    assert ms.get_scorer("auc")(yb, p1, "classification") == pytest.approx(
        skm.roc_auc_score(yb, p1[:, 0]))


@pytest.mark.parametrize("y, metrics, match", [
    (np.linspace(0, 1, 30), "accuracy", r"metric 'accuracy' needs class labels.*continuous"),
    (np.linspace(0, 1, 30), ("roc_auc",), r"'roc_auc'.*continuous"),
    (np.array(["a", "b"] * 15), "r2", r"metric 'r2' needs numeric targets.*<U1"),
    (np.arange(30) % 2, ("accuracy", "mse"), "cannot be mixed"),
    (np.arange(30) % 2, "accuracyy", "unknown metric 'accuracyy'"),
    (np.arange(30) % 2, (), "metrics is empty"),
])
def test_wrong_kind_of_metric_is_a_clear_error(y, metrics, match):
    x = np.zeros((30, 2), dtype="float32")
    with pytest.raises(ValueError, match=match):
        ms.cross_validate(tiny_binary, x, y, metrics=metrics)


def test_build_fn_errors():
    x, y = np.zeros((10, 2), dtype="float32"), np.arange(10) % 2

    def uncompiled():
        return em.Sequential([em.layers.Dense(1, activation="sigmoid")])

    with pytest.raises(ValueError, match="not compiled"):
        ms.cross_validate(uncompiled, x, y, cv=2)
    with pytest.raises(TypeError, match="must return a compiled ember model"):
        ms.cross_validate(lambda: "model", x, y, cv=2)
    with pytest.raises(ValueError, match="cv=1"):
        ms.cross_validate(tiny_binary, x, y, cv=1)
    with pytest.raises(ValueError, match="x has 10 samples but y has 9"):
        ms.cross_validate(tiny_binary, x, y[:9])


# ---------------------------------------------------------------------- learning_curve
def test_learning_curve_shapes_and_gap(cancer):
    x, y = cancer
    curve = ms.learning_curve(lambda: tiny_binary(units=32), x, y,
                              train_sizes=(0.05, 0.3, 1.0), cv=3,
                              fit_kwargs={"epochs": 15, "batch_size": 16}, seed=0)
    sizes, train, val = curve
    assert sizes.tolist() == [18, 113, 379]  # of the 379 samples in each training part
    assert train.shape == val.shape == (3, 3)
    assert train.mean() >= val.mean()  # a model does better on the data it was fitted to
    assert val[-1].mean() > val[0].mean()  # and generalizes better with more data
    assert curve.gap() == pytest.approx(curve.train_mean[-1] - curve.val_mean[-1])
    assert "validation accuracy" in str(curve)


@pytest.mark.parametrize("sizes, match", [
    ((0.0, 0.5), r"\(0, 1\]"), ((10, 10_000), "between 1 and"), ((), "non-empty"),
    (("a",), "expected fractions"),
])
def test_learning_curve_bad_sizes(sizes, match):
    x, y = np.zeros((40, 2), dtype="float32"), np.arange(40) % 2
    with pytest.raises(ValueError, match=match):
        ms.learning_curve(tiny_binary, x, y, train_sizes=sizes, cv=2)
