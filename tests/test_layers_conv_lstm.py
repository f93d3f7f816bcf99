"""ConvLSTM1D / ConvLSTM2D against Keras 3 (JAX) with copied weights: outputs and states for
the argument combinations people use, the gradient of a loss with respect to the input and
every weight (Keras' through jax.grad), a fit step, masks, statefulness, config and a saved
model loaded in a fresh process; bad input is named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember as em

SRC = str(Path(__file__).parents[1] / "src")


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("jax")
    return pytest.importorskip("keras")


def _pair(keras, name, shape, **kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(**kw)
    theirs(x)  # build
    weights = [rng.standard_normal(w.shape).astype("float32") * 0.3 for w in theirs.weights]
    theirs.set_weights(weights)
    ours = getattr(em.layers, name)(**kw)
    ours(x)
    ours.set_weights(weights)
    return x, ours, theirs


CASES = [
    ("ConvLSTM2D", (2, 4, 6, 5, 3), dict(filters=4, kernel_size=3)),
    ("ConvLSTM2D", (2, 4, 6, 5, 3), dict(filters=4, kernel_size=3, padding="same",
                                         return_sequences=True)),
    ("ConvLSTM2D", (2, 3, 7, 7, 2), dict(filters=3, kernel_size=(3, 2), strides=2,
                                         return_state=True, go_backwards=True)),
    ("ConvLSTM2D", (2, 3, 7, 7, 2), dict(filters=3, kernel_size=3, dilation_rate=2,
                                         activation="relu", use_bias=False)),
    ("ConvLSTM2D", (2, 3, 2, 6, 5), dict(filters=2, kernel_size=3, padding="same",
                                         data_format="channels_first",
                                         return_sequences=True)),
    ("ConvLSTM1D", (3, 5, 9, 2), dict(filters=4, kernel_size=3, return_sequences=True)),
    ("ConvLSTM1D", (3, 5, 9, 2), dict(filters=2, kernel_size=2, strides=2, padding="same",
                                      return_state=True)),
]


@pytest.mark.parametrize("name,shape,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                      enumerate(CASES)])
def test_outputs_match_keras(keras, name, shape, kw):
    x, ours, theirs = _pair(keras, name, shape, **kw)
    got, want = ours(x), theirs(x)
    got = got if isinstance(got, list) else [got]
    want = list(want) if isinstance(want, (list, tuple)) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=2e-5, atol=2e-5)
    assert tuple(got[0].shape) == tuple(theirs.compute_output_shape(shape)[0]
                                        if kw.get("return_state") else
                                        theirs.compute_output_shape(shape))


def test_gradients_match_keras(keras):
    import jax

    x, ours, theirs = _pair(keras, "ConvLSTM2D", (2, 3, 5, 5, 2), filters=3, kernel_size=3,
                            padding="same", return_sequences=True)
    weights = [np.asarray(w) for w in theirs.weights]

    extra = [np.asarray(v) for v in theirs.non_trainable_variables]  # its seed state

    def loss(ws, xx):
        out, _ = theirs.stateless_call(ws, extra, xx)
        return (out ** 2).sum()

    gw, gx = jax.grad(loss, argnums=(0, 1))(weights, x)
    xt = em.tensor(x, requires_grad=True)
    (ours(xt) ** 2).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), np.asarray(gx), rtol=1e-4, atol=1e-4)
    for w, g in zip(ours.weights, gw):
        np.testing.assert_allclose(w.grad.numpy(), np.asarray(g), rtol=1e-4, atol=1e-4)


def test_finite_differences_float64():
    rng = np.random.default_rng(1)
    layer = em.layers.ConvLSTM1D(2, 2, return_sequences=True, dtype="float64")
    x = rng.standard_normal((2, 3, 4, 2))
    layer(x)
    assert em.gradcheck(lambda t: layer(t), [x])


def test_mask_keeps_the_state(keras):
    """A masked step keeps the previous state (Keras' RNN rule). Keras 3.15's own ConvLSTM2D
    cannot take a mask (its where() does not broadcast the (batch, 1) mask over the
    frame: checked here, so the test notices when it can), so ember is checked against the
    unmasked runs of the same sequences with the masked steps left out."""
    x, ours, theirs = _pair(keras, "ConvLSTM2D", (3, 4, 5, 5, 2), filters=2, kernel_size=3,
                            padding="same", return_sequences=True)
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 1, 1]], bool)
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        theirs(x, mask=mask)
    got = ours(x, mask=mask).numpy()
    np.testing.assert_allclose(got[0], ours(x[:1]).numpy()[0], rtol=1e-6)
    np.testing.assert_allclose(got[1, 2], got[1, 1])  # kept, not updated
    np.testing.assert_allclose(got[1, 3], got[1, 1])
    without = ours(x[2:3, [0, 2, 3]]).numpy()[0]  # step 1 left out
    np.testing.assert_allclose(got[2, [0, 2, 3]], without, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2, 1], got[2, 0])


def test_fit_step_matches_keras(keras):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3, 6, 6, 1)).astype("float32")
    y = rng.standard_normal((8, 2)).astype("float32")

    def build(lib):
        return lib.Sequential([lib.Input((3, 6, 6, 1)), lib.layers.ConvLSTM2D(2, 3),
                               lib.layers.Flatten(), lib.layers.Dense(2)])

    theirs, ours = build(keras), build(em)
    ours.set_weights(theirs.get_weights())
    for m, lib in ((theirs, keras), (ours, em)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_stateful_carries_and_resets():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 5, 2)).astype("float32")
    whole = em.layers.ConvLSTM1D(2, 3, padding="same")
    whole(x)
    parts = em.layers.ConvLSTM1D(2, 3, padding="same", stateful=True)
    parts(x[:, :3])
    parts.set_weights(whole.get_weights())
    parts.reset_states()
    parts(x[:, :3])
    np.testing.assert_allclose(parts(x[:, 3:]).numpy(), whole(x).numpy(), rtol=1e-5,
                               atol=1e-6)
    parts.reset_states()
    np.testing.assert_allclose(parts(x[:, :3]).numpy(), whole(x[:, :3]).numpy(), rtol=1e-6)


def test_config_round_trip_and_fresh_process_load(tmp_path):
    layer = em.layers.ConvLSTM2D(3, (3, 2), strides=2, padding="same", dropout=0.1,
                                 recurrent_activation="hard_sigmoid", return_sequences=True)
    again = em.layers.ConvLSTM2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    model = em.Sequential([em.Input((3, 6, 6, 1)), em.layers.ConvLSTM2D(2, 3),
                           em.layers.Flatten(), em.layers.Dense(2)])
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 6, 1)).astype("float32")
    path = tmp_path / "m.ember"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    code = ("import sys, numpy as np, ember as em; d = sys.argv[1]; "
            "m = em.models.load_model(d + '/m.ember'); "
            "np.testing.assert_allclose(m.predict(np.load(d + '/x.npy'), verbose=0), "
            "np.load(d + '/want.npy'), rtol=1e-6); print('ok')")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=SRC))
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]


@pytest.mark.parametrize("bad,match", [
    (lambda: em.layers.ConvLSTM2D(0, 3), "ConvLSTM2D: filters must be a positive integer"),
    (lambda: em.layers.ConvLSTM2D(2, 3, padding="causal"), "padding must be 'valid' or 'same'"),
    (lambda: em.layers.ConvLSTM2D(2, 3, dropout=1.0), r"dropout must be in \[0, 1\)"),
    (lambda: em.layers.ConvLSTM2D(2, 3)(np.zeros((2, 3, 4, 4), "float32")),
     "expects inputs of rank 5"),
])
def test_bad_input_is_named(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()
