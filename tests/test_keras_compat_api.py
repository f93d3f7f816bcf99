"""The Keras API pieces the corpus needed, each asked of Keras where its behaviour is in
question: weighted_metrics vs metrics, custom objects and scopes, clone_model /
model_from_json, tensors passed to layers by keyword or position in the functional API,
tf.keras' add_metric, dict inputs to a subclassed model, Normalization(axis=None), the
(batch,) -> (batch, 1) input rule, ModelCheckpoint with Keras' suffixes."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ember as em
from ember import keras
from keras_oracle import run_keras


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    w = rng.uniform(0.1, 3.0, n).astype("float32")
    return x, y, w


def test_metrics_ignore_and_weighted_metrics_use_sample_weights(tmp_path):
    x, y, w = _data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid",
                                                                     kernel_initializer="ones")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    ours = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    np.savez(tmp_path / "d.npz", x=x, y=y, w=w)
    theirs = run_keras(f"""
        d = np.load({str(tmp_path / "d.npz")!r})
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid",
                                                                 kernel_initializer="ones")])
        m.compile("sgd", "binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
        r = m.evaluate(d["x"], d["y"], sample_weight=d["w"], verbose=0, return_dict=True)
        for k, v in r.items():
            out[k] = v
    """, tmp_path)
    assert sorted(ours) == sorted(theirs)  # loss, accuracy, weighted_accuracy
    for key, value in ours.items():
        assert value == pytest.approx(float(theirs[key]), rel=1e-5), key
    assert ours["accuracy"] != pytest.approx(ours["weighted_accuracy"])


def test_custom_objects_registry_and_scope():
    keras.saving.get_custom_objects()["triple"] = lambda x: 3 * x
    try:
        assert em.serialization.lookup("triple")(2) == 6
    finally:
        del keras.saving.get_custom_objects()["triple"]

    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    inputs = keras.Input((3,))
    model = keras.Model(inputs, Twice()(inputs))
    config = model.get_config()  # an unregistered layer: its bare class name, as Keras
    with pytest.raises(ValueError, match="Twice"):
        keras.Model.from_config(config)
    with keras.utils.custom_object_scope({"Twice": Twice}):
        again = keras.Model.from_config(config)
    assert type(again.layers[1]) is Twice
    assert keras.utils.get_registered_object("Twice", custom_objects={"Twice": Twice}) is Twice


def test_registered_function_and_class_by_package_name():
    @keras.saving.register_keras_serializable(package="CompatTest")
    class Shift(keras.layers.Layer):
        def __init__(self, by=1.0, **kwargs):
            super().__init__(**kwargs)
            self.by = by

        def call(self, x):
            return x + self.by

        def get_config(self):
            return {**super().get_config(), "by": self.by}

    assert keras.saving.get_registered_name(Shift) == "CompatTest>Shift"
    layer = keras.layers.deserialize(keras.layers.serialize(Shift(2.5)))
    assert type(layer) is Shift and layer.by == 2.5


def test_clone_model_and_json_round_trip():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1)])
    clone = keras.models.clone_model(model)
    twin = keras.models.model_from_json(model.to_json())
    x = np.ones((2, 5), "float32")
    for other in (clone, twin):
        assert [type(a) for a in other.layers] == [type(b) for b in model.layers]
        assert other.count_params() == model.count_params() and not other.compiled
        assert not np.allclose(other.predict(x, verbose=0), model.predict(x, verbose=0))
    swapped = keras.models.clone_model(model, clone_function=lambda layer: layer)
    assert swapped.layers[0] is model.layers[0]  # clone_function decides per layer


def test_functional_tensors_by_keyword_and_position():
    class Scale(keras.layers.Layer):
        def call(self, x, factor=None, offset=None):
            return x * factor + (0.0 if offset is None else offset)

    a, b = keras.Input((2,)), keras.Input((2,))
    by_keyword = keras.Model([a, b], Scale()(a, factor=b))
    by_position = keras.Model([a, b], Scale()(a, b, b))
    x1, x2 = np.full((1, 2), 2.0, "float32"), np.full((1, 2), 3.0, "float32")
    assert by_keyword.predict([x1, x2], verbose=0).tolist() == [[6.0, 6.0]]
    assert by_position.predict([x1, x2], verbose=0).tolist() == [[9.0, 9.0]]
    with pytest.raises(TypeError, match="positional"):
        Scale()(a, b, b, b)


def test_first_argument_by_name():
    layer = keras.layers.Dense(2)
    assert layer(inputs=np.ones((1, 3), "float32")).shape == (1, 2)
    with pytest.raises(TypeError, match="called without inputs"):
        layer(other=1)


def test_add_metric_reports_the_layers_metric_and_named_values():
    class Endpoint(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.acc = keras.metrics.BinaryAccuracy(name="acc")

        def call(self, x, targets=None):
            if targets is not None:
                self.add_metric(self.acc(targets, x))
                self.add_metric(em.mean(x), name="mean_output")
            return x

    inputs, targets = keras.Input((4,)), keras.Input((1,))
    out = Endpoint()(keras.layers.Dense(1, activation="sigmoid")(inputs), targets=targets)
    model = keras.Model([inputs, targets], out)
    model.compile("adam", "binary_crossentropy")
    x, y, _ = _data()
    h = model.fit([x, y], y, epochs=2, verbose=0).history
    assert sorted(h) == ["acc", "loss", "mean_output"]
    assert 0.0 <= h["acc"][-1] <= 1.0 and 0.0 < h["mean_output"][-1] < 1.0


def test_dict_input_reaches_a_subclassed_model():
    class TwoInputs(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs["a"] + inputs["b"])

    model = TwoInputs()
    model.compile("sgd", "mse")
    x, y, _ = _data()
    model.fit({"a": x, "b": x}, y, epochs=1, verbose=0)
    assert model.predict({"a": x, "b": x}, verbose=0).shape == (64, 1)


def test_normalization_axis_none_adapts_on_1d_and_feeds_a_column(tmp_path):
    values = np.array([1.0, 2.0, 3.0, 6.0], "float32")
    norm = keras.layers.Normalization(input_shape=[1], axis=None)
    norm.adapt(values)
    model = keras.Sequential([norm, keras.layers.Dense(1, kernel_initializer="ones")])
    ours = model.predict(values, verbose=0)  # (4,) feeds an input of shape (None, 1)
    np.save(tmp_path / "v.npy", values)
    theirs = run_keras(f"""
        v = np.load({str(tmp_path / "v.npy")!r})
        n = keras.layers.Normalization(axis=None)
        n.adapt(v)
        m = keras.Sequential([keras.Input((1,)), n,
                              keras.layers.Dense(1, kernel_initializer="ones")])
        out["y"] = m.predict(v, verbose=0)
    """, tmp_path)
    np.testing.assert_allclose(ours, theirs["y"], rtol=1e-5, atol=1e-6)


def test_model_checkpoint_takes_keras_suffixes(tmp_path):
    x, y, _ = _data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    paths = [str(tmp_path / "m_{epoch}.keras"), str(tmp_path / "m_{epoch}.h5")]
    callbacks = [keras.callbacks.ModelCheckpoint(p) for p in paths]
    callbacks.append(keras.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"),
                                                     save_weights_only=True))
    model.fit(x, y, epochs=1, verbose=0, callbacks=callbacks)
    assert sorted(os.listdir(tmp_path)) == ["m_1.h5", "m_1.keras", "w.weights.h5"]
    again = keras.models.load_model(str(tmp_path / "m_1.keras"))
    assert again.compiled  # compile_config applied, as Keras does
    with pytest.raises(ValueError, match="must end in"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.zip"))
