"""em.metrics follows keras.metrics: the per-sample functions return one value per sample, the
same values as Keras 3 (KERAS_BACKEND=jax); scikit-learn's scalars live in em.metrics.sklearn,
under sklearn.metrics' names."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import ember as em

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
N, C = 6, 4
REAL_TRUE = RNG.normal(size=(N, C)).astype(np.float32)
REAL_PRED = RNG.normal(size=(N, C)).astype(np.float32)
POSITIVE_TRUE = RNG.uniform(0.1, 3.0, size=(N, C)).astype(np.float32)
POSITIVE_PRED = RNG.uniform(0.1, 3.0, size=(N, C)).astype(np.float32)
BINARY_TRUE = RNG.integers(0, 2, size=(N, C)).astype(np.float32)
PROB_PRED = RNG.uniform(0.05, 0.95, size=(N, C)).astype(np.float32)
LABELS = RNG.integers(0, C, size=(N,))
ONE_HOT = np.eye(C, dtype=np.float32)[LABELS]
SOFTMAX = RNG.dirichlet(np.ones(C), size=N).astype(np.float32)

# function name -> (y_true, y_pred, keyword arguments)
CASES = {
    "mean_squared_error": (REAL_TRUE, REAL_PRED, {}),
    "mean_absolute_error": (REAL_TRUE, REAL_PRED, {}),
    "mean_absolute_percentage_error": (REAL_TRUE, REAL_PRED, {}),
    "mean_squared_logarithmic_error": (POSITIVE_TRUE, POSITIVE_PRED, {}),
    "log_cosh": (REAL_TRUE, REAL_PRED, {}),
    "huber": (REAL_TRUE, REAL_PRED, {"delta": 0.7}),
    "poisson": (POSITIVE_TRUE, POSITIVE_PRED, {}),
    "kl_divergence": (SOFTMAX[::-1].copy(), SOFTMAX, {}),
    "hinge": (BINARY_TRUE, REAL_PRED, {}),
    "squared_hinge": (BINARY_TRUE, REAL_PRED, {}),
    "categorical_hinge": (ONE_HOT, REAL_PRED, {}),
    "binary_crossentropy": (BINARY_TRUE, PROB_PRED, {}),
    "categorical_crossentropy": (ONE_HOT, SOFTMAX, {}),
    "sparse_categorical_crossentropy": (LABELS, SOFTMAX, {}),
    "binary_accuracy": (BINARY_TRUE, PROB_PRED, {}),
    "categorical_accuracy": (ONE_HOT, SOFTMAX, {}),
    "sparse_categorical_accuracy": (LABELS, SOFTMAX, {}),
    "top_k_categorical_accuracy": (ONE_HOT, SOFTMAX, {"k": 2}),
    "sparse_top_k_categorical_accuracy": (LABELS, SOFTMAX, {"k": 2}),
}


# Keras 3's binary_accuracy returns one value per element (its BinaryAccuracy averages them
# all); ember's, as Keras 2's, averages the last axis first: one value per sample, and the
# same BinaryAccuracy result.
PER_ELEMENT_IN_KERAS = {"binary_accuracy"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_per_sample_function_matches_keras(name):
    y_true, y_pred, kwargs = CASES[name]
    ours = np.asarray(getattr(em.metrics, name)(y_true, y_pred, **kwargs))
    theirs = np.asarray(getattr(keras.metrics, name)(y_true, y_pred, **kwargs))
    if name in PER_ELEMENT_IN_KERAS:
        theirs = theirs.mean(axis=-1)
    assert ours.shape == theirs.shape == (N,), f"{name}: one value per sample, as Keras"
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=name)


def test_every_keras_function_we_name_is_a_keras_metrics_function():
    ours = {n for n in em.metrics.__all__ if n[0].islower() and callable(getattr(em.metrics, n))}
    ours -= {"get", "serialize", "deserialize", "accuracy", "cosine_similarity"}
    # accuracy and cosine_similarity are Keras 2's; Keras 3 keeps only the classes
    missing_in_keras = sorted(n for n in ours if not hasattr(keras.metrics, n))
    assert not missing_in_keras
    assert set(CASES) <= ours


def test_mean_squared_error_is_keras_per_sample_and_sklearn_scalar_in_its_module():
    y, p = [[0.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]]
    np.testing.assert_allclose(em.metrics.mean_squared_error(y, p), [0.5, 0.0])
    assert em.metrics.sklearn.mean_squared_error(y, p) == pytest.approx(0.25)


def test_sklearn_module_uses_sklearn_metrics_names_and_values():
    skm = pytest.importorskip("sklearn.metrics")
    # adjusted R² has no scikit-learn function; UndefinedMetricWarning is sklearn.exceptions',
    # type_of_target sklearn.utils.multiclass'
    names = set(em.metrics.sklearn.__all__) - {"adjusted_r2_score", "UndefinedMetricWarning",
                                              "type_of_target"}
    assert sorted(n for n in names if not hasattr(skm, n)) == []
    from sklearn.utils.multiclass import type_of_target

    assert em.metrics.sklearn.type_of_target([0, 1, 2]) == type_of_target([0, 1, 2])
    y, p = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    for name in ("mean_squared_error", "mean_absolute_error", "r2_score"):
        assert getattr(em.metrics.sklearn, name)(y, p) == pytest.approx(getattr(skm, name)(y, p))


def test_old_sklearn_names_on_em_metrics_point_to_the_new_module():
    with pytest.warns(DeprecationWarning, match="em.metrics.sklearn.f1_score"):
        f1 = em.metrics.f1_score
    assert f1 is em.metrics.sklearn.f1_score
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not hasattr(em.metrics, "no_such_metric")


def test_compile_streams_the_keras_function_as_its_class():
    assert isinstance(em.metrics.get(em.metrics.mean_squared_error), em.metrics.MeanSquaredError)
    assert isinstance(em.metrics.get(em.metrics.sklearn.r2_score), em.metrics.R2Score)
    assert isinstance(em.metrics.get(em.metrics.hinge), em.metrics.MeanMetricWrapper)
