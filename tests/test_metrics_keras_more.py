"""Keras 3's correlation, IoU and at-constraint metrics and the focal metric functions,
against Keras 3 (JAX): several update_state calls (with sample_weight), result(),
reset_state(), get_config / from_config, and use in compile(metrics=[...]) in a fit.

The same data is drawn in both processes from one seeded NumPy generator (DATA below)."""

import inspect
import textwrap

import numpy as np
import pytest

import ember as em

DATA = textwrap.dedent('''
    def make_data():
        rng = np.random.default_rng(7)
        d = {}
        for b in range(3):
            d[f"reg_t{b}"] = rng.normal(size=(6, 5)).astype("float32")
            d[f"reg_p{b}"] = (d[f"reg_t{b}"] + rng.normal(size=(6, 5))).astype("float32")
            d[f"reg_w{b}"] = rng.uniform(0.2, 2.0, size=(6,)).astype("float32")
            d[f"cls_t{b}"] = rng.integers(0, 3, size=(20,))
            d[f"cls_p{b}"] = rng.integers(0, 3, size=(20,))
            d[f"cls_s{b}"] = rng.normal(size=(20, 3)).astype("float32")
            d[f"cls_oh{b}"] = np.eye(3, dtype="float32")[d[f"cls_t{b}"]]
            d[f"cls_w{b}"] = rng.integers(0, 4, size=(20,)).astype("float32")
            d[f"bin_t{b}"] = rng.integers(0, 2, size=(40,)).astype("float32")
            d[f"bin_p{b}"] = np.clip(0.35 * d[f"bin_t{b}"] + rng.uniform(0, 0.7, size=(40,)),
                                     0, 1).astype("float32")
            d[f"bin_w{b}"] = rng.uniform(0.1, 1.5, size=(40,)).astype("float32")
            d[f"mc_t{b}"] = np.eye(3, dtype="float32")[rng.integers(0, 3, size=(30,))]
            d[f"mc_p{b}"] = rng.uniform(0, 1, size=(30, 3)).astype("float32")
            d[f"mc_w{b}"] = rng.uniform(0.1, 1.5, size=(30,)).astype("float32")
        return d
''')
exec(DATA)  # defines make_data  # noqa: S102

# key -> (class name, kwargs, data prefix, y_true key, y_pred key, weighted)
SPECS = {
    "pearson": ("PearsonCorrelation", {}, "reg", "t", "p", True),
    "concordance": ("ConcordanceCorrelation", {}, "reg", "t", "p", True),
    "pearson_axis0": ("PearsonCorrelation", {"axis": 0}, "reg", "t", "p", False),
    "iou": ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "cls", "t", "p", True),
    "iou_ignore": ("IoU", {"num_classes": 3, "target_class_ids": [0, 1, 2],
                           "ignore_class": 1}, "cls", "t", "p", True),
    "mean_iou": ("MeanIoU", {"num_classes": 3}, "cls", "t", "p", True),
    "mean_iou_float": ("MeanIoU", {"num_classes": 3, "dtype": "float32"}, "cls", "t", "p",
                       True),
    "mean_iou_scores": ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False}, "cls", "t", "s",
                        False),
    "binary_iou": ("BinaryIoU", {}, "bin", "t", "p", False),
    "binary_iou_1": ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.6}, "bin", "t",
                     "p", False),
    "one_hot_iou": ("OneHotIoU", {"num_classes": 3, "target_class_ids": [1, 2]}, "cls", "oh",
                    "s", True),
    "one_hot_mean_iou": ("OneHotMeanIoU", {"num_classes": 3}, "cls", "oh", "s", True),
    "p_at_r": ("PrecisionAtRecall", {"recall": 0.7}, "bin", "t", "p", True),
    "p_at_r_7": ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 7}, "bin", "t", "p",
                 True),
    "r_at_p": ("RecallAtPrecision", {"precision": 0.6}, "bin", "t", "p", True),
    "r_at_p_1": ("RecallAtPrecision", {"precision": 0.6, "num_thresholds": 1}, "bin", "t", "p",
                 True),
    "sens_at_spec": ("SensitivityAtSpecificity", {"specificity": 0.5}, "bin", "t", "p", True),
    "spec_at_sens": ("SpecificityAtSensitivity", {"sensitivity": 0.8}, "bin", "t", "p", True),
    "spec_at_sens_class": ("SpecificityAtSensitivity", {"sensitivity": 0.4, "class_id": 1,
                                                        "num_thresholds": 50},
                           "mc", "t", "p", True),
    "r_at_p_class": ("RecallAtPrecision", {"precision": 0.3, "class_id": 2}, "mc", "t", "p",
                     True),
}
FUNCTIONS = {
    "bfce": ("binary_focal_crossentropy", {}, "bin"),
    "bfce_opts": ("binary_focal_crossentropy", {"apply_class_balancing": True, "alpha": 0.4,
                                                "gamma": 1.5, "label_smoothing": 0.1}, "bin"),
    "bfce_logits": ("binary_focal_crossentropy", {"from_logits": True}, "reg"),
    "cfce": ("categorical_focal_crossentropy", {}, "mc"),
    "cfce_opts": ("categorical_focal_crossentropy", {"alpha": 0.5, "gamma": 3.0,
                                                     "from_logits": True,
                                                     "label_smoothing": 0.2}, "mc"),
    "pearson_fn": ("pearson_correlation", {}, "reg"),
    "concordance_fn": ("concordance_correlation", {}, "reg"),
}
NEW = ["BinaryIoU", "ConcordanceCorrelation", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
       "PearsonCorrelation", "PrecisionAtRecall", "RecallAtPrecision",
       "SensitivityAtSpecificity", "SpecificityAtSensitivity", "binary_focal_crossentropy",
       "categorical_focal_crossentropy", "concordance_correlation", "pearson_correlation"]


