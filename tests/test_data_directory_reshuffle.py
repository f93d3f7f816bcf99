"""Which subsets of text/image_dataset_from_directory are reshuffled each epoch, against
Keras 3's default (``format="tf"``, TensorFlow in a child process): the training subset and a
``subset="validation"`` dataset are; the validation half of ``subset="both"`` is not and
keeps the split's order. (grain's format shuffles once and never again; Keras' default is
tf.)"""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

SNIPPET = """
f = keras.utils.text_dataset_from_directory
def epochs(ds):
    return [[t.decode() for b in ds for t in np.asarray(b[0]).tolist()] for _ in range(3)]
for subset in ("validation", "training"):
    for i, e in enumerate(epochs(f("t", seed=11, validation_split=0.5, subset=subset,
                                   batch_size=4, verbose=False))):
        out[f"{subset}_{i}"] = np.array(e)
tr, va = f("t", seed=11, validation_split=0.5, subset="both", batch_size=4, verbose=False)
for i, e in enumerate(epochs(va)):
    out[f"both_val_{i}"] = np.array(e)
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("reshuffle")
    for i in range(30):
        d = root / "t" / ("a" if i % 2 == 0 else "b")
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.txt").write_text(f"doc{i}\n")
    return root


@pytest.fixture(scope="module")
def keras_out(folder):
    return run_keras(SNIPPET, folder, tensorflow=True)


def _epochs(ds):
    return [[str(t) for b in ds for t in np.asarray(b[0]).tolist()] for _ in range(3)]


@pytest.mark.parametrize("subset", ["validation", "training"])
def test_single_subsets_reshuffle_each_epoch_as_keras(folder, keras_out, monkeypatch, subset):
    monkeypatch.chdir(folder)
    want = [keras_out[f"{subset}_{i}"].tolist() for i in range(3)]
    assert want[0] != want[1] or want[1] != want[2]  # Keras reshuffles this subset
    got = _epochs(em.data.text_dataset_from_directory(
        "t", seed=11, validation_split=0.5, subset=subset, batch_size=4, verbose=False))
    assert got[0] != got[1] or got[1] != got[2]
    assert all(sorted(g) == sorted(want[0]) for g in got)  # the same files every epoch


def test_validation_half_of_both_keeps_the_split_order_as_keras(folder, keras_out,
                                                                monkeypatch):
    monkeypatch.chdir(folder)
    want = [keras_out[f"both_val_{i}"].tolist() for i in range(3)]
    assert want[0] == want[1] == want[2]
    _, val = em.data.text_dataset_from_directory("t", seed=11, validation_split=0.5,
                                                 subset="both", batch_size=4, verbose=False)
    assert _epochs(val) == want
