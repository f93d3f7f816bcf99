"""Loading anywhere: files saved in one process load in a fresh one after a plain
``import ember`` (or ``from ember.models import load_model``), for a model that uses every
registered class at least once (found by walking the registry, so a new class is covered, or
this test names it), with and without compile, through load_model, load_weights,
ModelCheckpoint and BackupAndRestore."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from save_every_class import SAVE

LOAD = textwrap.dedent('''
    import json, os, sys
    import numpy as np
    out, style = sys.argv[1], sys.argv[2]
    if style == "import ember":
        import ember as em
        load_model = em.models.load_model
    else:
        from ember.models import load_model
    assert "ember.initializers" not in sys.modules and "ember.optimizers" not in sys.modules
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    exp = np.load(os.path.join(out, "expected.npz"))
    main_x = [exp[f"x{i}"] for i in range(4)]
    xs = {"main": main_x, "small": exp["small_x"], "text": exp["text_x"], "ids": exp["ids_x"],
          "floats": exp["floats_x"]}
    checked = []
    for file, info in manifest["files"].items():
        path = os.path.join(out, file)
        x = xs[info["x"]]
        key = "main" if file == "main.ember" else file
        for compile in (True, False):
            model = load_model(path, compile=compile)
            np.testing.assert_array_equal(model.predict(x, verbose=0), exp[key])
            if compile:
                assert type(model.optimizer).__name__ == info["optimizer"], file
                assert model.optimizer.iterations == info["iterations"], file
            else:
                assert model.optimizer is None, file
            checked.append(f"{file}:{compile}")
    ckpt = os.path.join(out, "ckpt", "model.ember")
    model = load_model(ckpt)
    np.testing.assert_array_equal(model.predict(xs["small"], verbose=0), exp["callbacks"])
    assert model.optimizer.iterations == manifest["iterations"]
    fresh = load_model(os.path.join(out, "loss_Huber.ember"), compile=False)
    fresh.load_weights(os.path.join(out, "ckpt", "w.weights.safetensors"))
    np.testing.assert_array_equal(fresh.predict(xs["small"], verbose=0), exp["callbacks"])
    fresh.load_weights(ckpt)
    np.testing.assert_array_equal(fresh.predict(xs["small"], verbose=0), exp["callbacks"])
    import ember as em
    resumed = load_model(os.path.join(out, "optimizer_Adam.ember"))
    cb = em.callbacks.BackupAndRestore(os.path.join(out, "backup"))
    cb.set_model(resumed)
    cb.on_train_begin()
    np.testing.assert_array_equal(resumed.predict(xs["small"], verbose=0), exp["callbacks"])
    assert resumed.optimizer.iterations == manifest["iterations"] and resumed._resume_epoch == 2
    # every registered name resolves here too (callbacks included: they are never in a file)
    from ember import serialization
    for name in manifest["kinds"]:
        assert serialization.lookup(name) is not None
    print(json.dumps({"checked": len(checked) + 4}))
''')


def _run(code, *args):
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("fresh"))
    _run(SAVE, out)
    return out


def _names_in(value, found):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item)


def test_every_registered_class_is_in_a_saved_file(saved):
    import zipfile

    manifest = json.load(open(os.path.join(saved, "manifest.json")))
    found: set = set()
    for root, _, files in os.walk(saved):
        for file in files:
            if file.endswith(".ember"):
                with zipfile.ZipFile(os.path.join(root, file)) as zf:
                    _names_in(json.loads(zf.read("config.json")), found)
    kinds = manifest["kinds"]
    # threshold(x, threshold, default_value) has no defaults: no layer can name it (as Keras)
    exempt = {n for n, k in kinds.items() if k == "callback"} | {"Layer", "Lambda", "threshold"}
    missing = sorted(n for n in kinds if n not in found and n not in exempt)
    assert missing == [], f"registered but in no saved file: {missing}"
    assert {"GlorotUniform", "Adam", "Dense", "relu", "Sequential", "Model", "InputLayer",
            "metrics.AUC", "ExponentialDecay", "L1L2", "Huber"} <= found


def test_lambda_is_never_saved():
    import ember as em

    model = em.Sequential([em.layers.Lambda(lambda t: t * 2, input_shape=(2,))])
    with pytest.raises(NotImplementedError, match="Lambda"):
        model.save(os.devnull + ".ember")


@pytest.mark.parametrize("style", ["import ember", "from ember.models import load_model"])
def test_files_load_in_a_fresh_process(saved, style):
    result = json.loads(_run(LOAD, saved, style).strip().splitlines()[-1])
    files = json.load(open(os.path.join(saved, "manifest.json")))["files"]
    assert result["checked"] == 2 * len(files) + 4


COVERAGE = textwrap.dedent('''
    import importlib, json, pkgutil, sys
    import ember
    from ember import serialization
    if sys.argv[1] == "all":  # import every ember module that imports here
        for mod in pkgutil.walk_packages(ember.__path__, "ember."):
            try:
                importlib.import_module(mod.name)
            except Exception:
                pass
        print(json.dumps(sorted(serialization._REGISTRY)))
    else:
        print(json.dumps(sorted(serialization.registered())))
''')


def test_load_builtins_registers_what_every_module_registers():
    everything = json.loads(_run(COVERAGE, "all").strip().splitlines()[-1])
    lazy = json.loads(_run(COVERAGE, "lazy").strip().splitlines()[-1])
    assert sorted(set(everything) - set(lazy)) == []
    assert len(lazy) > 150
