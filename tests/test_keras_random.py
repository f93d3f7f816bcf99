"""keras.random's distributions (beta, binomial, gamma, truncated_normal): the same shapes,
dtypes and moments as Keras 3's draws (the generators differ, so the numbers are compared as
samples), reproducible from a seed, and bad parameters refused."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ember import keras

N = 200_000
CASES = [
    ("truncated_normal", dict(mean=1.0, stddev=2.0)),
    ("gamma", dict(alpha=2.5)),
    ("beta", dict(alpha=2.0, beta=5.0)),
    ("binomial", dict(counts=10, probabilities=0.3)),
]


@pytest.fixture(scope="module")
def real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("jax")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name,kwargs", CASES, ids=[c[0] for c in CASES])
def test_moments_shape_and_dtype_match_keras(real_keras, name, kwargs):
    ours = getattr(keras.random, name)((N,), seed=3, **kwargs).data
    theirs = np.asarray(getattr(real_keras.random, name)((N,), seed=3, **kwargs))
    assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
    # 200k draws: the sample mean's standard error is std / 447; allow 5 of them
    tol = 5 * theirs.std() / np.sqrt(N)
    assert abs(ours.mean() - theirs.mean()) < 2 * tol
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    q = [0.01, 0.25, 0.5, 0.75, 0.99]  # the same distribution, not only the same moments
    np.testing.assert_allclose(np.quantile(ours, q), np.quantile(theirs, q), rtol=0.03,
                               atol=0.02 * theirs.std())


def test_truncated_normal_stays_within_two_stddev():
    x = keras.random.truncated_normal((50_000,), mean=-1.0, stddev=0.5, seed=0).data
    assert x.min() >= -2.0 and x.max() <= 0.0
    # a plain normal would put 4.6 % of its draws outside; the truncated one moves them in,
    # so its spread is below the stddev (0.88 of it for a cut at 2 sigma)
    assert x.std() == pytest.approx(0.5 * 0.8796, rel=0.02)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[c[0] for c in CASES])
def test_seeded_draws_repeat(name, kwargs):
    fn = getattr(keras.random, name)
    np.testing.assert_array_equal(fn((5, 3), seed=11, **kwargs).data,
                                  fn((5, 3), seed=11, **kwargs).data)
    gen = keras.random.SeedGenerator(4)
    assert not np.array_equal(fn((64,), seed=gen, **kwargs).data,
                              fn((64,), seed=gen, **kwargs).data)
    assert fn((2,), dtype="float64", **kwargs).data.dtype == np.float64


@pytest.mark.parametrize("call,match", [
    (lambda: keras.random.gamma((2,), alpha=0.0), "gamma: alpha must be > 0"),
    (lambda: keras.random.beta((2,), alpha=1.0, beta=-1.0), "beta: beta must be > 0"),
    (lambda: keras.random.binomial((2,), counts=3, probabilities=1.5),
     r"binomial: probabilities must be in \[0, 1\]"),
    (lambda: keras.random.binomial((2,), counts=-1, probabilities=0.5),
     "binomial: counts must be >= 0"),
])
def test_bad_parameters_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