def _batches(d, spec):
    _, _, prefix, t, p, weighted = spec
    if prefix == "bin" and t == "t" and p == "p":  # binary targets as (n, 1), as a model gives
        return [(d[f"bin_t{b}"][:, None], d[f"bin_p{b}"][:, None],
                 d[f"bin_w{b}"] if weighted else None) for b in range(3)]
    return [(d[f"{prefix}_{t}{b}"], d[f"{prefix}_{p}{b}"],
             d[f"{prefix}_w{b}"] if weighted else None) for b in range(3)]


KERAS = DATA + textwrap.dedent('''
    import inspect, json
    d = make_data()
    SPECS, FUNCTIONS, NEW = json.loads(sys.argv[2])
    def batches(spec):
        _, _, prefix, t, p, weighted = spec
        if prefix == "bin" and t == "t" and p == "p":
            return [(d[f"bin_t{b}"][:, None], d[f"bin_p{b}"][:, None],
                     d[f"bin_w{b}"] if weighted else None) for b in range(3)]
        return [(d[f"{prefix}_{t}{b}"], d[f"{prefix}_{p}{b}"],
                 d[f"{prefix}_w{b}"] if weighted else None) for b in range(3)]
    import warnings
    warnings.simplefilter("ignore")
    for key, spec in SPECS.items():
        m = getattr(keras.metrics, spec[0])(**spec[1])
        results = []
        for yt, yp, w in batches(spec):
            m.update_state(yt, yp, sample_weight=w)
            results.append(float(m.result()))
        m.reset_state()
        results.append(float(m.result()))
        yt, yp, w = batches(spec)[2]
        m.update_state(yt, yp, sample_weight=w)
        results.append(float(m.result()))
        out[key] = np.array(results)
        out["config_" + key] = json.dumps(m.get_config())
    for key, (name, kw, prefix) in FUNCTIONS.items():
        if prefix == "bin":
            yt, yp = d["bin_t0"].reshape(8, 5), d["bin_p0"].reshape(8, 5)
        else:
            yt, yp = d[f"{prefix}_t0"], d[f"{prefix}_p0"]
        out[key] = np.asarray(getattr(keras.metrics, name)(yt, yp, **kw))
    out["signatures"] = json.dumps({n: str(inspect.signature(getattr(keras.metrics, n)))
                                    for n in NEW})
''')


@pytest.fixture(scope="module")
def keras_out(tmp_path_factory):
    import json
    import os
    import subprocess
    import sys

    from tests.keras_oracle import require

    require()
    tmp = tmp_path_factory.mktemp("keras_metrics")
    script, result = tmp / "k.py", tmp / "k.npz"
    script.write_text("import os, sys\nimport numpy as np\nimport keras\nout = {}\n" + KERAS
                      + "\nnp.savez(sys.argv[1], **{k: np.asarray(v) for k, v in out.items()})\n")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, str(script), str(result),
                           json.dumps([SPECS, FUNCTIONS, NEW])], env=env, capture_output=True,
                          text=True, timeout=300, cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-4000:]
    with np.load(result) as data:
        return {k: data[k] for k in data.files}


