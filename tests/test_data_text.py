"""text_dataset_from_directory and pad_sequences against Keras 3 (grain format, JAX)."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

SNIPPET = """
f = keras.utils.text_dataset_from_directory
def grab(ds, tag, labelled=True):
    texts, ys = [], []
    for b in ds:
        if labelled:
            texts += [str(t) for t in np.asarray(b[0]).tolist()]; ys.append(np.asarray(b[1]))
        else:
            texts += [str(t) for t in np.asarray(b).tolist()]
    out[tag + "_texts"] = np.array(texts)
    if ys:
        out[tag + "_y"] = np.concatenate(ys)
kw = dict(format="grain", verbose=False)
grab(f("t", batch_size=3, shuffle=False, **kw), "plain")
grab(f("t", batch_size=2, shuffle=False, max_length=4, label_mode="categorical", **kw), "cut")
grab(f("t", batch_size=5, shuffle=False, label_mode=None, **kw), "nolabel", False)
# Keras' grain text datasets carry no file_paths: the listing and split come from the same
# helpers its loader calls
from keras.src.utils import dataset_utils as du
paths, labels, _ = du.index_directory("t", "inferred", formats=(".txt",), shuffle=False)
out["sorted_paths"] = np.array(paths)
paths, labels, _ = du.index_directory("t", "inferred", formats=(".txt",), seed=11)
tr = du.get_training_or_validation_split(paths, labels, 0.4, "training")
va = du.get_training_or_validation_split(paths, labels, 0.4, "validation")
out["train_paths"] = np.array(tr[0]); out["val_paths"] = np.array(va[0])
out["val_labels"] = np.asarray(va[1])
val_ds = f("t", seed=11, validation_split=0.4, subset="validation", **kw)
out["val_texts"] = np.array([str(t) for b in val_ds for t in np.asarray(b[0]).tolist()])
p = keras.utils.pad_sequences
seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
out["pad_default"] = p(seqs)
out["pad_post"] = p(seqs, maxlen=3, padding="post", truncating="post", value=-1)
out["pad_pre_trunc"] = p(seqs, maxlen=2, padding="post")
out["pad_float"] = p([[0.5, 1.5], [2.5]], dtype="float32", maxlen=3)
out["pad_nd"] = p([np.ones((3, 2)), np.zeros((1, 2))], maxlen=2)
"""

TEXTS = {"neg": ["awful film", "boring, long", "Terrible\nacting", "meh ünïcode"],
         "pos": ["great film!", "loved it", "wonderful", "so good", "five stars"]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("text")
    for label, texts in TEXTS.items():
        (root / "t" / label).mkdir(parents=True)
        for i, text in enumerate(texts):
            (root / "t" / label / f"r{i}.txt").write_text(text, encoding="utf-8")
    (root / "t" / "pos" / "skip.md").write_text("not a txt")
    return root


@pytest.fixture(scope="module")
def keras_out(folder):
    return run_keras(SNIPPET, folder, "grain")


def collect(ds):
    texts, ys = [], []
    for b in ds:
        if isinstance(b, tuple):
            texts += list(b[0])
            ys.append(b[1])
        else:
            texts += list(b)
    return texts, (np.concatenate(ys) if ys else None)


@pytest.mark.parametrize("tag,kw", [
    ("plain", dict(batch_size=3)),
    ("cut", dict(batch_size=2, max_length=4, label_mode="categorical")),
    ("nolabel", dict(batch_size=5, label_mode=None)),
])
def test_matches_keras(folder, keras_out, monkeypatch, tag, kw):
    monkeypatch.chdir(folder)
    ds = em.data.text_dataset_from_directory("t", shuffle=False, verbose=False, **kw)
    assert ds.file_paths == keras_out["sorted_paths"].tolist()
    texts, y = collect(ds)
    assert texts == keras_out[f"{tag}_texts"].tolist()
    if y is not None:
        np.testing.assert_array_equal(y, keras_out[f"{tag}_y"])
        assert y.dtype == keras_out[f"{tag}_y"].dtype
    if tag == "plain":
        assert ds.class_names == ["neg", "pos"]


def test_split_matches_keras(folder, keras_out, monkeypatch):
    monkeypatch.chdir(folder)
    tr, va = em.data.text_dataset_from_directory("t", seed=11, validation_split=0.4,
                                                 subset="both", verbose=False)
    assert tr.file_paths == keras_out["train_paths"].tolist()
    assert va.file_paths == keras_out["val_paths"].tolist()
    texts, y = collect(va)  # subset="both": the validation part is not reshuffled
    np.testing.assert_array_equal(y, keras_out["val_labels"])
    # Keras' subset="validation" alone reshuffles with grain's own order: the same texts
    assert sorted(texts) == sorted(keras_out["val_texts"].tolist())


def test_vectorize_and_train(folder, monkeypatch):
    monkeypatch.chdir(folder)
    raw = em.data.text_dataset_from_directory("t", batch_size=4, seed=1, verbose=False)
    vectorize = em.layers.TextVectorization(max_tokens=40, output_sequence_length=5)
    vectorize.adapt(raw.map(lambda text, label: text))
    assert "film" in vectorize.get_vocabulary()
    ds = raw.map(lambda text, label: (vectorize(text).numpy(), label))
    model = em.Sequential([em.layers.Input((5,)), em.layers.Embedding(40, 4),
                           em.layers.GlobalAveragePooling1D(), em.layers.Dense(2)])
    model.compile("adam", em.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert np.isfinite(model.fit(ds, epochs=2, verbose=0).history["loss"]).all()


@pytest.mark.parametrize("tag,kw,seqs", [
    ("pad_default", {}, [[1, 2, 3, 4], [5], [], [6, 7]]),
    ("pad_post", dict(maxlen=3, padding="post", truncating="post", value=-1),
     [[1, 2, 3, 4], [5], [], [6, 7]]),
    ("pad_pre_trunc", dict(maxlen=2, padding="post"), [[1, 2, 3, 4], [5], [], [6, 7]]),
    ("pad_float", dict(dtype="float32", maxlen=3), [[0.5, 1.5], [2.5]]),
    ("pad_nd", dict(maxlen=2), [np.ones((3, 2)), np.zeros((1, 2))]),
])
def test_pad_sequences_matches_keras(keras_out, tag, kw, seqs):
    got = em.utils.pad_sequences(seqs, **kw)
    np.testing.assert_array_equal(got, keras_out[tag])
    assert got.dtype == keras_out[tag].dtype


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'; got 'middle'"):
        em.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="sequence 1 has samples of shape"):
        em.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_no_text_files(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="no text files found"):
        em.data.text_dataset_from_directory(tmp_path, verbose=False)
