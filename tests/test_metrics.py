"""Streaming metrics (em.metrics.*): Keras 3's documented values, batching invariance
(hypothesis), state export, get/serialize, and the interface the training loop uses."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember as em
from ember import metrics as M

# ---------------------------------------------------------------------- Keras' values
YT2, YP2 = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
CASES = [
    (lambda: M.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], None, 0.75),
    (lambda: M.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.5),
    (lambda: M.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], None, 0.75),
    (lambda: M.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
     [1, 0, 0, 1], 0.5),
    (lambda: M.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (lambda: M.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     None, 0.5),
    (lambda: M.SparseCategoricalAccuracy(), [2.0, 1.0], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (lambda: M.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (lambda: M.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 0.5),
    (lambda: M.SparseTopKCategoricalAccuracy(k=2), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 1.0),
    (lambda: M.MeanSquaredError(), YT2, YP2, None, 0.25),
    (lambda: M.MeanAbsoluteError(), YT2, YP2, [1, 0], 0.5),
    (lambda: M.MeanAbsolutePercentageError(), YT2, YP2, None, 250000000.0),
    (lambda: M.MeanAbsolutePercentageError(), YT2, YP2, [1, 0], 500000000.0),
    (lambda: M.MeanSquaredLogarithmicError(), YT2, YP2, None, 0.12011322),
    (lambda: M.MeanSquaredLogarithmicError(), YT2, YP2, [1, 0], 0.24022643),
    (lambda: M.RootMeanSquaredError(), YT2, YP2, None, 0.5),
    (lambda: M.RootMeanSquaredError(), YT2, YP2, [1, 0], 0.70710677),
    (lambda: M.CosineSimilarity(axis=1), [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]],
     [0.3, 0.7], 0.7),
    (lambda: M.LogCoshError(), YT2, YP2, None, 0.10844523),
    (lambda: M.LogCoshError(), YT2, YP2, [1, 0], 0.21689045),
    (lambda: M.R2Score(), [[1], [4], [3]], [[2], [4], [4]], None, 0.57142854),
    (lambda: M.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], None, 2.0),
    (lambda: M.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (lambda: M.FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0], None, 2.0),
    (lambda: M.TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], 1.0),
    (lambda: M.TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1], None, 2.0),
    (lambda: M.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], None, 2 / 3),
    (lambda: M.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (lambda: M.Precision(top_k=2), [[0, 0, 1, 1]], [[1, 1, 1, 1]], None, 0.0),
    (lambda: M.Precision(top_k=4), [[0, 0, 1, 1]], [[1, 1, 1, 1]], None, 0.5),
    (lambda: M.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], None, 2 / 3),
    (lambda: M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.75),
    (lambda: M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
    (lambda: M.Mean(), None, [1, 3, 5, 7], [1, 1, 0, 0], 2.0),
    (lambda: M.Sum(), None, [1, 3, 5, 7], [1, 1, 0, 0], 4.0),
]


@pytest.mark.parametrize("make, y_true, y_pred, sw, expected", CASES)
def test_keras_documented_values(make, y_true, y_pred, sw, expected):
    m = make()
    args = (y_pred,) if y_true is None else (y_true, y_pred)
    m.update_state(*args, sample_weight=sw)
    assert float(m.result()) == pytest.approx(expected, rel=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_fbeta_and_f1_keras_values():
    yt = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    yp = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    np.testing.assert_allclose(M.FBetaScore(beta=2.0, threshold=0.5)(yt, yp),
                               [0.3846154, 0.90909094, 0.8333334], rtol=1e-6)
    np.testing.assert_allclose(M.F1Score(threshold=0.5)(yt, yp), [0.5, 0.8, 0.6666667],
                               rtol=1e-6)
    f1 = np.array([0.5, 0.8, 0.6666667])
    assert float(M.F1Score(threshold=0.5, average="macro")(yt, yp)) == pytest.approx(
        f1.mean(), rel=1e-6)
    support = yt.sum(axis=0)
    assert float(M.F1Score(threshold=0.5, average="weighted")(yt, yp)) == pytest.approx(
        (f1 * support).sum() / support.sum(), rel=1e-6)


def test_precision_recall_class_id_top_k_and_thresholds():
    p = M.Precision(class_id=2, top_k=2)
    assert float(p([[0, 1, 1, 0, 0]], [[0.2, 0.6, 0.3, 0, 0.2]])) == 1.0
    # class 2 is not among the top 2 (ties go to the lower index): no false positive.
    assert float(p([[0, 1, 1, 0, 0]], [[1, 1, 0.9, 1, 1]])) == 1.0
    assert p.get_state() == {"true_positives": pytest.approx([1.0]),
                             "false_positives": pytest.approx([0.0])}
    r = M.Recall(thresholds=[0.5, 0.0, 0.8])
    out = r([0, 1, 1, 1], [0.9, 0.4, 0.6, 0.85])
    np.testing.assert_allclose(out, [2 / 3, 1.0, 1 / 3])
    rec = M.Recall(class_id=1)
    assert float(rec([[0, 1], [0, 1], [1, 0]], [[0.2, 0.7], [0.6, 0.4], [0.3, 0.9]])) == 0.5
    # thresholds=0 for logits: strictly greater than the threshold is positive
    assert float(M.Precision(thresholds=0.0)([1, 0, 1], [2.0, -1.0, 0.0])) == 1.0


# AUC: Keras' test data (y_true [0, 0, 1, 1], y_pred [0, .5, .3, .9], weights [1, 2, 3, 4])
AUC_Y, AUC_W = [0, 0, 1, 1], [1, 2, 3, 4]
AUC_P = np.array([0, 0.5, 0.3, 0.9], dtype=np.float32)


@pytest.mark.parametrize("kwargs, weighted, expected", [
    ({}, False, 0.75),
    ({"summation_method": "interpolation"}, True, 0.7855),
    ({"summation_method": "majoring"}, True, 1.0),
    ({"summation_method": "minoring"}, True, 0.571),
    ({"curve": "PR", "summation_method": "majoring"}, True, 0.429 + 0.571),
    ({"curve": "PR", "summation_method": "minoring"}, True, 0.7 * 0.429),
    ({"curve": "PR"}, True, 2.416 / 7 + 4 / 7),
    ({"thresholds": [0.5], "num_thresholds": 2}, False, 0.75),
])
def test_auc_keras_values(kwargs, weighted, expected):
    m = M.AUC(**{"num_thresholds": 3, **kwargs})
    out = m(AUC_Y, AUC_P, sample_weight=AUC_W if weighted else None)
    assert float(out) == pytest.approx(expected, abs=1e-3)


def test_auc_from_logits_multilabel_and_label_weights():
    logits = -np.log(1.0 / (AUC_P + 1e-12) - 1.0)
    assert float(M.AUC(num_thresholds=3, from_logits=True)(AUC_Y, logits)) == \
        pytest.approx(0.75)
    yp = np.array([[0, 0.5, 0.3, 0.9], [0.1, 0.2, 0.3, 0.4]]).T
    good = np.array([[0, 0, 1, 1], [0, 0, 1, 1]]).T
    assert float(M.AUC(num_thresholds=5, multi_label=True)(good, yp)) == \
        pytest.approx((0.875 + 1.0) / 2)
    lw = M.AUC(num_thresholds=5, multi_label=True, label_weights=[0.75, 0.25])
    assert float(lw(good, yp)) == pytest.approx(0.875 * 0.75 + 0.25)
    assert float(M.AUC(num_thresholds=5)(good, yp)) == pytest.approx(1 - 3 / 32)
    flat_w = M.AUC(num_thresholds=5)(good, yp, sample_weight=[1, 2, 3, 4])
    assert float(flat_w) == pytest.approx(1.0 - (1 / 3) * (1.0 - 2 / 7) / 2.0, abs=1e-4)
    full_w = M.AUC(num_thresholds=5)(good, yp, sample_weight=np.arange(8).reshape(4, 2))
    assert float(full_w) == pytest.approx(1.0 - (1 / 3) * (1.0 - 3 / 11) / 2.0, abs=1e-4)
    assert float(M.AUC(multi_label=True)(good, good)) == 1.0
    m = M.AUC(num_thresholds=5, multi_label=True)
    m(good, yp)
    m.reset_state()
    assert m.true_positives.shape == (5, 2) and not m.true_positives.any()


def test_auc_approximates_exact_roc_auc(rng):
    y = rng.integers(0, 2, 2000)
    scores = np.clip(0.35 * y + rng.uniform(0, 0.65, 2000), 0, 1)
    exact = M.roc_auc_score(y, scores)
    assert float(M.AUC()(y, scores)) == pytest.approx(exact, abs=2e-3)
    assert float(M.AUC(num_thresholds=1000)(y, scores)) == pytest.approx(exact, abs=2e-4)
    lo = float(M.AUC(summation_method="minoring")(y, scores))
    hi = float(M.AUC(summation_method="majoring")(y, scores))
    assert lo <= exact <= hi


def test_r2score_matches_definition_and_adjusted(rng):
    yt, yp = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    res = ((yt - yp) ** 2).sum(0)
    tot = ((yt - yt.mean(0)) ** 2).sum(0)
    raw = 1 - res / tot
    np.testing.assert_allclose(M.R2Score(class_aggregation=None)(yt, yp), raw, rtol=1e-10)
    assert float(M.R2Score()(yt, yp)) == pytest.approx(raw.mean())
    assert float(M.R2Score("variance_weighted_average")(yt, yp)) == pytest.approx(
        (raw * tot).sum() / tot.sum())
    adj = 1 - (1 - raw.mean()) * 49 / (49 - 4)
    assert float(M.R2Score(num_regressors=4)(yt, yp)) == pytest.approx(adj)
    with pytest.warns(UserWarning, match="num_regressors"):
        M.R2Score(num_regressors=5)(yt[:4], yp[:4])
    # all-equal targets: 1.0 when exact, 0.0 otherwise (scikit-learn's convention)
    assert float(M.R2Score()([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])) == 1.0
    assert float(M.R2Score()([2.0, 2.0, 2.0], [2.0, 2.0, 3.0])) == 0.0


def test_probabilistic_metrics(rng):
    logits = rng.normal(size=(6, 4))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4)[labels]
    expected = -np.log(probs[np.arange(6), labels]).mean()
    assert float(M.SparseCategoricalCrossentropy()(labels, probs)) == pytest.approx(expected)
    assert float(M.SparseCategoricalCrossentropy(from_logits=True)(labels[:, None], logits)) \
        == pytest.approx(expected)
    assert float(M.CategoricalCrossentropy()(onehot, probs)) == pytest.approx(expected)
    assert float(M.CategoricalCrossentropy(from_logits=True)(onehot, logits)) == \
        pytest.approx(expected)
    y = rng.integers(0, 2, (6, 1)).astype(float)
    z = rng.normal(size=(6, 1))
    p = 1 / (1 + np.exp(-z))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert float(M.BinaryCrossentropy()(y, p)) == pytest.approx(bce, rel=1e-5)
    assert float(M.BinaryCrossentropy(from_logits=True)(y, z)) == pytest.approx(bce)
    assert float(M.KLDivergence()(probs, probs)) == pytest.approx(0.0, abs=1e-12)
    assert float(M.Poisson()([[1.0]], [[2.0]])) == pytest.approx(2.0 - np.log(2.0 + 1e-7))


# ---------------------------------------------------------------------- batching invariance
def _data(kind: str, n: int, rng: np.random.Generator) -> tuple:
    c = 4
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype(np.float32), \
            rng.random((n, 1)).astype(np.float32)
    if kind == "sparse":
        return rng.integers(0, c, n), rng.random((n, c)).astype(np.float32)
    if kind == "onehot":
        return np.eye(c)[rng.integers(0, c, n)], rng.random((n, c)).astype(np.float32)
    if kind == "multilabel":
        return rng.integers(0, 2, (n, c)), rng.random((n, c))
    return rng.normal(size=(n, 2)), rng.random((n, 2)) * 3  # regression (non-negative preds)


STREAMING = [
    ("binary", lambda: M.BinaryAccuracy()), ("binary", lambda: M.Precision()),
    ("binary", lambda: M.Recall(thresholds=[0.1, 0.5, 0.9])), ("binary", lambda: M.AUC()),
    ("binary", lambda: M.AUC(curve="PR")), ("binary", lambda: M.BinaryCrossentropy()),
    ("binary", lambda: M.TruePositives(thresholds=[0.3, 0.7])),
    ("sparse", lambda: M.SparseCategoricalAccuracy()),
    ("sparse", lambda: M.SparseTopKCategoricalAccuracy(k=2)),
    ("sparse", lambda: M.SparseCategoricalCrossentropy()),
    ("onehot", lambda: M.CategoricalAccuracy()), ("onehot", lambda: M.TopKCategoricalAccuracy(2)),
    ("onehot", lambda: M.F1Score(average="macro")), ("onehot", lambda: M.F1Score()),
    ("onehot", lambda: M.Precision(top_k=2)), ("onehot", lambda: M.Recall(class_id=1)),
    ("multilabel", lambda: M.FBetaScore(beta=2.0, threshold=0.5, average="weighted")),
    ("multilabel", lambda: M.F1Score(average="micro", threshold=0.4)),
    ("multilabel", lambda: M.AUC(multi_label=True, num_thresholds=50)),
    ("multilabel", lambda: M.AUC(label_weights=[1, 2, 3, 4])),
    ("regression", lambda: M.MeanSquaredError()), ("regression", lambda: M.MeanAbsoluteError()),
    ("regression", lambda: M.RootMeanSquaredError()),
    ("regression", lambda: M.MeanAbsolutePercentageError()),
    ("regression", lambda: M.MeanSquaredLogarithmicError()),
    ("regression", lambda: M.LogCoshError()), ("regression", lambda: M.R2Score()),
    ("regression", lambda: M.R2Score(class_aggregation=None, num_regressors=1)),
]


@settings(max_examples=50, deadline=None)
@given(case=st.sampled_from(STREAMING), n=st.integers(3, 40), seed=st.integers(0, 2**31),
       cuts=st.lists(st.floats(0.01, 0.99), max_size=5), weighted=st.booleans())
def test_any_batching_equals_the_whole_data(case, n, seed, cuts, weighted):
    kind, make = case
    rng = np.random.default_rng(seed)
    y_true, y_pred = _data(kind, n, rng)
    sw = rng.random(n) * 2 if weighted else None
    whole = make()
    whole.update_state(y_true, y_pred, sample_weight=sw)
    edges = sorted({0, n, *(int(c * n) for c in cuts)})
    batched = make()
    for a, b in zip(edges[:-1], edges[1:]):
        batched.update_state(y_true[a:b], y_pred[a:b],
                             sample_weight=None if sw is None else sw[a:b])
    np.testing.assert_allclose(batched.result(), whole.result(), rtol=1e-9, atol=1e-12)


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
        M.precision_score(y[:, 0], (p[:, 0] > 0.5).astype(int), zero_division=0))
    assert logs["rec"] == pytest.approx(M.recall_score(y[:, 0], (p[:, 0] > 0.5).astype(int)))
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
    assert logs["accuracy"] == pytest.approx(M.accuracy_score(y, hard))
    assert logs["auc"] == pytest.approx(M.roc_auc_score(y, p), abs=0.01)
    assert logs["f1_score"] == pytest.approx(M.f1_score(y, hard), abs=1e-5)
