"""mixed_float16 as Keras 3 does it: float32 variables, float16 computation and outputs, the
loss in float32, a last layer with dtype="float32" in float32; the policy API of
``keras.mixed_precision`` / ``keras.config``; the policy kept by configs and saved files.
Predictions are compared with Keras' mixed_float16 ones (JAX) on the same weights, within
float16's precision (rtol 1e-2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ember as em
from ember import keras
from keras_oracle import run_keras

SRC = str(Path(__file__).parents[1] / "src")


@pytest.fixture(autouse=True)
def _reset_policy():
    yield
    keras.mixed_precision.set_global_policy(None)


# One model, written for both libraries: two hidden layers in float16, a softmax head made
# float32 as the Keras guide recommends, and a float16 regression head.
MODEL = '''
keras.mixed_precision.set_global_policy("mixed_float16")
inputs = keras.Input(shape=(5,))
h1 = keras.layers.Dense(16, activation="relu")(inputs)
h2 = keras.layers.Dense(8, activation="tanh")(h1)
probs = keras.layers.Dense(3, activation="softmax", dtype="float32")(h2)
reg = keras.layers.Dense(1)(h2)
model = keras.Model(inputs, [h1, h2, probs, reg])
'''


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5)).astype("float32")
    return x, rng.integers(0, 3, 32), (x[:, :1] * 0.5).astype("float32")


def _ember_model():
    ns = {"keras": keras}
    exec(MODEL, ns)  # noqa: S102 - the shared model code
    return ns


def test_policy_objects_match_keras_names():
    p = keras.mixed_precision.DTypePolicy("mixed_float16")
    assert (p.name, p.compute_dtype, p.variable_dtype) == ("mixed_float16", "float16", "float32")
    assert repr(p) == '<DTypePolicy "mixed_float16">' and p.get_config() == {"name": p.name}
    assert keras.mixed_precision.Policy is keras.DTypePolicy is type(p)
    assert keras.mixed_precision.global_policy() == keras.DTypePolicy("float32")
    keras.config.set_dtype_policy("mixed_float16")
    assert keras.config.dtype_policy().name == "mixed_float16"
    assert keras.mixed_precision.dtype_policy() is keras.config.dtype_policy()
    assert keras.DTypePolicy("float64").compute_dtype == "float64"


def test_bad_policies_are_refused_clearly():
    with pytest.raises(ValueError, match="NumPy does not have"):
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    with pytest.raises(ValueError, match="NumPy does not have"):
        em.layers.Dense(2, dtype="mixed_bfloat16")
    with pytest.raises(ValueError, match="cannot convert 'nope'"):
        keras.mixed_precision.set_global_policy("nope")
    with pytest.raises(ValueError, match="cannot convert 'int32'"):
        keras.DTypePolicy("int32")
    assert keras.mixed_precision.global_policy().name == "float32"  # unchanged


@pytest.mark.parametrize("how", ["global", "name", "policy", "config"])
def test_a_mixed_layer_keeps_float32_weights_and_computes_in_float16(how):
    if how == "global":
        keras.mixed_precision.set_global_policy("mixed_float16")
        layer = em.layers.Dense(3)
    elif how == "config":
        keras.config.set_dtype_policy("mixed_float16")
        layer = em.layers.Dense(3)
    else:
        layer = em.layers.Dense(3, dtype="mixed_float16" if how == "name"
                                else keras.DTypePolicy("mixed_float16"))
    x = np.random.default_rng(1).standard_normal((2, 4)).astype("float32")
    out = layer(x)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == ("float16", "float32",
                                                                        "float32")
    assert layer.dtype_policy.name == "mixed_float16"
    assert [w.dtype.name for w in layer.weights] == ["float32", "float32"]
    assert out.dtype.name == "float16"
    # the float16 values multiplied with float32 accumulation, rounded once (as XLA's CPU dot)
    k16, x16 = layer.kernel.numpy().astype("float16"), x.astype("float16")
    ref = (x16.astype("float32") @ k16.astype("float32")).astype("float16") \
        + layer.bias.numpy().astype("float16")
    np.testing.assert_array_equal(out.numpy(), ref)


def test_gradients_reach_the_float32_variables():
    layer = em.layers.Dense(3, activation="relu", dtype="mixed_float16")
    x = em.tensor(np.random.default_rng(2).standard_normal((4, 5)).astype("float32"))
    out = layer(x)
    out.sum().backward()
    assert out.dtype.name == "float16"
    assert [w.grad.dtype.name for w in layer.weights] == ["float32", "float32"]
    k16 = layer.kernel.numpy().astype("float16").astype("float32")
    pre = x.numpy().astype("float16").astype("float32") @ k16 + layer.bias.numpy()
    np.testing.assert_allclose(layer.bias.grad.numpy(), (pre > 0).sum(0), rtol=0, atol=0)


def test_layers_made_before_the_policy_keep_theirs():
    before = em.layers.Dense(2)
    keras.mixed_precision.set_global_policy("mixed_float16")
    assert before.compute_dtype == "float32" and em.layers.Dense(2).compute_dtype == "float16"


def test_symbolic_and_real_outputs_in_the_compute_dtype():
    ns = _ember_model()
    assert [t.dtype for t in ns["model"].outputs] == ["float16", "float16", "float32",
                                                      "float16"]
    x, _, _ = _data()
    outs = ns["model"].predict(x, verbose=0)
    assert [o.dtype.name for o in outs] == ["float16", "float16", "float32", "float16"]
    assert all(w.dtype.name == "float32" for w in ns["model"].get_weights())


def test_fit_trains_with_float32_variables_and_a_float32_loss():
    ns = _ember_model()
    model = keras.Model(ns["inputs"], ns["probs"])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, labels, _ = _data()
    hist = model.fit(x, labels, epochs=15, batch_size=8, verbose=0).history["loss"]
    assert hist[-1] < 0.7 * hist[0]
    assert all(w.dtype.name == "float32" for w in model.get_weights())
    reg = keras.Model(ns["inputs"], ns["reg"])
    reg.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    _, _, y = _data()
    losses = reg.fit(x, y, epochs=10, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0] and isinstance(losses[-1], float)


def test_the_loss_of_float16_predictions_is_computed_in_float32():
    pred = em.tensor(np.array([[300.0], [-300.0]], "float16"))
    loss = em.losses.MeanSquaredError()(np.zeros((2, 1), "float32"), pred)
    assert loss.dtype.name == "float32" and loss.item() == 90000.0  # float16 would be inf


def test_the_policy_survives_config_and_a_saved_file(tmp_path):
    ns = _ember_model()
    model = ns["model"]
    x, _, _ = _data()
    expected = model.predict(x, verbose=0)
    keras.mixed_precision.set_global_policy(None)
    clone = keras.Model.from_config(model.get_config())
    assert [la.compute_dtype for la in clone.layers[1:]] == ["float16", "float16", "float32",
                                                            "float16"]
    path = tmp_path / "mixed.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    code = textwrap.dedent(f"""
        import numpy as np, ember as em
        m = em.keras.models.load_model({str(path)!r})
        outs = m.predict(np.load({str(tmp_path / 'x.npy')!r}), verbose=0)
        print([la.compute_dtype for la in m.layers[1:]])
        np.savez({str(tmp_path / 'out.npz')!r}, *outs)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "['float16', 'float16', 'float32', 'float16']" in proc.stdout
    with np.load(tmp_path / "out.npz") as got:
        for i, want in enumerate(expected):
            np.testing.assert_array_equal(got[f"arr_{i}"], want)


