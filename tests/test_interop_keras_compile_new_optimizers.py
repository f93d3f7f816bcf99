"""Lion, Lamb, Ftrl, Adafactor, ScheduleFreeAdamW and Muon in `.keras` training
configurations, both ways against real Keras 3 (JAX): the class and its arguments survive."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

import ember as em  # noqa: E402

X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")
CASES = {"Lion": {"learning_rate": 0.01, "beta_2": 0.98},
         "Lamb": {"learning_rate": 0.02, "epsilon": 1e-5},
         "Ftrl": {"learning_rate": 0.1, "l1_regularization_strength": 0.01},
         "Adafactor": {"learning_rate": 0.05, "clip_threshold": 0.5},
         "ScheduleFreeAdamW": {"learning_rate": 0.01, "warmup_steps": 3},
         "Muon": {"learning_rate": 0.01, "ns_steps": 4, "exclude_layers": ["dense_1"]}}


def _check(config, kwargs):
    for key, value in kwargs.items():
        assert config[key] == pytest.approx(value), key


@pytest.mark.parametrize("name", list(CASES))
def test_ember_file_loads_compiled_in_keras(name, tmp_path):
    model = em.Sequential([em.Input((3,)), em.layers.Dense(2)])
    model.compile(getattr(em.optimizers, name)(**CASES[name]), "mse")
    model.fit(X, Y, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).__name__ == name
    _check(loaded.optimizer.get_config(), CASES[name])


@pytest.mark.parametrize("name", list(CASES))
def test_keras_file_loads_compiled_in_ember(name, tmp_path):
    k = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    k.compile(getattr(keras.optimizers, name)(**CASES[name]), "mse")
    k.save(tmp_path / "k.keras")
    model = em.models.load_model(tmp_path / "k.keras")
    assert type(model.optimizer).__name__ == name
    _check(model.optimizer.get_config(), CASES[name])
    model.fit(X, Y, verbose=0)
    assert model.optimizer.iterations == 1
