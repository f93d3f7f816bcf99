"""The training configuration in `.keras` files (optimizer, loss, metrics), both ways against
real Keras 3 (JAX's CPU build): a file saved by one framework loads compiled in the other."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

import ember as em  # noqa: E402
from ember.interop.keras_config import KerasConfigError  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 6)).astype("float32")
Y = RNG.integers(0, 3, size=32)


def _ember_model():
    em.utils.set_random_seed(0)
    return em.Sequential([em.Input((6,)), em.layers.Dense(8, activation="relu"),
                          em.layers.Dense(3)])


def test_ember_compiled_file_loads_compiled_in_keras(tmp_path):
    model = _ember_model()
    model.compile(em.optimizers.SGD(0.05, momentum=0.9),
                  em.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy", em.metrics.SparseCategoricalCrossentropy(
                      from_logits=True)])
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.compiled
    opt = loaded.optimizer
    assert type(opt).__name__ == "SGD"
    assert float(opt.learning_rate) == pytest.approx(0.05)
    assert opt.momentum == pytest.approx(0.9)
    assert type(loaded.loss).__name__ == "SparseCategoricalCrossentropy"
    assert loaded.loss.get_config()["from_logits"] is True
    # the same loss on the same weights, and Keras can train on from there
    want = model.evaluate(X, Y, verbose=0, return_dict=True)
    got = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-5)
    assert got["accuracy"] == pytest.approx(want["accuracy"])
    assert got["sparse_categorical_crossentropy"] == pytest.approx(want["loss"], rel=1e-5)
    hist = loaded.fit(X, Y, epochs=3, verbose=0).history["loss"]
    assert hist[-1] < hist[0]


def test_keras_compiled_file_loads_compiled_in_ember(tmp_path):
    keras.utils.set_random_seed(0)
    k = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    k.compile(keras.optimizers.Adam(0.003, beta_1=0.8), "sparse_categorical_crossentropy",
              metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
    k.fit(X, Y, epochs=1, verbose=0)  # the file then also holds the optimizer's variables
    k.save(tmp_path / "k.keras")
    model = em.models.load_model(tmp_path / "k.keras")
    assert model.compiled
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.003)
    assert model.optimizer.get_config()["beta_1"] == pytest.approx(0.8)
    want = k.evaluate(X, Y, verbose=0, return_dict=True)
    got = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-5)
    assert got["accuracy"] == pytest.approx(want["accuracy"])
    assert got["sparse_top_k_categorical_accuracy"] == pytest.approx(
        want["sparse_top_k_categorical_accuracy"])
    hist = model.fit(X, Y, epochs=3, verbose=0).history["loss"]
    assert hist[-1] < hist[0]
    assert not em.models.load_model(tmp_path / "k.keras", compile=False).compiled


def test_uncompiled_models_stay_uncompiled_both_ways(tmp_path):
    model = _ember_model()
    model.save(tmp_path / "plain.keras")
    assert not keras.models.load_model(tmp_path / "plain.keras").compiled
    k = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    k.save(tmp_path / "kplain.keras")
    assert not em.models.load_model(tmp_path / "kplain.keras").compiled


def test_keras_options_ember_lacks_are_refused_by_name(tmp_path):
    k = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    k.compile(keras.optimizers.Adam(use_ema=True), "mse")
    k.save(tmp_path / "ema.keras")
    with pytest.raises(KerasConfigError, match="Adam has use_ema=True"):
        em.models.load_model(tmp_path / "ema.keras")
    # a wrapper's nested Keras config is not translated (Lion & co. are: see
    # test_interop_keras_compile_new_optimizers.py)
    k.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam()), "mse")
    k.save(tmp_path / "ls.keras")
    with pytest.raises(KerasConfigError, match="optimizer is 'LossScaleOptimizer'"):
        em.models.load_model(tmp_path / "ls.keras")
    assert not em.models.load_model(tmp_path / "ls.keras", compile=False).compiled


def test_subclassed_model_save_is_refused_clearly(tmp_path):
    # Keras writes a subclassed model's file but cannot load it without the class (it raises
    # "Could not locate class"); ember refuses at save time and says what to do instead.
    class Net(em.Model):
        def __init__(self):
            super().__init__()
            self.d = em.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    net = Net()
    net(np.zeros((1, 3), "float32"))
    with pytest.raises(KerasConfigError, match="subclassed Net.*save_weights"):
        net.save(tmp_path / "net.keras")
    assert not (tmp_path / "net.keras").exists()
    net.save_weights(tmp_path / "net.weights.h5")  # the offered way works
    assert (tmp_path / "net.weights.h5").stat().st_size > 0
