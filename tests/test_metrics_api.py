"""Streaming metrics as objects: state export and restore, config and `get` by name, argument
and input errors, and the interface the training loop uses (values: test_metrics)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ember as em
from ember import metrics as M
from test_metrics import STREAMING, _data


# ---------------------------------------------------------------------- state and config
@pytest.mark.parametrize("make", [make for _, make in STREAMING] + [lambda: M.Mean()])
def test_state_round_trip_and_config(make, rng):
    kind = next((k for k, m in STREAMING if m is make), "regression")
    y_true, y_pred = _data(kind, 12, rng)
    m = make()
    if isinstance(m, M.Mean) and not isinstance(m, M.MeanMetricWrapper) \
            and type(m) is M.Mean:
        m.update_state(y_pred[:6])
        fresh_args = (y_pred[6:],)
    else:
        m.update_state(y_true[:6], y_pred[:6])
        fresh_args = (y_true[6:], y_pred[6:])
    state = m.get_state()
    assert all(isinstance(v, (float, np.ndarray)) for v in state.values())
    config = m.get_config()
    assert json.loads(json.dumps(config)) == config
    clone = M.deserialize(M.serialize(m))
    assert type(clone) is type(m) and clone.get_config() == config
    clone.set_state(state)
    m.update_state(*fresh_args)
    clone.update_state(*fresh_args)
    np.testing.assert_allclose(clone.result(), m.result(), rtol=1e-12)
    assert em.serialization.deserialize(em.serialization.serialize(m)).get_config() == config


def test_set_state_rejects_wrong_keys_and_shapes():
    p = M.Precision(thresholds=[0.2, 0.8])
    with pytest.raises(ValueError, match="keys"):
        p.set_state({"true_positives": np.zeros(2)})
    with pytest.raises(ValueError, match="shape"):
        p.set_state({"true_positives": np.zeros(3), "false_positives": np.zeros(3)})


def test_mean_metric_wrapper_of_function_and_loss():
    def abs_err(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).mean(axis=-1)

    m = M.get(abs_err)
    assert isinstance(m, M.MeanMetricWrapper) and m.name == "abs_err"
    m.update_state([[1.0, 2.0], [0.0, 0.0]], [[1.0, 4.0], [1.0, 1.0]], sample_weight=[1, 3])
    assert float(m.result()) == pytest.approx((1.0 * 1 + 1.0 * 3) / 4)
    with pytest.raises(ValueError, match="not registered"):
        m.get_config()
    losses = pytest.importorskip("ember.losses")
    lm = M.MeanMetricWrapper(losses.mean_squared_error)
    lm.update_state(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]], dtype=np.float32))
    assert float(lm.result()) == pytest.approx(0.5)


def test_tensor_inputs_and_sample_weight_shapes():
    m = M.BinaryAccuracy()
    m.update_state(em.tensor([[1.0], [0.0]]), em.tensor([[0.9], [0.8]]),
                   sample_weight=em.tensor([1.0, 3.0]))
    assert float(m.result()) == pytest.approx(0.25)
    mean = M.Mean()
    mean.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1.0, 0.0], [1.0, 1.0]])
    assert float(mean.result()) == pytest.approx((1 + 5 + 7) / (0.5 + 1.0) / 2)
    with pytest.raises(ValueError, match="sample_weight"):
        M.Mean().update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 2.0])


# ---------------------------------------------------------------------- get and names
@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", M.BinaryAccuracy), ("categorical_accuracy", M.CategoricalAccuracy),
    ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy),
    ("mse", M.MeanSquaredError), ("mean_squared_error", M.MeanSquaredError),
    ("MAE", M.MeanAbsoluteError), ("rmse", M.RootMeanSquaredError),
    ("root_mean_squared_error", M.RootMeanSquaredError), ("auc", M.AUC),
    ("precision", M.Precision), ("recall", M.Recall), ("mape", M.MeanAbsolutePercentageError),
    ("msle", M.MeanSquaredLogarithmicError), ("r2_score", M.R2Score), ("f1_score", M.F1Score),
    ("AUC", M.AUC), ("BinaryCrossentropy", M.BinaryCrossentropy), ("accuracy", M.Accuracy),
])
def test_get_by_name(name, cls):
    m = M.get(name)
    assert type(m) is cls and m.name == name


def test_get_other_identifiers_and_errors():
    p = M.Precision()
    assert M.get(p) is p and M.get(None) is None
    assert isinstance(M.get(M.Recall), M.Recall)
    assert M.get("f1_score").average == "macro" and M.get("pr_auc").curve == "PR"
    cfg = M.serialize(M.AUC(num_thresholds=7, name="my_auc"))
    assert M.get(cfg).num_thresholds == 7 and M.get(cfg).name == "my_auc"
    assert M.deserialize({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}}) \
        .threshold == 0.3
    assert isinstance(M.get(M.mean_squared_error), M.MeanSquaredError)
    with pytest.raises(ValueError, match="unknown metric 'nope'.*auc.*precision"):
        M.get("nope")
    with pytest.raises(TypeError, match="metrics.get"):
        M.get(3)


@pytest.mark.parametrize("make, match", [
    (lambda: M.BinaryAccuracy(threshold=1.5), "threshold"),
    (lambda: M.AUC(num_thresholds=1), "num_thresholds"),
    (lambda: M.AUC(curve="bad"), "curve"),
    (lambda: M.AUC(summation_method="bad"), "summation_method"),
    (lambda: M.AUC(num_labels=3), "multi_label"),
    (lambda: M.Precision(thresholds=[0.5, 2.0]), "thresholds"),
    (lambda: M.Recall(top_k=0), "top_k"),
    (lambda: M.F1Score(average="samples"), "average"),
    (lambda: M.FBetaScore(beta=-1.0), "beta"),
    (lambda: M.R2Score(class_aggregation="median"), "class_aggregation"),
    (lambda: M.TopKCategoricalAccuracy(k=0), "k must be"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, y_true, y_pred, match", [
    (lambda: M.CategoricalAccuracy(), [1, 0], [[0.2, 0.8], [0.6, 0.4]], "same shape"),
    (lambda: M.SparseCategoricalAccuracy(), [[1, 0], [0, 1]], [[0.2, 0.8], [0.6, 0.4]],
     "SparseCategoricalAccuracy|sparse_categorical_accuracy"),
    (lambda: M.F1Score(), [0, 1], [0.2, 0.8], "F1Score"),
    (lambda: M.R2Score(), [[1.0, 2.0]], [[1.0]], "R2Score"),
    (lambda: M.Precision(), [[1, 0]], [[0.5, 0.5, 0.1]], "Precision"),
    (lambda: M.Precision(class_id=3), [[1, 0]], [[0.5, 0.5]], "class_id"),
])
def test_bad_inputs_name_the_metric(make, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        make().update_state(y_true, y_pred)


# ---------------------------------------------------------------------- the training loop
def test_metrics_container_as_the_trainer_uses_it(rng):
    from ember.models.compile_utils import MetricsContainer

    y = rng.integers(0, 2, (40, 1)).astype(np.float32)
    p = rng.random((40, 1)).astype(np.float32)
    container = MetricsContainer([["accuracy", "auc", "precision", M.Recall(name="rec")]],
                                 ["binary_crossentropy"], ["out"])
    for a in range(0, 40, 16):
        container.update([y[a:a + 16]], [em.tensor(p[a:a + 16])], None)
    logs = container.results()
    assert list(logs) == ["accuracy", "auc", "precision", "rec"]
    assert logs["accuracy"] == pytest.approx(float(((p > 0.5) == y).mean()))
    assert logs["precision"] == pytest.approx(
        M.sklearn.precision_score(y[:, 0], (p[:, 0] > 0.5).astype(int), zero_division=0))
    assert logs["rec"] == pytest.approx(
        M.sklearn.recall_score(y[:, 0], (p[:, 0] > 0.5).astype(int)))
    container.reset()
    assert container.results()["auc"] == 0.0


def test_sparse_metrics_in_the_container(rng):
    from ember.models.compile_utils import MetricsContainer

    y = rng.integers(0, 5, 30)
    p = rng.random((30, 5)).astype(np.float32)
    container = MetricsContainer([["accuracy", "sparse_top_k_categorical_accuracy",
                                   "sparse_categorical_crossentropy"]], [None], ["out"])
    container.update([y], [p], [np.ones(30)])
    logs = container.results()
    assert logs["accuracy"] == pytest.approx((p.argmax(1) == y).mean())
    assert logs["sparse_top_k_categorical_accuracy"] == 1.0  # k=5 of 5 classes


def test_cupy_arrays_give_the_numpy_result(rng):
    cp = pytest.importorskip("cupy")
    if not em.backend.cuda_available():
        pytest.skip("no CUDA device")
    y = rng.integers(0, 2, (64, 1)).astype(np.float32)
    p = rng.random((64, 1)).astype(np.float32)
    for make in (M.BinaryAccuracy, M.AUC, M.Precision, M.MeanSquaredError, M.R2Score):
        a, b = make(), make()
        a.update_state(y, p)
        b.update_state(cp.asarray(y), cp.asarray(p), sample_weight=None)
        np.testing.assert_allclose(b.result(), a.result(), rtol=1e-9)


def test_fit_and_evaluate_log_the_metrics(rng):
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(np.float32)
    model = em.Sequential([em.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", "auc", M.F1Score(average="macro", threshold=0.5)])
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert {"accuracy", "auc", "f1_score"} <= set(history.history)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)[:, 0]
    hard = (p > 0.5).astype(int)
    assert logs["accuracy"] == pytest.approx(M.sklearn.accuracy_score(y, hard))
    assert logs["auc"] == pytest.approx(M.sklearn.roc_auc_score(y, p), abs=0.01)
    assert logs["f1_score"] == pytest.approx(M.sklearn.f1_score(y, hard), abs=1e-5)
