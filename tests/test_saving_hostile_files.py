"""Files that cannot hurt: crafted .ember and .safetensors files fail fast, in little memory,
with one FileFormatError naming the file and the entry (or the layer); the big ones are measured
in a subprocess (peak RSS, seconds)."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import ember as em
from ember.safe_io import FileFormatError
from ember.saving import limits

sys.path.insert(0, os.path.dirname(__file__))
import hostile_files as H  # noqa: E402

PROBE = os.path.join(os.path.dirname(__file__), "rss_probe.py")
linux_only = pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"),
                                reason="measures peak RSS through /proc")


def _good(tmp_path, name="good.ember"):
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), verbose=0)
    path = str(tmp_path / name)
    model.save(path)
    return model, path


def _entries(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


# ---------------------------------------------------------------- the big crafted files
@linux_only
def test_crafted_files_fail_fast_in_little_memory(tmp_path):
    cases = []
    for name, make in H.CRAFTED.items():
        ext = ".safetensors" if name.endswith("safetensors") else ".ember"
        path = make(str(tmp_path / (name + ext)))
        cases.append(("load_weights" if ext == ".safetensors" else "load_model") + "=" + path)
    proc = subprocess.run([sys.executable, PROBE, *cases], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == len(H.CRAFTED) == 9
    for r in results:
        name = os.path.basename(r["path"])
        assert r["error"] is not None and r["error"][0] == "FileFormatError", (name, r)
        assert r["path"] in r["error"][1], r
        assert r["seconds"] < 1.0, (name, r["seconds"])
        assert r["rss_mb"] < 50, (name, r["rss_mb"])
    messages = {os.path.basename(r["path"]).split(".")[0]: r["error"][1] for r in results}
    assert "zip bomb" in messages["zip_bomb"] and "model.safetensors" in messages["zip_bomb"]
    assert "model.safetensors" in messages["zip_bomb_lying_header"]
    assert "layer 'dense' (Dense) declares weight 'kernel' of shape (16000, 16000)" in \
        messages["huge_dense"]
    assert "MAX_HEADER_BYTES" in messages["million_tensors"]
    assert "MAX_HEADER_BYTES" in messages["million_tensors_safetensors"]
    assert "more than 32768 tensors" in messages["tensors_over_cap"]
    assert "'config.json' nests deeper than 100" in messages["deep_config"]
    assert "'model' must be an object" in messages["config_at_cap"]


# ---------------------------------------------------------------- archive structure
def _zip_cases(tmp_path):
    cfg = json.dumps(H.dense_config(2, 3)).encode()
    w = H.tiny_weights()
    c, m = "config.json", "model.safetensors"
    return {
        "duplicate_entry": ([{"name": c, "data": cfg}, {"name": c, "data": cfg},
                             {"name": m, "data": w}], "holds the entry 'config.json' twice"),
        "unexpected_entry": ([{"name": c, "data": cfg}, {"name": m, "data": w},
                              {"name": "../evil.py", "data": b"x"}], "unexpected entries"),
        "missing_weights": ([{"name": c, "data": cfg}], "lacks ['model.safetensors']"),
        "many_entries": ([{"name": f"e{i}", "data": b""} for i in range(40)],
                         "lists 40 entries"),
        "encrypted": ([{"name": c, "data": cfg, "flags": 1}, {"name": m, "data": w}],
                      "entry 'config.json' is encrypted"),
        "bzip2": ([{"name": c, "data": cfg}, {"name": m, "data": w, "method": 12}],
                  "entry 'model.safetensors' uses zip compression method 12"),
        "stored_size_lies": ([{"name": c, "data": cfg, "size": 10 << 20},
                              {"name": m, "data": w}],
                             "entry 'config.json' is stored uncompressed but declares"),
        "config_over_cap": ([{"name": c, "data": b" " * (1 << 20) + cfg}, {"name": m, "data": w}],
                            "entry 'config.json' declares"),
        "bad_crc": ([{"name": c, "data": cfg, "crc": 1}, {"name": m, "data": w}],
                    "entry 'config.json': damaged data"),
    }


@pytest.mark.parametrize("case", list(_zip_cases(None)))
def test_bad_archives_name_the_file_and_entry(tmp_path, monkeypatch, case):
    entries, message = _zip_cases(tmp_path)[case]
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 1 << 20)
    path = H.raw_zip(tmp_path / f"{case}.ember", entries)
    with pytest.raises(FileFormatError) as info:
        em.models.load_model(path)
    assert path in str(info.value) and message in str(info.value)
    assert "corrupt weights" not in str(info.value)


def test_entry_inflating_past_its_header_is_cut_off(tmp_path):
    import zlib

    data = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = data.compress(b"{" + b" " * 500_000 + b"}") + data.flush()
    path = H.raw_zip(tmp_path / "lying.ember", [
        {"name": "config.json", "data": stream, "method": 8, "size": 100},
        {"name": "model.safetensors", "data": H.tiny_weights()}])
    with pytest.raises(FileFormatError, match="entry 'config.json'") as info:
        em.models.load_model(path)
    assert path in str(info.value)


def _special(tmp_path, kind, name):
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        path = str(tmp_path / name)
        os.mkfifo(path)  # opening it to read would wait for a writer forever
        return path
    if kind == "directory":
        path = str(tmp_path / name)
        os.mkdir(path)
        return path
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    return "/dev/zero"  # endless: reading it whole would never finish


@pytest.mark.parametrize("kind", ["fifo", "directory", "char_device"])
def test_non_regular_files_are_refused_at_once(tmp_path, kind):
    model = em.Sequential([em.layers.Dense(2, input_shape=(3,))])
    ember_path = _special(tmp_path, kind, "x.ember")
    weights_path = _special(tmp_path, kind, "x.weights.safetensors")
    for load, path in ((em.models.load_model, ember_path), (model.load_weights, ember_path),
                       (model.load_weights, weights_path)):
        with pytest.raises(FileFormatError, match="not a regular file") as info:
            load(path)
        assert path in str(info.value)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*nothing.ember"):
        em.models.load_model(str(tmp_path / "nothing.ember"))


# ---------------------------------------------------------------- config.json
def _with_config(tmp_path, name, config):
    return H.ember_file(str(tmp_path / f"{name}.ember"), config=config)


CONFIG_CASES = {
    "empty": (b"", "entry 'config.json' is empty"),
    "list": (b"[1, 2]", "entry 'config.json' must hold a JSON object; got a list"),
    "string": (b'"model"', "must hold a JSON object; got a string"),
    "not_json": (b"{model: 1}", "entry 'config.json' is not valid JSON"),
    "not_utf8": (b'{"a": "\xff\xfe"}', "entry 'config.json' is not UTF-8"),
    "repeated_key": (b'{"model": 1, "model": 2}', "repeats the key 'model'"),
    "no_model": ({"ember_version": "0.1.0"}, "config.json has no 'model' entry"),
    "model_not_object": ({"model": [1]}, "config.json 'model' must be an object"),
    "class_name_number": ({"model": {"class_name": 3}}, "'model.class_name' must be a string"),
    "unknown_class": ({"model": {"class_name": "os.system", "config": {}}},
                      "unknown class or function 'os.system'"),
    "layer_class_name_type": (
        {"model": {"class_name": "Sequential", "config": {"layers": [{"class_name": [1]}]}}},
        "'model.config.layers[0].class_name' must be a string"),
    "layers_missing": ({"model": {"class_name": "Sequential", "config": {"name": "s"}}},
                       "cannot be rebuilt (KeyError: missing key 'layers')"),
    "units_wrong_type": (
        {"model": {"class_name": "Sequential", "config": {"input_shape": [None, 3],
                   "layers": [{"class_name": "Dense", "config": {"units": "many"}}]}}},
        "Dense"),
    "shape_wrong_type": ({**H.dense_config(2, 3), "build_input_shape": "3"},
                         "'build_input_shape' must be a list"),
    "negative_size": ({**H.dense_config(2, 3), "build_input_shape": [None, -3]},
                      "'build_input_shape[1]' must be a size >= 0"),
    "compile_without_optimizer": ({**H.dense_config(2, 3), "compile": {"loss": "mse"}},
                                  "'compile' has no 'optimizer'"),
    "metrics_wrong_type": ({**H.dense_config(2, 3), "compile": {
        "optimizer": {"class_name": "Adam", "config": {}}, "loss": "mse", "metrics": 5}},
        "'compile.metrics' must be a list of metrics"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_configs_name_the_file_and_the_key(tmp_path, case):
    config, message = CONFIG_CASES[case]
    path = _with_config(tmp_path, case, config)
    with pytest.raises(FileFormatError) as info:
        em.models.load_model(path)
    text = str(info.value)
    assert path in text and message in text, text
    assert "corrupt weights" not in text  # said only of the weights


# ---------------------------------------------------------------- the weights entry
def _header(**tensors):
    return {name: {"dtype": "F32", "shape": list(shape), "data_offsets": list(off)}
            for name, (shape, off) in tensors.items()}


WEIGHT_CASES = {
    "too_short": (b"\x01\x00", "too short for a safetensors header"),
    "length_past_end": (b"\xff" * 8 + b"{}", "header length"),
    "header_not_json": (H.safetensors_bytes(b"{nope}"), "not JSON"),
    "header_list": (H.safetensors_bytes(b"[]"), "expected a JSON object"),
    "repeated_name": (H.safetensors_bytes(
        b'{"00000/dense/kernel":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},'
        b'"00000/dense/kernel":{"dtype":"F32","shape":[3,2],"data_offsets":[24,48]}}',
        bytes(48)), "repeats the key '00000/dense/kernel'"),
    "missing_dtype": (H.safetensors_bytes({"a": {"shape": [1], "data_offsets": [0, 4]}},
                                          bytes(4)), "tensor 'a' lacks ['dtype']"),
    "bad_dtype": (H.safetensors_bytes({"a": {"dtype": "F128", "shape": [1],
                                             "data_offsets": [0, 4]}}, bytes(4)),
                  "unsupported dtype 'F128'"),
    "negative_shape": (H.safetensors_bytes(_header(a=((-1,), (0, 4)))), "has the shape [-1]"),
    "shape_string": (H.safetensors_bytes({"a": {"dtype": "F32", "shape": "3",
                                                "data_offsets": [0, 12]}}, bytes(12)),
                     "tensor 'a''s shape must be a list"),
    "size_mismatch": (H.safetensors_bytes(_header(a=((3, 2), (0, 8))), bytes(8)),
                      "needs 24 bytes; its offsets span 8"),
    "overlap": (H.safetensors_bytes(_header(a=((2,), (0, 8)), b=((2,), (4, 12))), bytes(12)),
                "tensor 'b' starts at 4, which overlaps"),
    "gap": (H.safetensors_bytes(_header(a=((2,), (8, 16))), bytes(16)), "leaves a gap"),
    "data_longer": (H.safetensors_bytes(_header(a=((2,), (0, 8))), bytes(12)),
                    "the tensors take 8 bytes but the data section holds 12"),
    "metadata_list": (H.safetensors_bytes({"__metadata__": [1]}), "'__metadata__' must be"),
}


@pytest.mark.parametrize("case", list(WEIGHT_CASES))
def test_bad_weights_name_the_file_and_say_corrupt_weights(tmp_path, case):
    blob, message = WEIGHT_CASES[case]
    path = H.ember_file(str(tmp_path / f"{case}.ember"), weights=blob)
    with pytest.raises(FileFormatError) as info:
        em.models.load_model(path)
    text = str(info.value)
    assert path in text and "model.safetensors" in text and message in text, text
    # the same bytes as a plain .safetensors file, through load_weights
    plain = str(tmp_path / f"{case}.weights.safetensors")
    with open(plain, "wb") as f:
        f.write(blob)
    model = em.Sequential([em.layers.Dense(2, input_shape=(3,))])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(FileFormatError) as info:
        model.load_weights(plain)
    assert plain in str(info.value) and message in str(info.value)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_declared_shapes_are_checked_before_weights_are_allocated(tmp_path, monkeypatch):
    path = H.huge_dense(str(tmp_path / "huge.ember"))
    made = []
    real = em.Variable.__init__

    def spy(self, *args, **kwargs):
        made.append(kwargs.get("shape"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(em.Variable, "__init__", spy)
    with pytest.raises(FileFormatError, match=r"layer 'dense' \(Dense\) declares weight "
                                              r"'kernel' of shape \(16000, 16000\)"):
        em.models.load_model(path)
    assert made == []  # not one weight was created


def test_a_valid_file_with_a_larger_model_still_loads(tmp_path):
    """The caps are far above real models: a 1.2 M-parameter net with Adam state loads."""
    model = em.Sequential([em.layers.Dense(1024, input_shape=(1024,)), em.layers.Dense(64)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((8, 1024), np.float32)
    model.fit(x, np.ones((8, 64), np.float32), verbose=0)
    path = str(tmp_path / "big.ember")
    model.save(path)
    same = em.models.load_model(path)
    np.testing.assert_array_equal(same.predict(x, verbose=0), model.predict(x, verbose=0))
    assert same.optimizer.iterations == model.optimizer.iterations


@em.serialization.register_serializable(package="hostile_tests")
class Twice(em.layers.Layer):  # no weights, no compute_output_shape: built by probing
    def call(self, x):
        return x * 2


def test_a_crafted_input_shape_cannot_make_probing_allocate(tmp_path):
    import time

    config = {"model": {"class_name": "Sequential", "config": {
        "name": "s", "input_shape": [None, 5000, 5000],
        "layers": [{"class_name": "hostile_tests>Twice", "config": {"name": "twice"}}]}},
        "build_input_shape": [None, 5000, 5000]}
    path = H.ember_file(str(tmp_path / "probe.ember"), config=config,
                        weights=H.safetensors_bytes({}))
    start = time.perf_counter()
    with pytest.raises(FileFormatError, match=r"building Twice 'twice' would run it on zeros "
                                              r"of shape \(None, 5000, 5000\)") as info:
        em.models.load_model(path)
    assert path in str(info.value) and time.perf_counter() - start < 1.0
    small = dict(config, build_input_shape=[None, 3])
    small["model"]["config"]["input_shape"] = [None, 3]
    model = em.models.load_model(H.ember_file(str(tmp_path / "ok.ember"), config=small,
                                              weights=H.safetensors_bytes({})))
    assert model.predict(np.ones((1, 3), np.float32), verbose=0).tolist() == [[2.0, 2.0, 2.0]]
