"""Streaming metrics (em.metrics.*): Keras 3's documented values and batching invariance
(hypothesis); state, config, errors and the training loop's interface: test_metrics_api."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    exact = M.sklearn.roc_auc_score(y, scores)
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
