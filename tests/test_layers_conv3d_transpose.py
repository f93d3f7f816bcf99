"""Conv3DTranspose against Keras 3 (JAX) with copied weights (values, weight and input
gradients), against torch.nn.functional.conv_transpose3d, central differences in float64,
signature, config and a fresh-process load."""

import inspect

import numpy as np
import pytest

import ember as em
from layers_more_helpers import config_round_trip, fresh_process_load, same_grads_as_keras
from zoo_oracle import check_gradients, float64, keras, same_as_keras

L = em.layers
rng = np.random.default_rng(0)
VOL = rng.standard_normal((2, 3, 4, 5, 2)).astype("float32")

CASES = [dict(kernel_size=3), dict(kernel_size=(2, 3, 2), strides=2, padding="same"),
         dict(kernel_size=3, strides=(2, 1, 3)),
         dict(kernel_size=3, strides=2, padding="same", output_padding=1),
         dict(kernel_size=(3, 2, 3), strides=(3, 2, 2), output_padding=(2, 0, 1)),
         dict(kernel_size=3, dilation_rate=2),
         dict(kernel_size=2, dilation_rate=(2, 1, 3), padding="same"),
         dict(kernel_size=4, strides=2, padding="same", activation="relu"),
         dict(kernel_size=1, use_bias=False)]


@pytest.mark.parametrize("kw", CASES)
def test_same_as_keras(kw):
    k = keras()
    kw = {"bias_initializer": "glorot_uniform", **kw} if kw.get("use_bias", True) else kw
    ours, theirs = L.Conv3DTranspose(3, **kw), k.layers.Conv3DTranspose(3, **kw)
    got, want = same_as_keras(ours, theirs, VOL, atol=1e-5)
    assert ours.compute_output_shape(VOL.shape) == tuple(np.asarray(want).shape)
    same_grads_as_keras(ours, theirs, VOL)


def test_same_as_torch():
    torch = pytest.importorskip("torch")
    for kw in [dict(kernel_size=3, strides=2), dict(kernel_size=(2, 3, 3), strides=(1, 2, 3)),
               dict(kernel_size=3, dilation_rate=(1, 2, 2))]:
        layer = L.Conv3DTranspose(4, bias_initializer="glorot_uniform", **kw)
        y = layer(em.tensor(VOL)).numpy()
        kernel, bias = (np.asarray(w) for w in layer.get_weights())
        s, d = layer.strides, layer.dilation_rate
        want = torch.nn.functional.conv_transpose3d(
            torch.tensor(VOL).permute(0, 4, 1, 2, 3),
            torch.tensor(kernel).permute(4, 3, 0, 1, 2), torch.tensor(bias), stride=s,
            dilation=d).permute(0, 2, 3, 4, 1).numpy()
        np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(kernel_size=2, strides=2, padding="same"),
                                dict(kernel_size=(2, 1, 2), strides=(2, 1, 1),
                                     output_padding=(1, 0, 0)),
                                dict(kernel_size=2, dilation_rate=2)])
def test_gradients_by_finite_differences(kw):
    with float64():
        layer = L.Conv3DTranspose(2, bias_initializer="glorot_uniform", **kw)
        x = np.ascontiguousarray(VOL[:1, :2, :2, :3].astype("float64"))
        layer(em.tensor(x))
        check_gradients(layer, layer, [x], atol=1e-6)


def test_one_fit_step_as_keras():
    """One SGD step on the mse of a model of one Conv3DTranspose: the same new weights."""
    k = keras()
    y = rng.standard_normal((2, 6, 8, 10, 3)).astype("float32")
    theirs = k.Sequential([k.Input(VOL.shape[1:]),
                           k.layers.Conv3DTranspose(3, 2, strides=2, padding="same")])
    ours = em.Sequential([em.Input(VOL.shape[1:]),
                          L.Conv3DTranspose(3, 2, strides=2, padding="same")])
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    theirs.compile(k.optimizers.SGD(0.1), "mse")
    ours.compile(em.optimizers.SGD(0.1), "mse")
    theirs.fit(VOL, y, batch_size=2, epochs=1, verbose=0, shuffle=False)
    ours.fit(VOL, y, batch_size=2, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_signature_and_config_as_keras():
    k = keras()
    ours, theirs = inspect.signature(L.Conv3DTranspose), \
        inspect.signature(k.layers.Conv3DTranspose)
    for p in theirs.parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name == "self":
            continue
        assert p.name in ours.parameters, p.name
        want = list(p.default) if isinstance(p.default, tuple) else p.default
        got = ours.parameters[p.name].default
        assert (list(got) if isinstance(got, tuple) else got) == want, p.name
    mine = L.Conv3DTranspose(2, 3, strides=2, output_padding=1).get_config()
    keras_config = k.layers.Conv3DTranspose(2, 3, strides=2, output_padding=1).get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "dilation_rate",
                "output_padding", "use_bias"):
        value = keras_config[key]
        assert mine[key] == (list(value) if isinstance(value, tuple) else value), key
    config_round_trip(L.Conv3DTranspose(2, (2, 3, 2), strides=(2, 1, 2), padding="same",
                                        output_padding=(1, 0, 0), activation="tanh"), VOL)


def test_model_saves_and_loads_in_a_fresh_process(tmp_path):
    inp = em.Input(VOL.shape[1:])
    y = L.Convolution3DTranspose(3, 3, strides=2, padding="same", activation="relu")(inp)
    model = em.Model(inp, L.Dense(1)(L.GlobalMaxPooling3D()(y)))
    model.compile("adam", "mse")
    model.fit(VOL, np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    fresh_process_load(model, VOL, tmp_path)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Conv3DTranspose"):
        L.Conv3DTranspose(2, 3)(em.ones((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="output_padding"):
        L.Conv3DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        L.Conv3DTranspose(2, 3, output_padding=(1, -1, 0))
