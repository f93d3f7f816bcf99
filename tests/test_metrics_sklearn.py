"""em.metrics.sklearn's whole-array functions against scikit-learn (to 1e-6), edge cases included:
a class never predicted, one class present, sample weights,
string labels, tied scores, and clear errors for the wrong kind of target."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember as em
from ember.metrics import sklearn as M
from sk_compare import same

sk = pytest.importorskip("sklearn.metrics")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def multiclass(rng):
    y = rng.integers(0, 4, 60)
    p = np.where(rng.random(60) < 0.6, y, rng.integers(0, 4, 60))
    p[p == 3] = 2  # class 3 is never predicted
    return y, p, rng.random(60) * 3


# ---------------------------------------------------------------------- confusion matrix
@pytest.mark.parametrize("labels", [None, [0, 1, 2, 3], [3, 1, 0], [0, 1, 2, 3, 7]])
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix(multiclass, labels, normalize, weighted):
    y, p, w = multiclass
    sw = w if weighted else None
    ours = M.confusion_matrix(y, p, labels=labels, normalize=normalize, sample_weight=sw)
    ref = sk.confusion_matrix(y, p, labels=labels, normalize=normalize, sample_weight=sw)
    same(ours, ref)
    assert ours.dtype == ref.dtype


def test_confusion_matrix_strings_ints_weights_and_errors():
    yt, yp = ["cat", "ant", "cat", "bird"], ["ant", "ant", "cat", "cat"]
    same(M.confusion_matrix(yt, yp), sk.confusion_matrix(yt, yp))
    same(M.confusion_matrix(yt, yp, labels=["cat", "bird"]),
         sk.confusion_matrix(yt, yp, labels=["cat", "bird"]))
    iw = np.array([1, 2, 3, 4])
    assert M.confusion_matrix(yt, yp, sample_weight=iw).dtype == np.int64
    same(M.confusion_matrix([1, 1], [1, 1]), sk.confusion_matrix([1, 1], [1, 1]))
    with pytest.raises(ValueError, match="confusion_matrix.*at least one of labels"):
        M.confusion_matrix([0, 1], [0, 1], labels=[5])
    with pytest.raises(ValueError, match="confusion_matrix.*multilabel"):
        M.confusion_matrix(np.eye(3, dtype=int), np.eye(3, dtype=int))
    with pytest.raises(ValueError, match="confusion_matrix: y_true holds continuous"):
        M.confusion_matrix([0.5, 1.5], [0, 1])
    with pytest.raises(ValueError, match="mix string and number"):
        M.confusion_matrix(["a", "b"], [0, 1])


# ---------------------------------------------------------------------- accuracy
def test_accuracy_score(multiclass):
    y, p, w = multiclass
    for kwargs in ({}, {"normalize": False}, {"sample_weight": w},
                   {"sample_weight": w, "normalize": False}):
        same(M.accuracy_score(y, p, **kwargs), sk.accuracy_score(y, p, **kwargs))
    ml_t, ml_p = np.array([[0, 1], [1, 1], [1, 0]]), np.array([[0, 1], [1, 0], [1, 0]])
    same(M.accuracy_score(ml_t, ml_p), sk.accuracy_score(ml_t, ml_p))
    same(M.accuracy_score(["a", "b"], ["a", "a"]), 0.5)
    with pytest.raises(ValueError, match=r"accuracy_score: y_pred holds continuous"):
        M.accuracy_score([0, 1, 1], [0.2, 0.9, 0.6])
    with pytest.raises(ValueError, match="accuracy_score: y_true is binary but y_pred is "
                                         "multilabel"):
        M.accuracy_score([0, 1], [[0, 1], [1, 1]])
    with pytest.raises(ValueError, match="accuracy_score.*different numbers of samples"):
        M.accuracy_score([0, 1, 1], [0, 1])


# ---------------------------------------------------------------------- precision / recall / F
@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("zero_division", ["warn", 0, 1, np.nan])
def test_prfs_multiclass_with_a_class_never_predicted(multiclass, average, zero_division):
    y, p, w = multiclass
    for kwargs in ({}, {"sample_weight": w}, {"labels": [3, 0, 2]}, {"beta": 0.5},
                   {"labels": [0, 1, 2, 3, 9], "sample_weight": w}):
        ours = M.precision_recall_fscore_support(y, p, average=average,
                                                 zero_division=zero_division, **kwargs)
        ref = sk.precision_recall_fscore_support(y, p, average=average,
                                                 zero_division=zero_division, **kwargs)
        same(ours, ref)


@pytest.mark.parametrize("fn", ["precision_score", "recall_score", "f1_score"])
@pytest.mark.parametrize("average", ["binary", "micro", "macro", "weighted", None])
def test_scores_binary(rng, fn, average):
    y = rng.integers(0, 2, 50)
    p = rng.integers(0, 2, 50)
    w = rng.random(50)
    for kwargs in ({}, {"sample_weight": w}, {"pos_label": 0} if average == "binary" else {}):
        same(getattr(M, fn)(y, p, average=average, **kwargs),
             getattr(sk, fn)(y, p, average=average, **kwargs))
    same(M.fbeta_score(y, p, beta=2.0, average=average),
         sk.fbeta_score(y, p, beta=2.0, average=average))


def test_scores_string_labels_single_class_and_zero_division():
    yt, yp = ["spam", "ham", "spam", "spam"], ["ham", "ham", "spam", "ham"]
    same(M.f1_score(yt, yp, pos_label="spam"), sk.f1_score(yt, yp, pos_label="spam"))
    same(M.precision_score(yt, yp, average=None, labels=["spam", "ham", "eggs"]),
         sk.precision_score(yt, yp, average=None, labels=["spam", "ham", "eggs"]))
    # a single class present, never predicted positive
    for zd in ("warn", 0, 1, np.nan):
        same(M.precision_score([0, 0, 0], [0, 0, 0], zero_division=zd),
             sk.precision_score([0, 0, 0], [0, 0, 0], zero_division=zd))
        same(M.f1_score([1, 1], [1, 1], average="macro", zero_division=zd),
             sk.f1_score([1, 1], [1, 1], average="macro", zero_division=zd))
        same(M.recall_score([0, 0, 1], [1, 1, 0], average=None, zero_division=zd),
             sk.recall_score([0, 0, 1], [1, 1, 0], average=None, zero_division=zd))
    with pytest.warns(M.UndefinedMetricWarning, match="precision"):
        M.precision_score([0, 1], [0, 0])


def test_scores_multilabel(rng):
    yt = rng.integers(0, 2, (30, 4))
    yp = rng.integers(0, 2, (30, 4))
    yp[:, 2] = 0
    w = rng.random(30)
    for average in (None, "micro", "macro", "weighted", "samples"):
        for kwargs in ({}, {"sample_weight": w}, {"labels": [2, 0]}):
            same(M.precision_recall_fscore_support(yt, yp, average=average, **kwargs),
                 sk.precision_recall_fscore_support(yt, yp, average=average, **kwargs))


def test_scores_wrong_targets_name_the_function():
    with pytest.raises(ValueError, match="f1_score: the target is multiclass but "
                                         "average='binary'"):
        M.f1_score([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="precision_score: pos_label=2 is not a valid label"):
        M.precision_score([0, 1], [1, 1], pos_label=2)
    with pytest.raises(ValueError, match="recall_score: y_pred holds continuous"):
        M.recall_score([0, 1], [0.3, 0.8])
    with pytest.raises(ValueError, match="f1_score: zero_division"):
        M.f1_score([0, 1], [0, 1], zero_division=5)
    with pytest.raises(ValueError, match="samples.*multilabel"):
        M.f1_score([0, 1, 2], [0, 1, 1], average="samples")


# ---------------------------------------------------------------------- curves and AUC
@pytest.fixture
def tied_scores(rng):
    y = rng.integers(0, 2, 80)
    s = np.round(rng.random(80) * 0.6 + 0.4 * y, 1)  # few distinct values: many ties
    return y, s, rng.random(80)


@pytest.mark.parametrize("drop", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_and_pr_curves_with_ties(tied_scores, drop, weighted):
    y, s, w = tied_scores
    sw = w if weighted else None
    same(M.roc_curve(y, s, sample_weight=sw, drop_intermediate=drop),
         sk.roc_curve(y, s, sample_weight=sw, drop_intermediate=drop))
    same(M.precision_recall_curve(y, s, sample_weight=sw, drop_intermediate=drop),
         sk.precision_recall_curve(y, s, sample_weight=sw, drop_intermediate=drop))
    same(M.roc_auc_score(y, s, sample_weight=sw), sk.roc_auc_score(y, s, sample_weight=sw))
    same(M.average_precision_score(y, s, sample_weight=sw),
         sk.average_precision_score(y, s, sample_weight=sw))
    same(M.roc_auc_score(y, s, max_fpr=0.3), sk.roc_auc_score(y, s, max_fpr=0.3))
    same(M.auc(*M.roc_curve(y, s)[:2]), sk.auc(*sk.roc_curve(y, s)[:2]))


def test_curves_with_string_labels_and_pos_label():
    y = np.array(["no", "yes", "yes", "no", "yes"])
    s = np.array([0.1, 0.8, 0.4, 0.4, 0.9])
    same(M.roc_curve(y, s, pos_label="yes"), sk.roc_curve(y, s, pos_label="yes"))
    same(M.roc_auc_score(y, s), sk.roc_auc_score(y, s))
    same(M.average_precision_score(y, s, pos_label="yes"),
         sk.average_precision_score(y, s, pos_label="yes"))
    with pytest.raises(ValueError, match="roc_curve: y_true takes values.*pos_label"):
        M.roc_curve(y, s)
    with pytest.raises(ValueError, match="average_precision_score: pos_label=1"):
        M.average_precision_score(y, s)


def test_roc_auc_single_class_is_nan_with_a_warning():
    with pytest.warns(M.UndefinedMetricWarning, match="one class"):
        assert np.isnan(M.roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9]))
    with pytest.warns(UserWarning):
        assert np.isnan(sk.roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9]))


@pytest.mark.parametrize("multi_class, average", [
    ("ovr", "macro"), ("ovr", "weighted"), ("ovr", "micro"), ("ovr", None),
    ("ovo", "macro"), ("ovo", "weighted")])
def test_roc_auc_multiclass(rng, multi_class, average):
    y = rng.integers(0, 3, 90)
    logits = rng.normal(size=(90, 3)) + 1.5 * np.eye(3)[y]
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    same(M.roc_auc_score(y, prob, multi_class=multi_class, average=average),
         sk.roc_auc_score(y, prob, multi_class=multi_class, average=average))
    if multi_class == "ovr" and average in ("macro", "weighted"):
        w = rng.random(90)
        same(M.roc_auc_score(y, prob, multi_class="ovr", average=average, sample_weight=w),
             sk.roc_auc_score(y, prob, multi_class="ovr", average=average, sample_weight=w))
        names = np.array(["a", "b", "c"])[y]
        same(M.roc_auc_score(names, prob, multi_class="ovr", average=average),
             sk.roc_auc_score(names, prob, multi_class="ovr", average=average))
    with pytest.raises(ValueError, match="roc_auc_score.*multi_class"):
        M.roc_auc_score(y, prob)


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "samples", None])
def test_multilabel_and_multiclass_ranking_scores(rng, average):
    yt = rng.integers(0, 2, (40, 3))
    ys = rng.random((40, 3)) + 0.3 * yt
    w = rng.random(40)
    same(M.roc_auc_score(yt, ys, average=average), sk.roc_auc_score(yt, ys, average=average))
    same(M.average_precision_score(yt, ys, average=average, sample_weight=w),
         sk.average_precision_score(yt, ys, average=average, sample_weight=w))
    if average != "samples":
        y = rng.integers(0, 3, 40)
        same(M.average_precision_score(y, ys, average=average),
             sk.average_precision_score(y, ys, average=average))


# ---------------------------------------------------------------------- log loss, top-k
def test_log_loss(rng):
    y = rng.integers(0, 3, 40)
    prob = rng.dirichlet(np.ones(3), 40)
    w = rng.random(40)
    for kwargs in ({}, {"sample_weight": w}, {"normalize": False}):
        same(M.log_loss(y, prob, **kwargs), sk.log_loss(y, prob, **kwargs))
    same(M.log_loss(y, prob.astype(np.float32)), sk.log_loss(y, prob.astype(np.float32)))
    yb = rng.integers(0, 2, 40)
    pb = rng.random(40)
    pb[:3] = [0.0, 1.0, 1.0]  # clipped, not infinite
    same(M.log_loss(yb, pb), sk.log_loss(yb, pb))
    same(M.log_loss(["a", "a"], [[0.9, 0.1, 0.0], [0.6, 0.3, 0.1]], labels=["a", "b", "c"]),
         sk.log_loss(["a", "a"], [[0.9, 0.1, 0.0], [0.6, 0.3, 0.1]], labels=["a", "b", "c"]))
    with pytest.raises(ValueError, match="log_loss: y_true contains only one label"):
        M.log_loss([1, 1], [0.3, 0.6])
    with pytest.raises(ValueError, match="log_loss: y_pred has 2 columns but there are 3"):
        M.log_loss([0, 1, 2], [[0.5, 0.5]] * 3)
    with pytest.raises(ValueError, match="log_loss: y_pred must hold probabilities"):
        M.log_loss([0, 1], [0.5, 1.5])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_with_ties(rng, k):
    y = rng.integers(0, 4, 50)
    s = np.round(rng.random((50, 4)), 1)
    w = rng.random(50)
    same(M.top_k_accuracy_score(y, s, k=k), sk.top_k_accuracy_score(y, s, k=k))
    same(M.top_k_accuracy_score(y, s, k=k, sample_weight=w, normalize=False),
         sk.top_k_accuracy_score(y, s, k=k, sample_weight=w, normalize=False))
    yb, sb = rng.integers(0, 2, 20), rng.random(20)
    same(M.top_k_accuracy_score(yb, sb, k=1), sk.top_k_accuracy_score(yb, sb, k=1))
    y3 = np.array([0, 2, 2, 0])
    s4 = rng.random((4, 4))
    same(M.top_k_accuracy_score(y3, s4, k=k, labels=[0, 1, 2, 3]),
         sk.top_k_accuracy_score(y3, s4, k=k, labels=[0, 1, 2, 3]))


# ---------------------------------------------------------------------- classification report
@pytest.mark.parametrize("kwargs", [
    {}, {"digits": 4}, {"zero_division": 0}, {"target_names": ["zero", "one", "two", "three"]},
    {"labels": [0, 1]}, {"labels": [2, 0, 1, 3]}, {"sample_weight": "w"}])
def test_classification_report(multiclass, kwargs):
    y, p, w = multiclass
    if kwargs.get("sample_weight") == "w":
        kwargs = {"sample_weight": w}
    assert M.classification_report(y, p, **kwargs) == sk.classification_report(y, p, **kwargs)
    same(M.classification_report(y, p, output_dict=True, **kwargs),
         sk.classification_report(y, p, output_dict=True, **kwargs))


def test_classification_report_strings_and_multilabel(rng):
    yt = ["setosa", "virginica", "versicolor", "setosa", "virginica"]
    yp = ["setosa", "versicolor", "versicolor", "setosa", "setosa"]
    assert M.classification_report(yt, yp) == sk.classification_report(yt, yp)
    same(M.classification_report(yt, yp, output_dict=True),
         sk.classification_report(yt, yp, output_dict=True))
    mt, mp = rng.integers(0, 2, (20, 3)), rng.integers(0, 2, (20, 3))
    assert M.classification_report(mt, mp) == sk.classification_report(mt, mp)
    with pytest.raises(ValueError, match="classification_report: 3 classes but 2"):
        M.classification_report(yt, yp, target_names=["a", "b"])


def test_streaming_and_functions_agree(rng):
    """The streaming metrics (float32 batches) against the functions on the whole data."""
    y = rng.integers(0, 3, 64)
    prob = rng.dirichlet(np.ones(3), 64).astype(np.float32)
    onehot = np.eye(3)[y]
    f1 = em.metrics.F1Score(average="macro")
    for a in range(0, 64, 20):
        f1.update_state(onehot[a:a + 20], prob[a:a + 20])
    assert float(f1.result()) == pytest.approx(
        sk.f1_score(y, prob.argmax(1), average="macro"), abs=1e-5)
    yt, yp = rng.normal(size=(64, 2)), rng.normal(size=(64, 2))
    r2 = em.metrics.R2Score()
    for a in range(0, 64, 20):
        r2.update_state(yt[a:a + 20], yp[a:a + 20])
    assert float(r2.result()) == pytest.approx(sk.r2_score(yt, yp), rel=1e-9)


# ---------------------------------------------------------------------- property tests
@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), k=st.integers(2, 5),
       average=st.sampled_from([None, "micro", "macro", "weighted"]),
       weighted=st.booleans(), zero_division=st.sampled_from(["warn", 0, 1]))
def test_prfs_and_confusion_matrix_match_sklearn(seed, n, k, average, weighted,
                                                 zero_division):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, k, n), rng.integers(0, k, n)
    sw = rng.random(n) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(M.precision_recall_fscore_support(y, p, average=average, sample_weight=sw,
                                               zero_division=zero_division),
             sk.precision_recall_fscore_support(y, p, average=average, sample_weight=sw,
                                                zero_division=zero_division))
        same(M.confusion_matrix(y, p, sample_weight=sw),
             sk.confusion_matrix(y, p, sample_weight=sw))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 40), levels=st.integers(2, 12),
       weighted=st.booleans())
def test_ranking_scores_match_sklearn(seed, n, levels, weighted):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    s = rng.integers(0, levels, n) / levels  # coarse scores: ties between classes
    sw = rng.random(n) + 0.01 if weighted else None
    same(M.roc_auc_score(y, s, sample_weight=sw), sk.roc_auc_score(y, s, sample_weight=sw))
    same(M.average_precision_score(y, s, sample_weight=sw),
         sk.average_precision_score(y, s, sample_weight=sw))
    same(M.roc_curve(y, s, sample_weight=sw), sk.roc_curve(y, s, sample_weight=sw))
