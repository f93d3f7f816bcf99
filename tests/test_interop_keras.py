"""Keras 3 `.keras` and `.weights.h5` files, both ways, against real Keras (JAX's CPU build).

Each network is built in one framework, saved, loaded in the other and run on the same inputs:
the outputs must agree to float32 tolerance.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

import ember as em  # noqa: E402
from ember.interop.keras_config import KerasConfigError  # noqa: E402
from ember.safe_io import FileFormatError  # noqa: E402

L = keras.layers
TOL = 2e-5


def keras_dense():
    return keras.Sequential([keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"),
                             L.Dense(10, activation="softmax")])


def keras_convnet():
    return keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])


def keras_lstm():
    i = keras.Input((28, 28))
    return keras.Model(i, L.Dense(10, activation="softmax")(L.LSTM(32)(i)))


def keras_zoo():
    """Every shared layer kind at least once, with branches, a nested model and merges."""
    i = keras.Input((8, 6), name="seq")
    a = L.Bidirectional(L.LSTM(3, return_sequences=True))(i)
    b = L.GRU(4, return_sequences=True)(i)
    c = L.SimpleRNN(2, return_sequences=True, activation="relu")(i)
    d = L.Conv1D(5, 3, padding="same", activation="tanh")(i)
    d = L.UpSampling1D(2)(L.MaxPooling1D(2)(d))
    d = L.ZeroPadding1D((1, 0))(L.AveragePooling1D(2, strides=1, padding="valid")(d))
    d = L.Reshape((8, 5))(L.Flatten()(d))
    cat = L.Concatenate()([a, b, c, d])  # 6 + 4 + 2 + 5 = 17
    cat = L.LayerNormalization()(cat)
    nested = keras.Sequential([keras.Input((8, 17)), L.Dense(7, activation="gelu"),
                               L.Dropout(0.2), L.Dense(4)])
    n = nested(cat)
    m = L.Dense(4, use_bias=False)(cat)
    merged = [L.Add()([n, m]), L.Subtract()([n, m]), L.Multiply()([n, m]),
              L.Average()([n, m]), L.Maximum()([n, m]), L.Minimum()([n, m])]
    h = L.Concatenate(axis=1)(merged)  # (48, 4)
    h = L.Permute((2, 1))(h)
    h = L.Activation("sigmoid")(L.GlobalAveragePooling1D()(h))
    img = keras.Input((6, 6, 2), name="img")
    g = L.Conv2D(3, 3, strides=1, padding="same")(img)
    g = L.BatchNormalization()(g)
    g = L.Conv2DTranspose(2, 2, strides=2)(g)
    g = L.ZeroPadding2D(((1, 0), (0, 1)))(L.AveragePooling2D(2)(g))
    g = L.UpSampling2D(2)(g)
    g = L.GlobalMaxPooling2D()(L.Rescaling(0.5, offset=0.1)(g))
    tok = keras.Input((5,), name="tokens", dtype="int32")
    e = L.GlobalMaxPooling1D()(L.Embedding(11, 3)(tok))
    out = L.Dense(3, activation="softmax")(L.Concatenate()([h, g, e]))
    return keras.Model([i, img, tok], out)


def zoo_inputs(rng, n=4):
    return [rng.standard_normal((n, 8, 6)).astype("float32"),
            rng.standard_normal((n, 6, 6, 2)).astype("float32"),
            rng.integers(0, 11, (n, 5)).astype("int32")]


def _randomize(model, rng):
    """Non-trivial weights everywhere (batch-norm statistics too, variances positive)."""
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                       if "variance" in w.path else
                       rng.standard_normal(w.shape).astype("float32") * 0.3
                       for w in model.weights])


def keras_mobile():
    return keras.Sequential([
        keras.Input((9, 9, 3)), L.DepthwiseConv2D(3, strides=2, padding="same",
                                                   depth_multiplier=2),
        L.ReLU(6.0, negative_slope=0.1), L.DepthwiseConv2D(3, use_bias=False),
        L.GlobalAveragePooling2D()])


NETWORKS = {"mobile": (keras_mobile, lambda r: r.standard_normal((4, 9, 9, 3)).astype("f4")),
            "dense": (keras_dense, lambda r: r.random((8, 28, 28), dtype="float32")),
            "convnet": (keras_convnet, lambda r: r.random((8, 28, 28, 1), dtype="float32")),
            "lstm": (keras_lstm, lambda r: r.random((8, 28, 28), dtype="float32")),
            "zoo": (keras_zoo, zoo_inputs)}


def _outputs(model, x):
    if isinstance(model, keras.Model):  # an eager call: no predict function to compile
        return np.asarray(model(x, training=False))
    return np.asarray(model.predict(x, verbose=0))


@pytest.mark.parametrize("name", list(NETWORKS))
def test_keras_file_loads_in_ember_and_back(name, tmp_path):
    build, data = NETWORKS[name]
    rng = np.random.default_rng(0)
    km = build()
    _randomize(km, rng)
    x = data(rng)
    km.save(tmp_path / "k.keras")
    model = em.models.load_model(str(tmp_path / "k.keras"))
    assert np.abs(_outputs(model, x) - _outputs(km, x)).max() < TOL
    # and ember's own .keras file loads in Keras with the same outputs
    model.save(str(tmp_path / "e.keras"))
    back = keras.saving.load_model(tmp_path / "e.keras")
    assert np.abs(_outputs(back, x) - _outputs(model, x)).max() < TOL
    assert [type(layer).__name__ for layer in back.layers] == \
        [type(layer).__name__ for layer in km.layers]


@pytest.mark.parametrize("name", list(NETWORKS))
def test_weights_h5_both_ways(name, tmp_path):
    build, data = NETWORKS[name]
    rng = np.random.default_rng(1)
    km = build()
    _randomize(km, rng)
    x = data(rng)
    km.save(tmp_path / "arch.keras")
    km.save_weights(tmp_path / "k.weights.h5")
    model = em.models.load_model(str(tmp_path / "arch.keras"))
    _randomize(model, np.random.default_rng(2))  # different weights, then Keras' file
    model.load_weights(str(tmp_path / "k.weights.h5"))
    assert np.abs(_outputs(model, x) - _outputs(km, x)).max() < TOL
    _randomize(model, np.random.default_rng(3))
    model.save_weights(str(tmp_path / "e.weights.h5"))
    km.load_weights(tmp_path / "e.weights.h5")
    assert np.abs(_outputs(km, x) - _outputs(model, x)).max() < TOL


def test_ember_built_models_load_in_keras(tmp_path):
    """Models written in ember (not first read from Keras) load in Keras."""
    em.utils.set_random_seed(0)
    conv = em.Sequential([
        em.layers.Conv2D(4, 3, activation="relu", input_shape=(10, 10, 1)),
        em.layers.MaxPooling2D(2), em.layers.BatchNormalization(), em.layers.Flatten(),
        em.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(0).random((5, 10, 10, 1), dtype="float32")
    conv.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    conv.fit(x, np.array([0, 1, 2, 1, 0]), epochs=2, verbose=0)  # moving stats move
    conv.save(str(tmp_path / "c.keras"))
    assert np.abs(_outputs(keras.saving.load_model(tmp_path / "c.keras"), x)
                  - _outputs(conv, x)).max() < TOL
    inp = em.Input((4, 3))
    seq = em.layers.Bidirectional(em.layers.GRU(2, return_sequences=True))(inp)
    out = em.layers.Dense(1)(em.layers.Flatten()(seq))
    func = em.Model(inp, out)
    xs = np.random.default_rng(1).random((3, 4, 3), dtype="float32")
    func.save(str(tmp_path / "f.keras"))
    assert np.abs(_outputs(keras.saving.load_model(tmp_path / "f.keras"), xs)
                  - _outputs(func, xs)).max() < TOL


def test_save_keras_refuses_layers_keras_lacks(tmp_path):
    model = em.Sequential([em.Input((3,)), em.layers.Lambda(lambda t: t * 2),
                           em.layers.Dense(2)])
    with pytest.raises(NotImplementedError, match="'lambda.*Lambda"):
        model.save(str(tmp_path / "m.keras"))
    assert not (tmp_path / "m.keras").exists()
    with pytest.raises(NotImplementedError, match="Lambda"):
        model.save_weights(str(tmp_path / "m.weights.h5"))


def test_load_refuses_unknown_keras_layers_and_arguments(tmp_path):
    km = keras.Sequential([keras.Input((4, 4, 4, 1)), L.Conv3D(2, 2)])
    km.save(tmp_path / "c3.keras")
    with pytest.raises(KerasConfigError, match="'conv3d' is a Keras Conv3D"):
        em.models.load_model(str(tmp_path / "c3.keras"))
    km = keras.Sequential([keras.Input((6, 6, 4)), L.Conv2D(4, 3, groups=2)])
    km.save(tmp_path / "g.keras")
    with pytest.raises((KerasConfigError, FileFormatError), match="groups=2"):
        em.models.load_model(str(tmp_path / "g.keras"))


def test_weights_h5_mismatch_is_named_and_changes_nothing(tmp_path):
    km = keras.Sequential([keras.Input((5,)), L.Dense(4), L.Dense(2)])
    km.save_weights(tmp_path / "k.weights.h5")
    model = em.Sequential([em.Input((5,)), em.layers.Dense(4), em.layers.Dense(3)])
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(FileFormatError, match=r"layers/dense_1/vars/0' has shape \(4, 2\)"):
        model.load_weights(str(tmp_path / "k.weights.h5"))
    assert all((b == w.numpy()).all() for b, w in zip(before, model.weights))
    small = em.Sequential([em.Input((5,)), em.layers.Dense(4)])
    with pytest.raises(FileFormatError, match="no layer of the model takes"):
        small.load_weights(str(tmp_path / "k.weights.h5"))
    (tmp_path / "bad.weights.h5").write_bytes(b"not hdf5 at all" * 10)
    with pytest.raises(FileFormatError, match="not an HDF5 file"):
        small.load_weights(str(tmp_path / "bad.weights.h5"))


def test_crafted_keras_config_cannot_allocate_before_the_check(tmp_path):
    """A config declaring a huge Dense whose weights the file lacks fails before allocating."""
    import json
    import zipfile

    km = keras.Sequential([keras.Input((5,)), L.Dense(2)])
    km.save(tmp_path / "ok.keras")
    with zipfile.ZipFile(tmp_path / "ok.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(entries["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, 100000]
    config["config"]["layers"][1]["config"]["units"] = 100000
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "big.keras", "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    with pytest.raises(FileFormatError, match="no unclaimed tensor of that shape"):
        em.models.load_model(str(tmp_path / "big.keras"))


def test_keras_zip_with_unexpected_entries_or_garbage_is_refused(tmp_path):
    import zipfile

    km = keras.Sequential([keras.Input((3,)), L.Dense(2)])
    km.save(tmp_path / "ok.keras")
    with zipfile.ZipFile(tmp_path / "ok.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(tmp_path / "extra.keras", "w") as zf:
        for n, data in {**entries, "assets/run.py": b"print(1)"}.items():
            zf.writestr(n, data)
    with pytest.raises(FileFormatError, match="unexpected entries"):
        em.models.load_model(str(tmp_path / "extra.keras"))
    (tmp_path / "junk.keras").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileFormatError):
        em.models.load_model(str(tmp_path / "junk.keras"))
    with pytest.raises(ValueError, match="holds weights only"):
        em.models.load_model(str(tmp_path / "m.weights.h5"))
