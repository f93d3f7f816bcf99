"""3-D pooling / upsampling, adaptive pooling and Keras' layer aliases against Keras 3 (JAX):
values (channels_last and channels_first, padding valid/same), gradients against Keras and
against central differences in float64, signatures, configs, and a fresh-process load."""

import inspect

import numpy as np
import pytest

import ember as em
from layers_more_helpers import config_round_trip, fresh_process_load, same_grads_as_keras
from zoo_oracle import check_gradients, float64, keras

L = em.layers
rng = np.random.default_rng(0)
VOL = rng.standard_normal((2, 5, 6, 7, 3)).astype("float32")
FORMATS = ["channels_last", "channels_first"]


def _both(name, *args, **kwargs):
    return getattr(L, name)(*args, **kwargs), getattr(keras().layers, name)(*args, **kwargs)


def _close(ours, theirs, x, rtol=1e-5, atol=1e-6):
    got, want = ours(em.tensor(x)).numpy(), np.asarray(theirs(x))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    assert ours.compute_output_shape(x.shape) == want.shape


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["MaxPooling3D", "AveragePooling3D"])
@pytest.mark.parametrize("kw", [
    dict(pool_size=2), dict(pool_size=(2, 3, 2), strides=(1, 2, 3), padding="same"),
    dict(pool_size=3, strides=2), dict(pool_size=(2, 2, 3), padding="same"),
    dict(pool_size=(1, 2, 2), strides=1, padding="valid")])
def test_pooling3d_same_as_keras(name, kw, fmt):
    ours, theirs = _both(name, data_format=fmt, **kw)
    _close(ours, theirs, VOL)
    same_grads_as_keras(ours, theirs, VOL)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["GlobalMaxPooling3D", "GlobalAveragePooling3D"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling3d_same_as_keras(name, fmt, keepdims):
    ours, theirs = _both(name, data_format=fmt, keepdims=keepdims)
    _close(ours, theirs, VOL)
    same_grads_as_keras(ours, theirs, VOL)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("size", [2, (1, 2, 3)])
def test_upsampling3d_same_as_keras(size, fmt):
    ours, theirs = _both("UpSampling3D", size, data_format=fmt)
    _close(ours, theirs, VOL)
    same_grads_as_keras(ours, theirs, VOL)


@pytest.mark.parametrize("make", [
    lambda: L.MaxPooling3D((2, 2, 3), strides=(1, 2, 2), padding="same"),
    lambda: L.AveragePooling3D((2, 3, 2), strides=(2, 1, 2), padding="same",
                               data_format="channels_first"),
    lambda: L.AveragePooling3D(2),
    lambda: L.UpSampling3D((2, 1, 2), data_format="channels_first"),
    lambda: L.AdaptiveMaxPooling3D((2, 3, 2)),
    lambda: L.AdaptiveAveragePooling2D((3, 2), data_format="channels_first"),
    lambda: L.AdaptiveMaxPooling1D(2),
    lambda: L.AdaptiveAveragePooling1D(5)])
def test_gradients_by_finite_differences(make):
    layer = make()
    x = rng.standard_normal((2, 3, 4, 5, 2))
    x = np.ascontiguousarray({1: x[:, 0, 0], 2: x[:, 0]}.get(getattr(layer, "rank", 3), x))
    with float64():
        layer(em.tensor(x))
        check_gradients(layer, layer, [x], atol=1e-6)


# Keras' adaptive windows are [floor(i * L / out), ceil((i + 1) * L / out)): 7 -> 3 overlaps.
ADAPTIVE = [(1, (2, 7, 3), 3), (1, (2, 7, 3), 10), (1, (2, 8, 2), (4,)),
            (2, (2, 7, 9, 3), 3), (2, (2, 7, 9, 3), (4, 2)), (2, (2, 7, 9, 3), (5, 11)),
            (3, (2, 7, 5, 6, 3), 3), (3, (2, 7, 5, 6, 3), (2, 3, 4))]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("rank,shape,size", ADAPTIVE)
def test_adaptive_pooling_same_as_keras(rank, shape, size, kind, fmt):
    x = rng.standard_normal(shape).astype("float32")
    ours, theirs = _both(f"Adaptive{kind}Pooling{rank}D", size, data_format=fmt)
    _close(ours, theirs, x)
    same_grads_as_keras(ours, theirs, x)


def test_adaptive_pooling_seven_to_three_by_hand():
    x = em.arange(7.0).reshape(1, 7, 1)
    # windows [0, 3), [2, 5), [4, 7)
    np.testing.assert_allclose(L.AdaptiveAveragePooling1D(3)(x).numpy().ravel(), [1, 3, 5])
    np.testing.assert_allclose(L.AdaptiveMaxPooling1D(3)(x).numpy().ravel(), [2, 4, 6])
    # an output as long as the input is the identity (Keras 3.15 on JAX gives NaN here)
    np.testing.assert_allclose(L.AdaptiveAveragePooling1D(7)(x).numpy().ravel(), np.arange(7))


def test_adaptive_pooling_same_as_torch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 7, 9, 5)).astype("float32")  # channels_first, as torch
    for size in [(3, 4, 2), (7, 9, 5), (2, 10, 3)]:
        for ours, theirs in [(L.AdaptiveAveragePooling3D, torch.nn.functional.adaptive_avg_pool3d),
                             (L.AdaptiveMaxPooling3D, torch.nn.functional.adaptive_max_pool3d)]:
            got = ours(size, data_format="channels_first")(em.tensor(x)).numpy()
            np.testing.assert_allclose(got, theirs(torch.tensor(x), size).numpy(), rtol=1e-5,
                                       atol=1e-6)


