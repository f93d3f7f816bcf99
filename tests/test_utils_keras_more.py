"""keras.utils' split_dataset, Config, interactive logging switch, get_source_inputs,
is_keras_tensor and standardize_dtype, against Keras 3 (JAX backend; split_dataset's
tf.data output needs TensorFlow in that process)."""

import io
import json
import logging

import numpy as np
import pytest
from tests.keras_oracle import run_keras

import ember as em
from ember import keras as ek

X = np.arange(40, dtype="float32").reshape(20, 2)
Y = np.arange(20, dtype="int64") * 3
SPLITS = {  # key -> (kwargs, tuple input?)
    "frac": ({"left_size": 0.7}, False),
    "frac_shuffled": ({"left_size": 0.7, "shuffle": True, "seed": 3}, False),
    "right_int": ({"right_size": 4, "shuffle": True, "seed": 5}, True),
    "both_int": ({"left_size": 6, "right_size": 2}, True),
    "both_frac": ({"left_size": 0.25, "right_size": 0.5, "shuffle": True, "seed": 11}, True),
}
BAD_SPLITS = [{"left_size": 0}, {"left_size": 1.5}, {}, {"left_size": 0.6, "right_size": 0.6},
              {"left_size": 20}, {"left_size": 15, "right_size": 10}, {"left_size": "half"}]
DTYPES = ["None", "float", "int", "bool", "str", "'int'", "'float32'", "np.float64",
          "np.dtype('int8')", "'uint16'", "complex", "torch.float16", "torch.int64"]
BAD_DTYPES = ["'float'", "'foo'", "object"]


@pytest.fixture(scope="module")
def keras_out(tmp_path_factory):
    pytest.importorskip("tensorflow")
    pytest.importorskip("torch")
    code = f"""
    import json, torch
    X = np.arange(40, dtype="float32").reshape(20, 2)
    Y = np.arange(20, dtype="int64") * 3
    res = {{}}
    for key, (kw, pair) in {SPLITS!r}.items():
        left, right = keras.utils.split_dataset((X, Y) if pair else X, **kw)
        res[key] = [[np.asarray(e).tolist() if not pair else [np.asarray(v).tolist() for v in e]
                     for e in part.as_numpy_iterator()] for part in (left, right)]
    import tensorflow as tf
    for key, bs in (("tfdata", None), ("tfdata_batched", 3)):
        ds = tf.data.Dataset.from_tensor_slices((X, Y))
        ds = ds if bs is None else ds.batch(bs)
        left, right = keras.utils.split_dataset(ds, left_size=0.6, shuffle=True, seed=4)
        res[key] = [[[np.asarray(v).tolist() for v in e] for e in part.as_numpy_iterator()]
                    for part in (left, right)]
    bad = []
    for kw in {BAD_SPLITS!r}:
        try:
            keras.utils.split_dataset(X, **kw)
            bad.append("ok")
        except Exception as e:
            bad.append(type(e).__name__)
    res["bad"] = bad
    res["dtypes"] = [keras.utils.standardize_dtype(eval(d)) for d in {DTYPES!r}]
    bad = []
    for d in {BAD_DTYPES!r}:
        try:
            keras.utils.standardize_dtype(eval(d))
            bad.append("ok")
        except Exception as e:
            bad.append(type(e).__name__)
    res["bad_dtypes"] = bad
    a, b = keras.Input((3,)), keras.Input((2,))
    c = keras.Input((4,))
    h = keras.layers.Dense(2)(b)
    z = keras.layers.Concatenate()([h, keras.layers.Dense(2)(a), h])
    src = keras.utils.get_source_inputs(z)
    res["sources"] = [[s is t for t in (a, b, c)] for s in src]
    res["source_of_input"] = [s is a for s in keras.utils.get_source_inputs(a)]
    arr = np.zeros(3)
    res["source_of_array"] = keras.utils.get_source_inputs(arr) is arr
    res["is_kt"] = [keras.utils.is_keras_tensor(v) for v in (a, z, arr, 1.0)]
    logs = [keras.utils.is_interactive_logging_enabled()]
    keras.utils.disable_interactive_logging()
    logs.append(keras.utils.is_interactive_logging_enabled())
    keras.utils.enable_interactive_logging()
    logs.append(keras.utils.is_interactive_logging_enabled())
    res["logging"] = logs
    cfg = keras.utils.Config(b=2, a=1)
    cfg.c = 3
    cfg["d"] = 4
    r = [list(cfg), cfg.to_json(), repr(cfg), len(cfg), "a" in cfg, cfg.get("zz", 9),
         cfg.as_dict()]
    cfg.freeze()
    for action in ("attr", "item", "pop", "update", "del"):
        try:
            {{"attr": lambda: setattr(cfg, "e", 1), "item": lambda: cfg.__setitem__("e", 1),
              "pop": lambda: cfg.pop("a"), "update": lambda: cfg.update(e=1),
              "del": lambda: cfg.__delitem__("a")}}[action]()
            r.append("ok")
        except ValueError as e:
            r.append(str(e))
    cfg.unfreeze(); cfg.e = 5; r.append(cfg.e)
    try:
        cfg.bb
    except AttributeError as e:
        r.append(str(e))
    res["config"] = r
    out["res"] = json.dumps(res)
    """
    return json.loads(str(run_keras(code, tmp_path_factory.mktemp("keras_utils"))["res"]))


