"""GroupNormalization and UnitNormalization against Keras 3 and finite differences."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras, same_as_keras

rng = np.random.default_rng(0)
IMG = (rng.standard_normal((2, 4, 5, 6)) * 3 + 1).astype("float32")


@pytest.mark.parametrize("make,x", [
    (lambda L: L.GroupNormalization(groups=2), IMG),
    (lambda L: L.GroupNormalization(groups=-1, epsilon=1e-5), IMG),
    (lambda L: L.GroupNormalization(groups=1, center=False), IMG),
    (lambda L: L.GroupNormalization(groups=3, scale=False, beta_initializer="ones"), IMG),
    (lambda L: L.GroupNormalization(groups=2, axis=1, gamma_initializer="glorot_uniform"),
     IMG),
    (lambda L: L.GroupNormalization(groups=3), IMG[:, 0]),
    (lambda L: L.UnitNormalization(), IMG),
    (lambda L: L.UnitNormalization(axis=[1, 2]), IMG),
    (lambda L: L.UnitNormalization(axis=1), IMG[:, 0]),
])
def test_same_as_keras(make, x):
    keras_layers = keras().layers
    same_as_keras(make(em.layers), make(keras_layers), x, atol=1e-5)


def test_unit_normalization_of_zeros_is_zero_as_keras():
    k = keras()
    x = np.zeros((2, 3), "float32")
    np.testing.assert_array_equal(em.layers.UnitNormalization()(x).numpy(),
                                  np.asarray(k.layers.UnitNormalization()(x)))


@pytest.mark.parametrize("make", [
    lambda: em.layers.GroupNormalization(groups=2, gamma_initializer="glorot_uniform",
                                         beta_initializer="glorot_uniform"),
    lambda: em.layers.GroupNormalization(groups=3, axis=1),
    lambda: em.layers.UnitNormalization(axis=[1, 2])])
def test_gradients_by_finite_differences(make):
    with float64():
        layer = make()
        x = IMG[:2, :3, :2].astype("float64")
        layer(em.tensor(x))
        check_gradients(layer, layer, [x], atol=1e-5)


def test_config_in_models_and_saved(tmp_path):
    k = keras()
    ours, theirs = em.layers.GroupNormalization(4).get_config(), \
        k.layers.GroupNormalization(4).get_config()
    for key in ("groups", "axis", "epsilon", "center", "scale"):
        assert ours[key] == theirs[key], key
    assert em.layers.UnitNormalization().get_config()["axis"] == \
        k.layers.UnitNormalization().get_config()["axis"]
    inp = em.Input((4, 5, 6))
    x = em.layers.GroupNormalization(3)(em.layers.Conv2D(6, 3, padding="same")(inp))
    model = em.Model(inp, em.layers.Dense(1)(em.layers.UnitNormalization()(
        em.layers.Flatten()(x))))
    model.compile("adam", "mse")
    model.fit(IMG, np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    path = str(tmp_path / "m.ember")
    model.save(path)
    np.testing.assert_allclose(em.models.load_model(path).predict(IMG, verbose=0),
                               model.predict(IMG, verbose=0), rtol=1e-6)


def test_bad_groups_are_named():
    with pytest.raises(ValueError, match="cannot be split into 4"):
        em.layers.GroupNormalization(4)(em.ones((1, 6)))
    with pytest.raises(ValueError, match="GroupNormalization: groups"):
        em.layers.GroupNormalization(0)
