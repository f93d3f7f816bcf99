"""ember.keras mirrors tf.keras / keras: submodule aliases, keras.ops and keras.random."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

import ember as em
from ember import keras
from ember.keras import ops


def test_submodules_are_embers_and_importable_every_way():
    from ember.keras import layers
    from ember.keras.layers import Dense

    assert layers is em.layers and Dense is em.layers.Dense
    for name in ("models", "losses", "optimizers", "callbacks", "activations",
                 "initializers", "regularizers", "datasets"):
        assert getattr(keras, name) is importlib.import_module(f"ember.{name}")
        assert importlib.import_module(f"ember.keras.{name}") is getattr(keras, name)
    # modules of ember.keras's own, adding Keras' names on top of ember's (the rest forwards)
    assert keras.metrics.Mean is em.metrics.Mean and keras.utils.to_categorical is \
        em.utils.to_categorical
    assert issubclass(keras.metrics.Metric, em.metrics.Metric)
    assert importlib.import_module("ember.keras.metrics") is keras.metrics
    assert keras.Sequential is em.Sequential and keras.Model is em.Model
    assert keras.Input is em.Input
    with pytest.raises(AttributeError, match="ember.keras"):
        keras.no_such_module


def test_ops_vocabulary_against_keras_semantics():
    x = ops.convert_to_tensor(np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]], "float32"))
    assert ops.shape(x) == (2, 3) and isinstance(ops.shape(x), tuple)
    assert ops.cast(x, "int32").dtype == np.int32
    values, indices = ops.top_k(x, k=2)
    assert ops.convert_to_numpy(values).tolist() == [[3.0, 2.0], [5.0, 0.0]]
    assert ops.convert_to_numpy(indices).tolist() == [[1, 2], [2, 0]]
    assert ops.zeros((2, 3)).dtype == np.float32 and ops.ones(4).shape == (4,)
    assert not ops.stop_gradient(em.tensor([1.0], requires_grad=True)).requires_grad
    np.testing.assert_allclose(ops.convert_to_numpy(ops.mean(x, axis=1)), [2.0, 4.0 / 3],
                               rtol=1e-6)
    assert ops.concatenate([x, x], axis=0).shape == (4, 3)
    assert ops.expand_dims(x, 0).shape == (1, 2, 3)
    assert ops.reshape(x, (3, 2)).shape == (3, 2)
    assert ops.matmul(x, ops.ones((3, 1))).shape == (2, 1)
    with pytest.raises(AttributeError, match="keras.ops has no"):
        ops.not_an_op


def test_ops_agree_with_real_keras():
    pytest.importorskip("jax")
    os.environ.setdefault("KERAS_BACKEND", "jax")  # no other test imports keras in-process
    keras_real = pytest.importorskip("keras")
    if keras_real.backend.backend() != "jax":
        pytest.skip("compared on the JAX backend")
    a = np.array([[1.0, 4.0], [9.0, 16.0]], "float32")
    for name in ("sqrt", "square", "exp", "log", "sum", "mean"):
        mine = ops.convert_to_numpy(getattr(ops, name)(ops.convert_to_tensor(a)))
        theirs = keras_real.ops.convert_to_numpy(getattr(keras_real.ops, name)(a))
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def test_random_seeding_and_shapes():
    a = keras.random.normal((3, 2), seed=7)
    b = keras.random.normal((3, 2), seed=7)
    assert a.shape == (3, 2) and a.dtype == np.float32
    assert np.array_equal(a.data, b.data)
    gen = keras.random.SeedGenerator(1)
    first, second = keras.random.uniform((4,), seed=gen), keras.random.uniform((4,), seed=gen)
    assert not np.array_equal(first.data, second.data)  # a stream, not a fixed draw
    u = keras.random.uniform((1000,), minval=2.0, maxval=3.0, seed=0).data
    assert u.min() >= 2.0 and u.max() < 3.0
    draws = keras.random.categorical(np.log([[0.2, 0.8], [0.9, 0.1]]), 4000, seed=0).data
    assert draws.shape == (2, 4000)
    assert abs(draws[0].mean() - 0.8) < 0.03 and abs(draws[1].mean() - 0.1) < 0.03
    with pytest.raises(ValueError, match="2-D"):
        keras.random.categorical(np.zeros(3), 1)