def _elements(part, pair):
    return [[np.asarray(e).tolist() if not pair else [np.asarray(v).tolist() for v in e]
             for e in part.as_numpy_iterator()]][0]


@pytest.mark.parametrize("key", sorted(SPLITS))
def test_split_dataset_matches_keras(keras_out, key):
    kw, pair = SPLITS[key]
    left, right = ek.utils.split_dataset((X, Y) if pair else X, **kw)
    assert [_elements(left, pair), _elements(right, pair)] == keras_out[key]


@pytest.mark.parametrize("key,batch_size", [("tfdata", None), ("tfdata_batched", 3)])
def test_split_dataset_of_a_pipeline_matches_keras_on_tf_data(keras_out, key, batch_size):
    ds = em.data.Dataset.from_tensor_slices((X, Y))
    ds = ds if batch_size is None else ds.batch(batch_size)
    left, right = ek.utils.split_dataset(ds, left_size=0.6, shuffle=True, seed=4)
    assert [_elements(left, True), _elements(right, True)] == keras_out[key]


def test_split_dataset_refuses_what_keras_refuses(keras_out):
    got = []
    for kw in BAD_SPLITS:
        try:
            em.utils.split_dataset(X, **kw)
            got.append("ok")
        except (TypeError, ValueError) as e:
            assert "split_dataset" in str(e)
            got.append(type(e).__name__)
    assert got == keras_out["bad"]


