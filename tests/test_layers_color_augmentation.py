"""The colour augmentation layers against Keras 3 (JAX): the same output for the settings
that draw nothing random (a fixed factor pair, probability 0 or 1), the same rate for the
random ones, Keras' training semantics (a direct call augments, predict does not), bad
arguments named, and config round trips."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ember as em

L = em.layers


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("jax")
    return pytest.importorskip("keras")


def _images(value_range=(0, 255), n=4, channels=3, seed=0):
    lo, hi = value_range
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, (n, 6, 5, channels)).astype("float32")


DETERMINISTIC = [
    ("AutoContrast", {}, (0, 255)),
    ("AutoContrast", {}, (0, 1)),
    ("RandomGrayscale", dict(factor=1.0), (0, 255)),
    ("RandomGrayscale", dict(factor=0.0), (0, 255)),
    ("RandomInvert", dict(factor=(1.0, 1.0)), (0, 255)),
    ("RandomInvert", dict(factor=(1.0, 1.0)), (0, 1)),
    ("RandomInvert", dict(factor=(0.0, 0.0)), (0, 255)),
    # Keras draws from [lower, upper * 255]: only a (0, 0) pair draws nothing (all inverted)
    ("Solarization", dict(threshold_factor=(0.0, 0.0)), (0, 255)),
    ("Solarization", dict(threshold_factor=(0.0, 0.0)), (0, 1)),
    ("RandomPosterization", dict(factor=(3, 3)), (0, 255)),
    ("RandomPosterization", dict(factor=(5, 5)), (0, 1)),
    ("RandomColorDegeneration", dict(factor=(0.4, 0.4)), (0, 255)),
    ("RandomColorDegeneration", dict(factor=(1.0, 1.0)), (0, 1)),
]


@pytest.mark.parametrize("name,kwargs,value_range", DETERMINISTIC,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in DETERMINISTIC])
def test_matches_keras_where_nothing_random_is_drawn(keras, name, kwargs, value_range):
    x = _images(value_range)
    if "value_range" in getattr(keras.layers, name).__init__.__code__.co_varnames:
        kwargs = dict(kwargs, value_range=value_range)
    theirs = np.asarray(getattr(keras.layers, name)(**kwargs)(x, training=True))
    ours = getattr(L, name)(**kwargs)(x, training=True).numpy()
    atol = 1e-4 * (value_range[1] - value_range[0])
    if name == "RandomPosterization":  # a step function: a float's last bit may flip a step
        assert np.mean(np.abs(ours - theirs) > atol) < 0.01
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=atol)


def test_autocontrast_keeps_a_constant_channel_and_applies_at_inference(keras):
    x = _images()
    x[1, :, :, 2] = 7.0
    theirs = np.asarray(keras.layers.AutoContrast()(x, training=False))
    ours = L.AutoContrast()(x, training=False).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)
    assert (ours[1, :, :, 2] == 7.0).all()


@pytest.mark.parametrize("make,expected", [
    (lambda: L.RandomGrayscale(factor=0.3, seed=0), 0.3),
    (lambda: L.RandomInvert(seed=0), 0.5),             # Keras: p ~ U(0, 1), then u < p
    (lambda: L.RandomInvert(factor=0.5, seed=0), 0.25),
])
def test_probabilities_follow_keras_rule(make, expected):
    x = _images(n=4000)
    out = make()(x).numpy()
    changed = np.abs(out - x).reshape(len(x), -1).max(axis=1) > 1e-3
    assert changed.mean() == pytest.approx(expected, abs=0.03)


def test_solarization_draws_like_keras(keras):
    """Thresholds from U(lower, upper * 255) and additions likewise (Keras' rule, lower end
    unscaled): the same distribution of outputs over many images."""
    x = _images(n=3000)
    kw = dict(addition_factor=(0.1, 0.1), threshold_factor=(0.5, 0.5))
    theirs = np.asarray(keras.layers.Solarization(**kw, seed=1)(x, training=True))
    ours = L.Solarization(**kw, seed=1)(x).numpy()
    q = [0.1, 0.25, 0.5, 0.75, 0.9]
    np.testing.assert_allclose(np.quantile(ours, q), np.quantile(theirs, q), rtol=0.03, atol=2)
    assert ours.mean() == pytest.approx(theirs.mean(), rel=0.01)


def test_direct_call_augments_and_predict_does_not(keras):
    x = _images(n=8)
    layer = L.RandomInvert(factor=(1.0, 1.0))
    np.testing.assert_allclose(layer(x).numpy(), 255 - x, rtol=1e-6)   # Keras: training=True
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    model = em.Sequential([L.Input((6, 5, 3)), L.RandomInvert(factor=(1.0, 1.0)),
                           L.RandomFlip("horizontal", seed=0)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert not np.allclose(model(x).numpy(), x)
    kmodel = keras.Sequential([keras.Input((6, 5, 3)),
                               keras.layers.RandomInvert(factor=(1.0, 1.0))])
    np.testing.assert_allclose(np.asarray(kmodel(x)), 255 - x, rtol=1e-6)
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), x)


def test_gradients_flow_where_keras_math_is_smooth():
    x = _images(value_range=(0, 1), n=2).astype("float64")
    for make in (lambda: L.RandomInvert(factor=(1.0, 1.0), value_range=(0, 1)),
                 lambda: L.RandomColorDegeneration((0.5, 0.5), value_range=(0, 1)),
                 lambda: L.RandomGrayscale(1.0),
                 lambda: L.AutoContrast(value_range=(0, 1))):
        assert em.gradcheck(lambda t, make=make: make()(t, training=True), [x])


@pytest.mark.parametrize("bad,match", [
    (lambda: L.RandomGrayscale(factor=1.5), "RandomGrayscale: factor must be a probability"),
    (lambda: L.RandomInvert(factor=(0.2, 3.0)), r"RandomInvert: factor must be .* \[0.0, 1.0\]"),
    (lambda: L.Solarization(threshold_factor=-0.1), "Solarization: threshold_factor"),
    (lambda: L.RandomPosterization(factor=9), r"RandomPosterization: factor .* \[1, 8\]"),
    (lambda: L.RandomPosterization(factor=(2.5, 4)), "whole numbers of bits"),
    (lambda: L.AutoContrast(value_range=(1, 1)), "AutoContrast: value_range"),
    (lambda: L.RandomGrayscale(1.0)(np.zeros((1, 4, 4, 2), "float32")), "2 channels"),
])
def test_bad_arguments_name_the_layer(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


@pytest.mark.parametrize("make", [
    lambda: L.AutoContrast(value_range=(0, 1)), lambda: L.RandomGrayscale(0.2, seed=3),
    lambda: L.RandomInvert(0.7, value_range=(0, 1)),
    lambda: L.Solarization(0.1, (0.3, 0.6)), lambda: L.RandomPosterization((2, 6)),
    lambda: L.RandomColorDegeneration(0.3)])
def test_config_round_trip_and_saved_model(make, tmp_path):
    layer = make()
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    model = em.Sequential([L.Input((6, 5, 3)), make(), L.Flatten(), L.Dense(2)])
    model.save(tmp_path / "m.ember")
    loaded = em.models.load_model(tmp_path / "m.ember")
    x = _images()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
