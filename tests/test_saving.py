"""Saving without pickle: round trips, resumption, custom layers, and files that must be refused
without touching the disk."""

import json
import os
import zipfile

import numpy as np
import pytest

import ember as em
from ember import saving

L = em.layers


def _trained(seed=0):
    em.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((64, 5)).astype(np.float32)
    y = (x.sum(axis=1) > 2.5).astype(np.int64)
    model = em.Sequential([L.Dense(8, activation="relu", input_shape=(5,)), L.Dropout(0.2),
                           L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    return model, x, y


def test_round_trip_predicts_bit_identically(tmp_path):
    model, x, _ = _trained()
    path = str(tmp_path / "m.ember")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "model.safetensors"]
        config = json.loads(zf.read("config.json"))
    assert config["ember_version"] == em.__version__
    assert config["model"]["class_name"] == "Sequential"
    same = em.models.load_model(path)
    np.testing.assert_array_equal(same.predict(x, verbose=0), model.predict(x, verbose=0))


def test_loaded_model_resumes_training_identically(tmp_path):
    model, x, y = _trained()
    path = str(tmp_path / "m.ember")
    model.save(path)
    state = em.backend.get_rng_state()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    same = em.models.load_model(path)  # (building it draws initial weights: set the state after)
    em.backend.set_rng_state(state)
    assert same.optimizer.iterations == 8
    same.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)


@em.serialization.register_serializable(package="tests")
class Scale(L.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_registered_custom_layer_survives_a_round_trip(tmp_path):
    inp = em.Input(shape=(3,))
    model = em.Model(inp, L.Dense(2)(Scale(3.0)(inp)))
    path = str(tmp_path / "custom.ember")
    model.save(path)
    same = em.models.load_model(path)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(same.predict(x, verbose=0), model.predict(x, verbose=0))
    assert same.layers[1].factor == 3.0


def test_unregistered_custom_layer_cannot_be_saved(tmp_path):
    class Unregistered(L.Layer):
        def call(self, x):
            return x

    model = em.Sequential([Unregistered(input_shape=(2,)), L.Dense(1)])
    with pytest.raises(ValueError, match="register_serializable"):
        model.save(str(tmp_path / "x.ember"))
    assert not os.listdir(tmp_path)


def _rewrite(src, dst, config=None, arrays=None, extra=None):
    with zipfile.ZipFile(src) as zf:
        cfg = json.loads(zf.read("config.json"))
        weights = zf.read("model.safetensors")
    if config is not None:
        cfg = config(cfg)
    if arrays is not None:
        import safetensors.numpy as st

        weights = st.save(arrays(st.load(weights)))
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("config.json", json.dumps(cfg))
        zf.writestr("model.safetensors", weights)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)


def _listing(folder):
    return sorted((p, os.path.getsize(os.path.join(folder, p))) for p in os.listdir(folder))


@pytest.mark.parametrize("case", ["unknown_class", "missing_weight", "bad_shape", "traversal",
                                  "truncated", "not_zip"])
def test_bad_files_are_refused_and_change_nothing(tmp_path, case):
    model, _, _ = _trained()
    good = str(tmp_path / "good.ember")
    model.save(good)
    bad = str(tmp_path / "bad.ember")
    if case == "unknown_class":
        def cfg(c):
            c["model"]["config"]["layers"][0]["class_name"] = "os.system"
            return c
        _rewrite(good, bad, config=cfg)
        msg = "unknown class"
    elif case == "missing_weight":
        _rewrite(good, bad, arrays=lambda a: {k: v for k, v in a.items()
                                              if not k.startswith("00000/")})
        msg = "declares weight 'kernel' of shape"
    elif case == "bad_shape":
        _rewrite(good, bad, arrays=lambda a: {k: (v[:1] if k.startswith("00000/") else v)
                                              for k, v in a.items()})
        msg = "declares weight 'kernel' of shape"
    elif case == "traversal":
        _rewrite(good, bad, extra={"../../evil.py": b"print('pwned')"})
        msg = "unexpected entries"
    elif case == "truncated":
        data = open(good, "rb").read()
        open(bad, "wb").write(data[: len(data) // 2])
        msg = "not a valid .ember file"
    else:
        open(bad, "wb").write(b"definitely not a zip")
        msg = "not a valid .ember file"
    before = _listing(tmp_path)
    with pytest.raises(ValueError, match=msg):
        em.models.load_model(bad)
    assert _listing(tmp_path) == before
    assert not (tmp_path.parent / "evil.py").exists()


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    model, _, _ = _trained()
    path = str(tmp_path / "m.ember")
    model.save(path)
    original = open(path, "rb").read()

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(saving.os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert open(path, "rb").read() == original
    assert os.listdir(tmp_path) == ["m.ember"]  # no temporary file left behind


def test_save_and_load_weights(tmp_path):
    model, x, _ = _trained()
    path = str(tmp_path / "w.weights.safetensors")
    model.save_weights(path)
    other, _, _ = _trained(seed=1)
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="weights.safetensors"):
        model.save_weights(str(tmp_path / "w.bin"))
    small = em.Sequential([L.Dense(3, input_shape=(5,))])
    with pytest.raises(ValueError, match="architecture differs"):
        small.load_weights(path)


def test_saved_files_get_the_usual_permissions(tmp_path):
    model, _, _ = _trained()
    path = tmp_path / "m.ember"
    model.save(str(path))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