def test_split_dataset_of_an_ember_dataset_keeps_its_options():
    w = np.linspace(0.1, 2.0, 20).astype("float32")
    ds = em.data.Dataset(X, Y, batch_size=4, sample_weight=w)
    left, right = em.utils.split_dataset(ds, left_size=0.75, shuffle=True, seed=2)
    assert isinstance(left, em.data.Dataset) and left.batch_size == 4
    assert (left.num_samples, right.num_samples) == (15, 5)
    # the same samples as splitting the arrays (x, y and sample_weight stay together)
    ref_left, ref_right = em.utils.split_dataset((X, Y, w), left_size=0.75, shuffle=True,
                                                 seed=2)
    for part, ref in ((left, ref_left), (right, ref_right)):
        xs, ys, ws = zip(*ref.as_numpy_iterator())
        np.testing.assert_array_equal(part.x, np.stack(xs))
        np.testing.assert_array_equal(part.y, np.stack(ys))
        np.testing.assert_array_equal(part.sample_weight, np.stack(ws))
    model = em.Sequential([em.Input((2,)), em.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(left, validation_data=right, epochs=1, verbose=0)


def test_standardize_dtype_matches_keras(keras_out):
    names = {"np": np, "torch": pytest.importorskip("torch")}
    assert [ek.utils.standardize_dtype(eval(d, names)) for d in DTYPES] == keras_out["dtypes"]
    got = []
    for d in BAD_DTYPES:
        with pytest.raises(ValueError, match="standardize_dtype: invalid dtype"):
            ek.utils.standardize_dtype(eval(d, names))
        got.append("ValueError")
    assert got == keras_out["bad_dtypes"]


def test_get_source_inputs_and_is_keras_tensor_match_keras(keras_out):
    a, b = em.Input((3,)), em.Input((2,))
    c = em.Input((4,))
    h = em.layers.Dense(2)(b)
    z = em.layers.Concatenate()([h, em.layers.Dense(2)(a), h])
    src = ek.utils.get_source_inputs(z)
    assert [[s is t for t in (a, b, c)] for s in src] == keras_out["sources"]
    assert [s is a for s in ek.utils.get_source_inputs(a)] == keras_out["source_of_input"]
    arr = np.zeros(3)
    assert (ek.utils.get_source_inputs(arr) is arr) == keras_out["source_of_array"]
    assert [ek.utils.is_keras_tensor(v) for v in (a, z, arr, 1.0)] == keras_out["is_kt"]
    assert not ek.utils.is_keras_tensor(em.tensor([1.0]))
    model = em.Model([a, b], z)
    assert ek.utils.get_source_inputs(model.outputs[0])[0] is b


def test_config_behaves_as_keras(keras_out):
    cfg = ek.utils.Config(b=2, a=1)
    cfg.c = 3
    cfg["d"] = 4
    r = [list(cfg), cfg.to_json(), repr(cfg), len(cfg), "a" in cfg, cfg.get("zz", 9),
         cfg.as_dict()]
    cfg.freeze()
    for action in ("attr", "item", "pop", "update", "del"):
        try:
            {"attr": lambda: setattr(cfg, "e", 1), "item": lambda: cfg.__setitem__("e", 1),
             "pop": lambda: cfg.pop("a"), "update": lambda: cfg.update(e=1),
             "del": lambda: cfg.__delitem__("a")}[action]()
            r.append("ok")
        except ValueError as e:
            r.append(str(e))
    cfg.unfreeze()
    cfg.e = 5
    r.append(cfg.e)
    try:
        cfg.bb
    except AttributeError as e:
        r.append(str(e))
    assert json.loads(json.dumps(r)) == keras_out["config"]


def test_interactive_logging_switch_matches_keras(keras_out):
    logs = [ek.utils.is_interactive_logging_enabled()]
    ek.utils.disable_interactive_logging()
    logs.append(ek.utils.is_interactive_logging_enabled())
    ek.utils.enable_interactive_logging()
    logs.append(ek.utils.is_interactive_logging_enabled())
    assert logs == keras_out["logging"]


def test_fit_and_progbar_output_goes_to_the_logger_when_disabled(capsys, caplog):
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = em.Sequential([em.Input((2,)), em.layers.Dense(1)])
    model.compile("sgd", "mse")
    em.utils.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="absl"):
            for verbose in (1, 2):
                model.fit(x, y, epochs=2, batch_size=8, verbose=verbose)
            stop = em.callbacks.EarlyStopping("loss", min_delta=1e9, patience=0, verbose=1)
            model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[stop])
            model.evaluate(x, y, verbose=1)
            model.predict(x, verbose=1)
            bar = em.utils.Progbar(4)
            for i in range(4):
                bar.update(i + 1, [("loss", 0.5)])
        assert capsys.readouterr().out == ""  # nothing on stdout
        text = [r.getMessage() for r in caplog.records if r.name == "absl"]
        assert sum(t.startswith("Epoch 1/2") for t in text) == 2
        assert any("loss" in t and "step" in t for t in text)
        assert all("\r" not in t for t in text)
        assert any("early stopping" in t for t in text)  # the callbacks' messages too
        # a stream given explicitly is still written to
        stream = io.StringIO()
        em.utils.Progbar(2, stream=stream).update(2)
        assert "2/2" in stream.getvalue()
    finally:
        em.utils.enable_interactive_logging()
    caplog.clear()
    model.fit(x, y, epochs=1, batch_size=8, verbose=2)
    assert "Epoch 1/1" in capsys.readouterr().out
    assert not [r for r in caplog.records if r.name == "absl"]