def test_signatures_match_keras(keras_out):
    import json

    theirs = json.loads(str(keras_out["signatures"]))
    for name in NEW:
        params = inspect.signature(getattr(em.metrics, name)).parameters.values()
        ours = "(" + ", ".join(p.name if p.default is p.empty else f"{p.name}={p.default!r}"
                               for p in params) + ")"
        assert ours == theirs[name], name
        assert getattr(em.keras.metrics, name) is getattr(em.metrics, name)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_streaming_matches_keras(keras_out, key):
    import warnings

    spec = SPECS[key]
    m = getattr(em.metrics, spec[0])(**spec[1])
    d = make_data()  # noqa: F821 - defined by exec(DATA)
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IoU's "float weights are truncated", as Keras warns
        for yt, yp, w in _batches(d, spec):
            m.update_state(yt, yp, sample_weight=w)
            results.append(float(m.result()))
        m.reset_state()
        results.append(float(m.result()))
        yt, yp, w = _batches(d, spec)[2]
        m.update_state(yt, yp, sample_weight=w)
        results.append(float(m.result()))
    np.testing.assert_allclose(results, keras_out[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_config_matches_keras_and_round_trips(keras_out, key):
    import json

    spec = SPECS[key]
    m = getattr(em.metrics, spec[0])(**spec[1])
    theirs = json.loads(str(keras_out["config_" + key]))
    ours = m.get_config()
    assert set(ours) == set(theirs)
    for k, v in theirs.items():
        if k == "dtype" and ours[k] is None:  # ember's float metrics: Keras' floatx
            assert v == "float32"
        elif k != "name":  # Keras numbers a second instance of a name (binary_io_u_1)
            assert ours[k] == v or (isinstance(v, list) and list(ours[k]) == v), (k, ours[k], v)
    again = type(m).from_config(ours)
    assert again.get_config() == ours
    d = make_data()  # noqa: F821
    yt, yp, w = _batches(d, spec)[0]
    if "IoU" in spec[0] and w is not None:
        w = w.astype("int64")
    assert float(again(yt, yp, sample_weight=w)) == float(m(yt, yp, sample_weight=w))
    assert em.metrics.deserialize(em.metrics.serialize(m)).get_config() == ours


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_functions_match_keras(keras_out, key):
    name, kw, prefix = FUNCTIONS[key]
    d = make_data()  # noqa: F821
    if prefix == "bin":
        yt, yp = d["bin_t0"].reshape(8, 5), d["bin_p0"].reshape(8, 5)
    else:
        yt, yp = d[f"{prefix}_t0"], d[f"{prefix}_p0"]
    got = np.asarray(getattr(em.metrics, name)(yt, yp, **kw))
    assert got.shape == keras_out[key].shape
    np.testing.assert_allclose(got, keras_out[key], rtol=1e-5, atol=1e-6)


def test_focal_metric_is_the_focal_loss():
    d = make_data()  # noqa: F821
    yt, yp = d["mc_t0"], d["mc_p0"]
    loss = em.losses.categorical_focal_crossentropy(yt, em.tensor(yp), gamma=3.0).numpy()
    np.testing.assert_array_equal(em.metrics.categorical_focal_crossentropy(yt, yp, gamma=3.0),
                                  loss)


def test_bad_arguments_name_the_metric():
    with pytest.raises(ValueError, match=r"PrecisionAtRecall: recall must be in the range"):
        em.metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="RecallAtPrecision: num_thresholds must be an integer"):
        em.metrics.RecallAtPrecision(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match=r"IoU: target_class_ids .*\[0, 3\).*\[3\]"):
        em.metrics.IoU(3, [3])
    with pytest.raises(ValueError, match="MeanIoU: num_classes must be a positive integer"):
        em.metrics.MeanIoU(0)
    with pytest.raises(ValueError, match="pearson_correlation: y_true .* same shape"):
        em.metrics.pearson_correlation(np.ones((2, 3)), np.ones((2, 4)))


def test_in_compile_and_fit_by_object_and_by_name():
    em.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y_reg = (x @ rng.normal(size=(4, 3))).astype("float32")
    y_bin = (x[:, :1] > 0).astype("float32")
    y_cls = np.eye(3, dtype="float32")[rng.integers(0, 3, size=64)]

    reg = em.Sequential([em.Input((4,)), em.layers.Dense(3)])
    reg.compile("adam", "mse", metrics=[em.metrics.PearsonCorrelation(),
                                        "concordance_correlation", "pearson_correlation"])
    h = reg.fit(x, y_reg, epochs=2, batch_size=16, verbose=0)
    assert {"pearson_correlation", "concordance_correlation"} <= set(h.history)
    evaluated = reg.evaluate(x, y_reg, batch_size=64, verbose=0, return_dict=True)
    expect = em.metrics.pearson_correlation(y_reg, reg.predict(x, verbose=0)).mean()
    np.testing.assert_allclose(evaluated["pearson_correlation"], expect, rtol=1e-5)

    binary = em.Sequential([em.Input((4,)), em.layers.Dense(1, activation="sigmoid")])
    metrics = [em.metrics.BinaryIoU(name="biou"), em.metrics.PrecisionAtRecall(0.5),
               em.metrics.RecallAtPrecision(0.5), em.metrics.SensitivityAtSpecificity(0.5),
               em.metrics.SpecificityAtSensitivity(0.5), em.metrics.binary_focal_crossentropy]
    binary.compile("adam", "binary_crossentropy", metrics=metrics)
    h = binary.fit(x, y_bin, epochs=2, batch_size=16, verbose=0)
    assert {"biou", "precision_at_recall", "recall_at_precision", "sensitivity_at_specificity",
            "specificity_at_sensitivity", "binary_focal_crossentropy"} <= set(h.history)
    evaluated = binary.evaluate(x, y_bin, batch_size=64, verbose=0, return_dict=True)
    p = binary.predict(x, verbose=0)
    m = em.metrics.PrecisionAtRecall(0.5)
    m.update_state(y_bin, p)
    np.testing.assert_allclose(evaluated["precision_at_recall"], float(m.result()), rtol=1e-6)

    multi = em.Sequential([em.Input((4,)), em.layers.Dense(3, activation="softmax")])
    multi.compile("adam", "categorical_crossentropy",
                  metrics=[em.metrics.OneHotMeanIoU(3), em.metrics.OneHotIoU(3, [0, 1]),
                           em.metrics.categorical_focal_crossentropy])
    h = multi.fit(x, y_cls, epochs=1, batch_size=16, verbose=0)
    assert {"one_hot_mean_io_u", "one_hot_io_u", "categorical_focal_crossentropy"} <= set(
        h.history)
    assert all(np.isfinite(v).all() for v in h.history.values())


LOAD = textwrap.dedent('''
    import json, sys
    import numpy as np
    import ember as em
    model = em.models.load_model(sys.argv[1])
    data = np.load(sys.argv[2])
    print(json.dumps(model.evaluate(data["x"], data["y"], verbose=0, return_dict=True)))
''')


@pytest.mark.parametrize("ext", [".ember", ".keras"])
def test_compiled_with_them_saves_and_loads_in_a_fresh_process(tmp_path, ext):
    import json
    import os
    import subprocess
    import sys

    em.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=16)]
    model = em.Sequential([em.Input((4,)), em.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=[
        em.metrics.OneHotMeanIoU(3), em.metrics.OneHotIoU(3, [1]), em.metrics.MeanIoU(3),
        em.metrics.PearsonCorrelation(), em.metrics.ConcordanceCorrelation(axis=-1),
        em.metrics.PrecisionAtRecall(0.5, num_thresholds=20),
        em.metrics.SpecificityAtSensitivity(0.3, class_id=1),
        em.metrics.categorical_focal_crossentropy, em.metrics.binary_focal_crossentropy])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    expect = model.evaluate(x, y, verbose=0, return_dict=True)
    path, data = str(tmp_path / f"m{ext}"), str(tmp_path / "d.npz")
    model.save(path)
    np.savez(data, x=x, y=y)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", LOAD, path, data], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got.keys() == expect.keys()
    for k in expect:
        np.testing.assert_allclose(got[k], expect[k], rtol=1e-6, err_msg=k)
