"""LeakyReLU, PReLU, ELU and Softmax layers against Keras 3 and finite differences."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras, same_as_keras

X = np.random.default_rng(0).standard_normal((3, 4, 5)).astype("float32")


@pytest.mark.parametrize("name,kwargs", [
    ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.05}), ("ELU", {}),
    ("ELU", {"alpha": 0.5}), ("PReLU", {"alpha_initializer": "glorot_uniform"}),
    ("PReLU", {"shared_axes": [1], "alpha_initializer": "ones"}), ("Softmax", {}),
    ("Softmax", {"axis": 1}), ("Softmax", {"axis": [1, 2]}),
])
def test_same_as_keras(name, kwargs):
    k = keras()
    got, _ = same_as_keras(getattr(em.layers, name)(**kwargs), getattr(k.layers, name)(**kwargs),
                           X)
    assert got.dtype == "float32"


def test_defaults_and_config_keys_are_keras():
    k = keras()
    for name in ("LeakyReLU", "ELU", "PReLU", "Softmax"):
        ours, theirs = getattr(em.layers, name)().get_config(), getattr(k.layers, name)()
        theirs = theirs.get_config()
        extra = {"name", "trainable", "dtype"}
        assert set(ours) - extra <= set(theirs), name
        for key in set(ours) - extra:
            if "initializer" not in key:
                assert ours[key] == theirs[key], (name, key)


def test_prelu_weight_shape_with_shared_axes():
    layer = em.layers.PReLU(shared_axes=[1, 2])
    layer(em.ones((2, 6, 6, 3)))
    assert layer.alpha.shape == (1, 1, 3)
    with pytest.raises(ValueError, match="shared_axes"):
        em.layers.PReLU(shared_axes=[0])


def test_softmax_mask_matches_keras():
    k = keras()
    mask = np.random.default_rng(1).random((3, 4, 5)) > 0.4
    mask[0, 0] = False  # a fully masked row: zeros, as Keras
    got = em.layers.Softmax()(em.tensor(X), mask=mask).numpy()
    want = np.asarray(k.layers.Softmax()(X, mask=mask))
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert not got[0, 0].any()


@pytest.mark.parametrize("make", [
    lambda: em.layers.LeakyReLU(0.1), lambda: em.layers.ELU(0.7),
    lambda: em.layers.PReLU(alpha_initializer="glorot_uniform", shared_axes=[1]),
    lambda: em.layers.Softmax(axis=[1, 2]), lambda: em.layers.Softmax(axis=1)])
def test_gradients_by_finite_differences(make):
    with float64():
        layer = make()
        x = np.random.default_rng(2).standard_normal((2, 3, 4)) + 0.05
        layer(em.tensor(x))
        check_gradients(layer, layer, [x])


@pytest.mark.parametrize("make", [lambda: em.layers.LeakyReLU(0.1), em.layers.ELU,
                                  lambda: em.layers.PReLU(shared_axes=[1]), em.layers.Softmax])
def test_in_sequential_functional_subclassed_and_config(make):
    x = X
    seq = em.Sequential([em.Input((4, 5)), make(), em.layers.Flatten(), em.layers.Dense(2)])
    inp = em.Input((4, 5))
    fun = em.Model(inp, em.layers.Dense(2)(em.layers.Flatten()(make()(inp))))

    class Sub(em.Model):
        def __init__(self):
            super().__init__()
            self.act, self.flat, self.out = make(), em.layers.Flatten(), em.layers.Dense(2)

        def call(self, t):
            return self.out(self.flat(self.act(t)))

    for model in (seq, fun, Sub()):
        model.compile("sgd", "mse")
        model.fit(x, np.zeros((3, 2), "float32"), verbose=0, epochs=1)
        assert model.predict(x, verbose=0).shape == (3, 2)
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == {**layer.get_config(), "name": clone.name}


def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope"):
        em.layers.LeakyReLU(-1.0)
    with pytest.raises(ValueError, match="Softmax: axis"):
        em.layers.Softmax(axis="x")
