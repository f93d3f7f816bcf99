"""Restoring a checkpoint or a backup checks everything (weights, optimizer slots, step count,
epoch, random state) before it changes anything: a bad file leaves the model, its optimizer
and the random generator exactly as they were."""

import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy as st

import ember as em
from ember.safe_io import FileFormatError


def _model(seed, steps=2):
    em.utils.set_random_seed(seed)
    model = em.Sequential([em.layers.Dense(4, activation="relu", input_shape=(3,)),
                           em.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(seed)
    x = rng.random((8, 3)).astype(np.float32)
    model.fit(x, rng.random((8, 2)).astype(np.float32), epochs=steps, batch_size=8, verbose=0)
    return model


def _backup(tmp_path):
    """A valid BackupAndRestore file written by a real run's callback."""
    folder = tmp_path / "backup"
    model = _model(0)
    cb = em.callbacks.BackupAndRestore(str(folder))
    cb.set_model(model)
    cb.on_epoch_end(3)
    return str(folder / "latest.ember")


def _rewrite(path, arrays=None, config=None):
    with zipfile.ZipFile(path) as zf:
        cfg = json.loads(zf.read("config.json"))
        tensors = st.load(zf.read("model.safetensors"))
    if arrays is not None:
        tensors = arrays(tensors)
    if config is not None:
        cfg = config(cfg)
    os.remove(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(cfg))
        zf.writestr("model.safetensors", st.save(tensors))


def _first(a, prefix):
    return next(k for k in sorted(a) if k.startswith(prefix))


def _set(a, key, value):
    a = dict(a)
    a[key] = value
    return a


def _drop(a, key):
    return {k: v for k, v in a.items() if k != key}


def _slot(a, name):
    return next(k for k in sorted(a) if k.startswith(f"optimizer/{name}/"))


def _backup_cfg(**changes):
    def edit(c):
        c["backup"].update(changes)
        return c
    return edit


# (arrays edit, config edit, words the message must hold)
CASES = {
    "weight_shape": (lambda a: _set(a, _first(a, "00000/"), np.zeros((5, 4), np.float32)),
                     None, "has shape (5, 4) in the file"),
    "weight_missing": (lambda a: _drop(a, _first(a, "00003/")), None,
                       "holds 3 weights but the model has 4"),
    "weight_extra": (lambda a: _set(a, "00004/extra/w", np.zeros(2, np.float32)), None,
                     "holds 5 weights but the model has 4"),
    "slot_shape": (lambda a: _set(a, _slot(a, "momentum"), np.zeros((7,), np.float32)), None,
                   "optimizer state does not fit"),
    "slot_unknown": (lambda a: _set(a, "optimizer/mass/0", np.zeros((3, 4), np.float32)),
                     None, "unexpected entry 'mass/0'"),
    "slot_missing": (lambda a: _drop(a, _slot(a, "velocity")), None,
                     "lacks the slots ['velocity']"),
    "iterations_negative": (lambda a: _set(a, "optimizer/iterations", np.array(-3)), None,
                            "'iterations' must be a whole number >= 0"),
    "iterations_fraction": (lambda a: _set(a, "optimizer/iterations", np.array(2.5)), None,
                            "'iterations' must be a whole number >= 0"),
    "iterations_missing": (lambda a: _drop(a, "optimizer/iterations"), None,
                           "no 'iterations' entry"),
    "learning_rate_nan": (lambda a: _set(a, "optimizer/learning_rate", np.array(np.nan)), None,
                          "'learning_rate' must be a finite number"),
    "backup_missing": (None, lambda c: {k: v for k, v in c.items() if k != "backup"},
                       "config.json 'backup' must be an object"),
    "epoch_string": (None, _backup_cfg(epoch="3"), "'backup.epoch' must be a whole number"),
    "epoch_negative": (None, _backup_cfg(epoch=-2), "'backup.epoch' must be >= 0"),
    "epoch_missing": (None, lambda c: {**c, "backup": {"rng": c["backup"]["rng"]}},
                      "'backup.epoch' must be a whole number"),
    "rng_garbage": (None, _backup_cfg(rng={"seed": 0, "numpy": {"state": "x"}}),
                    "'backup.rng.numpy' is not a state"),
    "rng_seed_type": (None, _backup_cfg(rng={"seed": "zero", "numpy": {}}),
                      "'backup.rng.seed' must be a whole number"),
}


def _snapshot(model):
    state = model.optimizer.get_state()
    return ([w.copy() for w in model.get_weights()], {k: v.copy() for k, v in state.items()},
            model.optimizer.iterations, em.backend.get_rng_state(),
            getattr(model, "_resume_epoch", "unset"))


def _assert_same(before, after):
    for a, b in zip(before[0], after[0]):
        np.testing.assert_array_equal(a, b)
    assert before[1].keys() == after[1].keys()
    for k in before[1]:
        np.testing.assert_array_equal(before[1][k], after[1][k])
    assert before[2:] == after[2:]


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_backup_changes_nothing(tmp_path, case):
    path = _backup(tmp_path)
    arrays, config, message = CASES[case]
    _rewrite(path, arrays, config)
    model = _model(1, steps=3)  # other weights, other optimizer state, other step count
    before = _snapshot(model)
    cb = em.callbacks.BackupAndRestore(os.path.dirname(path))
    cb.set_model(model)
    with pytest.raises(FileFormatError) as info:
        cb.on_train_begin()
    assert path in str(info.value) and message in str(info.value), str(info.value)
    _assert_same(before, _snapshot(model))


def test_a_damaged_data_section_changes_nothing(tmp_path):
    path = _backup(tmp_path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.safetensors")
    data = bytearray(open(path, "rb").read())
    end = info.header_offset + 30 + len(info.filename) + info.compress_size
    data[end - 3] ^= 0xFF  # a byte of the last tensor: the CRC no longer matches
    open(path, "wb").write(bytes(data))
    model = _model(1, steps=3)
    before = _snapshot(model)
    with pytest.raises(FileFormatError, match="model.safetensors.*damaged data"):
        em.saving.restore_into(model, path)
    _assert_same(before, _snapshot(model))


def test_a_good_backup_restores_everything(tmp_path):
    path = _backup(tmp_path)
    source = _model(0)
    model = _model(1, steps=3)
    cb = em.callbacks.BackupAndRestore(os.path.dirname(path))
    cb.set_model(model)
    cb.on_train_begin()
    for a, b in zip(source.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == source.optimizer.iterations
    assert model._resume_epoch == 4


@pytest.mark.parametrize("case", ["weight_shape", "weight_missing", "weight_extra"])
def test_load_weights_from_a_bad_checkpoint_changes_nothing(tmp_path, case):
    model = _model(0)
    path = str(tmp_path / "ckpt.ember")
    model.save(path)
    _rewrite(path, CASES[case][0])
    other = _model(1)
    before = _snapshot(other)
    with pytest.raises(FileFormatError) as info:
        other.load_weights(path)
    assert path in str(info.value) and CASES[case][2] in str(info.value)
    _assert_same(before, _snapshot(other))


def test_set_state_checks_before_changing_the_optimizer():
    model = _model(0)
    opt = model.optimizer
    state = opt.get_state()
    before = _snapshot(model)
    bad = dict(state, **{"momentum/1": np.zeros(99, np.float32)})
    with pytest.raises(ValueError, match="Adam.set_state: 'momentum/.' has shape"):
        opt.set_state(bad, [em.Variable(np.zeros(3))] + list(model.trainable_weights))
    _assert_same(before, _snapshot(model))
    assert len(opt._params) == 4  # the parameters it had, not the ones given