_KERAS = '''
w = np.load(WEIGHTS)
exec(MODEL)
model.set_weights([w[f"arr_{i}"] for i in range(len(w.files) - 2)])
for i, o in enumerate(model.predict(w["x"], verbose=0)):
    out[f"out{i}"] = o
head = keras.Model(inputs, probs)
head.compile(loss="sparse_categorical_crossentropy")
out["loss"] = head.evaluate(w["x"], w["labels"], verbose=0)
out["dtypes"] = [str(t.dtype) for t in model.outputs]
'''


def test_predictions_match_keras_mixed_float16(tmp_path):
    pytest.importorskip("keras")
    ns = _ember_model()
    model = ns["model"]
    x, labels, _ = _data()
    weights = model.get_weights()
    np.savez(tmp_path / "w.npz", *weights, x=x, labels=labels)
    code = f"WEIGHTS = {str(tmp_path / 'w.npz')!r}\nMODEL = {MODEL!r}\n" + _KERAS
    ref = run_keras(code, tmp_path)
    outs = model.predict(x, verbose=0)
    assert list(ref["dtypes"]) == [o.dtype.name for o in outs]
    for i, o in enumerate(outs):
        assert ref[f"out{i}"].dtype == o.dtype
        np.testing.assert_allclose(o.astype("float32"), ref[f"out{i}"].astype("float32"),
                                   rtol=1e-2, atol=2e-3)
    head = keras.Model(ns["inputs"], ns["probs"])
    head.compile(loss="sparse_categorical_crossentropy")
    np.testing.assert_allclose(head.evaluate(x, labels, verbose=0), float(ref["loss"]),
                               rtol=1e-2)