ALIASES = {"Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
           "Convolution1DTranspose": "Conv1DTranspose",
           "Convolution2DTranspose": "Conv2DTranspose",
           "Convolution3DTranspose": "Conv3DTranspose",
           "SeparableConvolution1D": "SeparableConv1D",
           "SeparableConvolution2D": "SeparableConv2D",
           "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
           "AvgPool3D": "AveragePooling3D", "MaxPool1D": "MaxPooling1D",
           "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
           "GlobalAvgPool1D": "GlobalAveragePooling1D",
           "GlobalAvgPool2D": "GlobalAveragePooling2D",
           "GlobalAvgPool3D": "GlobalAveragePooling3D",
           "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
           "GlobalMaxPool3D": "GlobalMaxPooling3D"}


@pytest.mark.parametrize("alias,name", sorted(ALIASES.items()))
def test_aliases_are_the_same_classes_as_in_keras(alias, name):
    k = keras().layers
    assert getattr(k, alias) is getattr(k, name)
    assert getattr(L, alias) is getattr(L, name)
    assert getattr(em.keras.layers, alias) is getattr(L, name)


def test_dot_function_is_the_dot_layer():
    k = keras()
    a = rng.standard_normal((3, 4, 5)).astype("float32")
    b = rng.standard_normal((3, 4, 6)).astype("float32")
    ours, theirs = inspect.signature(L.dot), inspect.signature(k.layers.dot)
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == \
        [(p.name, p.default, p.kind) for p in theirs.parameters.values()]
    for axes, args in [(1, (a, b)), ([2, 2], (a, a)), (-1, (a, a))]:
        got = L.dot([em.tensor(x) for x in args], axes=axes).numpy()
        np.testing.assert_allclose(got, np.asarray(k.layers.dot(list(args), axes=axes)),
                                   rtol=1e-5, atol=1e-5)
    got = L.dot([em.tensor(a), em.tensor(a)], axes=2, normalize=True).numpy()
    want = np.asarray(k.layers.dot([a, a], axes=2, normalize=True))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    inp1, inp2 = em.Input((4, 5)), em.Input((4, 6))
    assert em.Model([inp1, inp2], L.dot([inp1, inp2], axes=1)).predict(
        [a, b], verbose=0).shape == (3, 5, 6)


@pytest.mark.parametrize("name", [
    "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
    "UpSampling3D", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D"])
def test_signature_and_config_as_keras(name):
    k = keras().layers
    ours, theirs = inspect.signature(getattr(L, name)), inspect.signature(getattr(k, name))
    for p in theirs.parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name == "self":
            continue
        assert p.name in ours.parameters, p.name
        assert ours.parameters[p.name].default == p.default, p.name
    args = (3,) if name.startswith("Adaptive") else (2,) if name == "AveragePooling3D" else ()
    mine, keras_config = getattr(L, name)(*args).get_config(), \
        getattr(k, name)(*args).get_config()
    for key, value in keras_config.items():
        if key in ("name", "dtype", "trainable"):
            continue
        assert key in mine, key
        assert mine[key] == (list(value) if isinstance(value, tuple) else value), key


@pytest.mark.parametrize("make,x", [
    (lambda: L.MaxPooling3D((2, 1, 2), padding="same", data_format="channels_first"), VOL),
    (lambda: L.AveragePooling3D(2, strides=1), VOL),
    (lambda: L.GlobalMaxPooling3D(keepdims=True), VOL),
    (lambda: L.UpSampling3D((1, 2, 1)), VOL),
    (lambda: L.AdaptiveMaxPooling2D((3, 2), data_format="channels_first"), VOL[:, 0]),
    (lambda: L.AdaptiveAveragePooling3D(2), VOL)])
def test_config_round_trip(make, x):
    config_round_trip(make(), x)


def test_model_saves_and_loads_in_a_fresh_process(tmp_path):
    inp = em.Input((5, 6, 7, 3))
    y = L.Conv3D(4, 2, padding="same")(inp)
    y = L.MaxPool3D(2, padding="same")(y)
    y = L.UpSampling3D((2, 1, 1))(y)
    y = L.AveragePooling3D((2, 2, 1), data_format="channels_first")(y)
    y = L.AdaptiveMaxPooling3D((2, 2, 2))(y)
    y = L.AdaptiveAveragePooling3D(1)(y)
    y = L.GlobalAvgPool3D()(y)
    model = em.Model(inp, L.Dense(1)(y))
    model.compile("adam", "mse")
    model.fit(VOL, np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    fresh_process_load(model, VOL, tmp_path)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="MaxPooling3D"):
        L.MaxPooling3D()(em.ones((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="data_format"):
        L.AveragePooling3D(2, data_format="nchw")
    with pytest.raises(ValueError, match="padding"):
        L.MaxPooling3D(padding="full")
    with pytest.raises(ValueError, match="larger than"):
        L.MaxPooling3D(4)(em.ones((1, 2, 8, 8, 1)))
    with pytest.raises(ValueError, match="AdaptiveMaxPooling2D: output_size"):
        L.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="AdaptiveAveragePooling1D"):
        L.AdaptiveAveragePooling1D(2)(em.ones((2, 4, 4, 3)))
