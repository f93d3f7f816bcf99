"""SeparableConv1D/2D, DepthwiseConv1D, Conv1DTranspose and Conv3D against Keras 3 (same weights,
same outputs) and finite differences."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras, same_as_keras

rng = np.random.default_rng(0)
IMG = rng.standard_normal((2, 7, 8, 3)).astype("float32")
SEQ = rng.standard_normal((2, 9, 3)).astype("float32")
VOL = rng.standard_normal((2, 5, 6, 7, 2)).astype("float32")


@pytest.mark.parametrize("make,x", [
    (lambda L: L.SeparableConv2D(4, 3), IMG),
    (lambda L: L.SeparableConv2D(5, (3, 2), strides=2, padding="same", depth_multiplier=2,
                                 activation="relu"), IMG),
    (lambda L: L.SeparableConv2D(2, 3, dilation_rate=2, use_bias=False), IMG),
    (lambda L: L.SeparableConv1D(4, 3), SEQ),
    (lambda L: L.SeparableConv1D(4, 4, strides=2, padding="same", depth_multiplier=3), SEQ),
    (lambda L: L.DepthwiseConv1D(3), SEQ),
    (lambda L: L.DepthwiseConv1D(2, strides=2, padding="same", depth_multiplier=2), SEQ),
    (lambda L: L.DepthwiseConv1D(3, dilation_rate=2, activation="tanh"), SEQ),
    (lambda L: L.Conv1DTranspose(4, 3), SEQ),
    (lambda L: L.Conv1DTranspose(4, 3, strides=2, padding="same"), SEQ),
    (lambda L: L.Conv1DTranspose(2, 4, strides=3, padding="valid"), SEQ),
    (lambda L: L.Conv1DTranspose(2, 3, strides=2, output_padding=1), SEQ),
    (lambda L: L.Conv3D(3, 2), VOL),
    (lambda L: L.Conv3D(2, (3, 2, 2), strides=2, padding="same", activation="relu"), VOL),
    (lambda L: L.Conv3D(2, 2, dilation_rate=(2, 1, 2), use_bias=False), VOL),
])
def test_same_as_keras(make, x):
    k = keras()
    ours = make(em.layers)
    got, _ = same_as_keras(ours, make(k.layers), x, atol=1e-5)
    assert ours.compute_output_shape(x.shape)[1:] == got.shape[1:]


def test_config_keys_match_keras():
    k = keras()
    for name, args in (("SeparableConv2D", (4, 3)), ("SeparableConv1D", (4, 3)),
                       ("DepthwiseConv1D", (3,)), ("Conv1DTranspose", (4, 3)),
                       ("Conv3D", (4, 3))):
        ours, theirs = getattr(em.layers, name)(*args).get_config(), \
            getattr(k.layers, name)(*args).get_config()
        assert set(ours) - {"name", "trainable", "dtype"} <= set(theirs), name
        for key in ("filters", "padding", "depth_multiplier", "use_bias", "kernel_size",
                    "strides", "output_padding"):
            if key in ours:
                want = theirs[key]
                assert ours[key] == (list(want) if isinstance(want, tuple) else want), (name,
                                                                                        key)
        again = getattr(em.layers, name).from_config(ours)
        assert again.get_config() == {**ours, "name": again.name}


@pytest.mark.parametrize("make,x", [
    (lambda: em.layers.SeparableConv2D(2, 2, padding="same", depth_multiplier=2), IMG[:1, :3,
                                                                                       :3, :2]),
    (lambda: em.layers.SeparableConv1D(2, 2, strides=2), SEQ[:1, :5, :2]),
    (lambda: em.layers.DepthwiseConv1D(2, depth_multiplier=2), SEQ[:1, :4, :2]),
    (lambda: em.layers.Conv1DTranspose(2, 3, strides=2, padding="same"), SEQ[:1, :3, :2]),
    (lambda: em.layers.Conv3D(2, 2, strides=(2, 1, 1), padding="same"), VOL[:1, :3, :3, :2]),
])
def test_gradients_by_finite_differences(make, x):
    with float64():
        layer = make()
        x = x.astype("float64")
        layer(em.tensor(x))
        check_gradients(layer, layer, [x])


def test_in_models_and_saved(tmp_path):
    inp = em.Input((9, 3))
    x = em.layers.SeparableConv1D(4, 3, activation="relu")(inp)
    x = em.layers.DepthwiseConv1D(2)(x)
    x = em.layers.Conv1DTranspose(2, 3, strides=2)(x)
    model = em.Model(inp, em.layers.Dense(1)(em.layers.Flatten()(x)))
    model.compile("adam", "mse")
    model.fit(SEQ, np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    path = str(tmp_path / "m.ember")
    model.save(path)
    np.testing.assert_allclose(em.models.load_model(path).predict(SEQ, verbose=0),
                               model.predict(SEQ, verbose=0), rtol=1e-6)
    seq = em.Sequential([em.Input((7, 8, 3)), em.layers.SeparableConv2D(4, 3), em.layers.Flatten(),
                         em.layers.Dense(1)])
    assert seq.output_shape == (None, 1)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="SeparableConv2D: filters"):
        em.layers.SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match="DepthwiseConv1D: padding"):
        em.layers.DepthwiseConv1D(3, padding="full")
    with pytest.raises(ValueError, match="Conv1DTranspose: dilation_rate"):
        em.layers.Conv1DTranspose(2, 3, dilation_rate=2)
