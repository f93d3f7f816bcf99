"""Two ways a fit used to fail a user with the wrong message: every layer frozen (an autograd
error about requires_grad), and a diverging run (NumPy's overflow warnings before ember's
NonFiniteLossError, which a warnings-as-errors setting turns into the failure)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember as em


def frozen_model() -> em.Sequential:
    model = em.Sequential([em.Input((4,)), em.layers.Dense(3), em.layers.Dense(2)])
    for layer in model.layers:
        layer.trainable = False
    model.compile("adam", "mse", metrics=["mae"])
    return model


def test_fit_on_a_frozen_model_logs_the_loss_changes_nothing_and_says_so_once():
    model = frozen_model()
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 2), "float32")
    before = [w.copy() for w in model.get_weights()]
    with pytest.warns(UserWarning, match="no trainable weights") as record:
        history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len([w for w in record if "no trainable" in str(w.message)]) == 1
    expected = float(np.mean(model.predict(x, verbose=0) ** 2))
    assert history.history["loss"][-1] == pytest.approx(expected, rel=1e-5)
    assert "mae" in history.history
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_diverging_fit_raises_nonfinite_loss_error_without_numpy_overflow_warnings():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 10)).astype("float32")
    y = (x @ rng.normal(size=(10, 1))).astype("float32") * 10
    model = em.Sequential([em.Input((10,)), em.layers.Dense(64, activation="relu"),
                           em.layers.Dense(1)])
    model.compile(em.optimizers.SGD(learning_rate=0.9), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(em.models.NonFiniteLossError, match="learning rate too high"):
            model.fit(x, y, epochs=20, verbose=0)
    assert np.all(np.isfinite(np.concatenate([w.ravel() for w in model.get_weights()])))
