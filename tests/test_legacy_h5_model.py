"""Whole models in Keras' legacy .h5 format (interop/legacy_h5_model.py), both ways with
Keras 3: a file ember writes loads in Keras with the same predictions, and a file Keras
writes (``model.save("m.h5")``) loads in ember with the same predictions."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

pytest.importorskip("h5py")


def _model():
    em.utils.set_random_seed(0)
    inputs = em.Input((6, 1))
    x = em.layers.Conv1D(4, 3, padding="same")(inputs)
    x = em.layers.BatchNormalization()(x)
    x = em.layers.ReLU()(x)
    x = em.layers.GlobalAveragePooling1D()(x)
    return em.Model(inputs, em.layers.Dense(2, activation="softmax")(x))


def test_ember_h5_loads_in_keras(tmp_path):
    model = _model()
    x = np.random.default_rng(1).normal(size=(3, 6, 1)).astype("float32")
    model.save(tmp_path / "m.h5")
    np.save(tmp_path / "x.npy", x)
    out = run_keras(f"""
        model = keras.models.load_model({str(tmp_path / "m.h5")!r})
        out["y"] = model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0)
    """, tmp_path)
    np.testing.assert_allclose(out["y"], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    again = em.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_h5_loads_in_ember(tmp_path):
    x = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    out = run_keras(f"""
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(1)])
        model.save({str(tmp_path / "k.h5")!r})
        out["y"] = model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0)
    """, tmp_path)
    model = em.models.load_model(tmp_path / "k.h5")
    np.testing.assert_allclose(model.predict(x, verbose=0), out["y"], rtol=1e-5, atol=1e-6)


def test_weights_only_h5_is_refused_as_a_model(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="weights only"):
        em.models.load_model(tmp_path / "w.weights.h5")