def test_a_keras_mixed_float16_file_loads_with_its_policies(tmp_path):
    pytest.importorskip("keras")
    path = tmp_path / "k.keras"
    x, _, _ = _data()
    np.save(tmp_path / "x.npy", x)
    ref = run_keras(f"exec({MODEL!r})\nmodel.save({str(path)!r})\n"
                    f"out['pred'] = model.predict(np.load({str(tmp_path / 'x.npy')!r}), "
                    "verbose=0)[2]\n", tmp_path)
    model = keras.models.load_model(path)
    assert [la.compute_dtype for la in model.layers[1:]] == ["float16", "float16", "float32",
                                                            "float16"]
    assert all(w.dtype.name == "float32" for w in model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0)[2], ref["pred"], rtol=1e-2,
                               atol=2e-3)


_COMPILE_CASES = '''
keras.mixed_precision.set_global_policy("mixed_float16")
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                      keras.layers.Dense(1, dtype="float32")])
names = []
for kw in ({"optimizer": "adam"}, {"optimizer": keras.optimizers.SGD(0.1)},
           {"optimizer": "adam", "auto_scale_loss": False},
           {"optimizer": keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())}):
    m.compile(loss="mse", **kw)
    inner = getattr(m.optimizer, "inner_optimizer", None)
    names.append(type(m.optimizer).__name__ + "/" + type(inner).__name__)
keras.mixed_precision.set_global_policy("float32")
p = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
p.compile(optimizer="adam", loss="mse")
names.append(type(p.optimizer).__name__)
'''


def test_compile_wraps_the_optimizer_for_loss_scaling_as_keras(tmp_path):
    """Under mixed_float16 Keras' compile puts the optimizer in a LossScaleOptimizer (unless
    auto_scale_loss=False or it already is one); the same cases give the same classes."""
    ns = {"keras": keras}
    exec(_COMPILE_CASES, ns)  # noqa: S102 - the shared code
    ref = run_keras(_COMPILE_CASES + "out['names'] = np.array(names)\n", tmp_path)
    assert ns["names"] == [str(n) for n in ref["names"]]
    assert ns["names"][0] == "LossScaleOptimizer/Adam"


def test_a_loss_scaled_mixed_model_trains():
    keras.mixed_precision.set_global_policy("mixed_float16")
    rng = np.random.default_rng(1)
    x = rng.random((128, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")
    model = em.Sequential([em.Input((4,)), em.layers.Dense(16, activation="relu"),
                           em.layers.Dense(1, dtype="float32")])
    model.compile(optimizer=em.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.2 * history[0]
    assert isinstance(model.optimizer, em.optimizers.LossScaleOptimizer)
    scale = float(np.asarray(getattr(model.optimizer.dynamic_scale, "data",
                                     model.optimizer.dynamic_scale)))
    assert 0 < scale <= 2.0 ** 15 and np.log2(scale) == int(np.log2(scale))
    assert all(w.data.dtype == np.float32 for w in model.weights)


def test_a_compiled_mixed_model_round_trips_through_keras_files(tmp_path):
    """Keras' compile_config records the optimizer the user passed (Adam), not the
    LossScaleOptimizer compile wrapped it in; loading compiles and wraps again. ember writes
    and reads it the same way, both directions."""
    pytest.importorskip("h5py")
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = em.Sequential([em.Input((4,)), em.layers.Dense(8),
                           em.layers.Dense(1, dtype="float32")])
    model.compile(optimizer=em.optimizers.Adam(0.01), loss="mse")
    ours = tmp_path / "ember_mixed.keras"
    model.save(ours)
    back = em.models.load_model(ours)
    assert type(back.optimizer).__name__ == "LossScaleOptimizer"
    assert back.optimizer.inner_optimizer.learning_rate == pytest.approx(0.01)
    code = f'''
keras.mixed_precision.set_global_policy("mixed_float16")
m = keras.models.load_model({str(ours)!r})
out["ours"] = np.array([type(m.optimizer).__name__, type(m.optimizer.inner_optimizer).__name__])
k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                      keras.layers.Dense(1, dtype="float32")])
k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
k.save({str(tmp_path / "keras_mixed.keras")!r})
'''
    ref = run_keras(code, tmp_path)
    assert [str(n) for n in ref["ours"]] == ["LossScaleOptimizer", "Adam"]
    theirs = em.models.load_model(tmp_path / "keras_mixed.keras")
    assert type(theirs.optimizer).__name__ == "LossScaleOptimizer"
    assert type(theirs.optimizer.inner_optimizer).__name__ == "Adam"
