"""TextVectorization, StringLookup, IntegerLookup, CategoryEncoding, Discretization against
Keras 3. Keras' text and lookup layers need TensorFlow: that oracle runs where TensorFlow is
importable (or $EMBER_KERAS_TF_PYTHON names an interpreter that has it) and skips elsewhere;
CategoryEncoding and Discretization are compared under Keras on JAX."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

CORPUS = ["The cat sat on the mat.", "THE DOG ate my homework!", "a cat, a dog; a bird?",
          "Élan vital -- well-known e-mail", "the the the cat", "", "dog   cat\tbird\nfish",
          "zebra yak xylophone", "Yak yak YAK"]
QUERIES = ["the cat and the bird", "Unknown WORDS here", "dog", "", "élan ÉLAN e-mail"]

# every FarmHash length class: 0, 1-3, 4-7, 8-16, 17-32, 33-64, and the 64-byte-block loop
HASH_WORDS = ["", "A", "abc", "word", "x" * 7, "y" * 8, "z" * 16, "r" * 17, "t" * 32,
              "u" * 33, "v" * 64, "w" * 65, "é" * 40, "k" * 128, "m" * 129, "lorem ipsum " * 30]

TV_CASES = {
    "int": dict(),
    "int_len": dict(max_tokens=8, output_sequence_length=5),
    "lower": dict(standardize="lower", output_sequence_length=6),
    "strip": dict(standardize="strip_punctuation", output_sequence_length=6),
    "none": dict(standardize=None, split="whitespace", output_sequence_length=4),
    "char": dict(split="character", output_sequence_length=12, max_tokens=20),
    "bigrams": dict(ngrams=2, output_sequence_length=9),
    "ngram_tuple": dict(ngrams=(2, 3), output_mode="count"),
    "multi_hot": dict(output_mode="multi_hot", max_tokens=7),
    "multi_pad": dict(output_mode="multi_hot", max_tokens=30, pad_to_max_tokens=True),
    "count": dict(output_mode="count"),
    "tf_idf": dict(output_mode="tf_idf", max_tokens=10),
}

SNIPPET = """
corpus = %r
queries = %r
for tag, kw in %r.items():
    layer = keras.layers.TextVectorization(**kw)
    layer.adapt(np.array(corpus))
    out[tag + "_vocab"] = np.array(layer.get_vocabulary())
    out[tag + "_out"] = np.asarray(layer(np.array(queries)))
    out[tag + "_corpus"] = np.asarray(layer(np.array(corpus)))
sl = keras.layers.StringLookup()
sl.adapt(np.array([["b", "a", "c"], ["a", "b", "a"], ["d", "c", "e"]]))
out["sl_vocab"] = np.array(sl.get_vocabulary())
out["sl_out"] = np.asarray(sl(np.array([["a", "z"], ["e", "b"]])))
sl = keras.layers.StringLookup(vocabulary=["x", "y"], mask_token="", output_mode="int")
out["slm_out"] = np.asarray(sl(np.array(["y", "", "q"])))
out["slm_vocab"] = np.array(sl.get_vocabulary())
sl = keras.layers.StringLookup(vocabulary=["x", "y", "z"], output_mode="one_hot")
out["sl1h_out"] = np.asarray(sl(np.array(["y", "q", "z"])))
inv = keras.layers.StringLookup(vocabulary=["x", "y", "z"], invert=True)
out["slinv_out"] = np.asarray(inv(np.array([[1, 3], [0, 2]]))).astype(str)
il = keras.layers.IntegerLookup()
il.adapt(np.array([7, 3, 3, 9, 7, 3, 12]))
out["il_vocab"] = np.array(il.get_vocabulary())
out["il_out"] = np.asarray(il(np.array([[3, 5], [12, 9]])))
il = keras.layers.IntegerLookup(vocabulary=[10, 20], num_oov_indices=2)
out["il2_out"] = np.asarray(il(np.array([10, 20, 7, 8])))
il = keras.layers.IntegerLookup(vocabulary=[4, 5, 6], output_mode="multi_hot")
out["ilmh_out"] = np.asarray(il(np.array([[4, 6, 9], [5, 5, 5]])))
rng = np.random.default_rng(0)  # Discretization.adapt needs TensorFlow in Keras too
data = rng.normal(size=(500, 1)).astype("float32")
d = keras.layers.Discretization(num_bins=5)
d.adapt(data)
out["d_bins"] = np.array(d.bin_boundaries)
out["d_adapt"] = np.asarray(d(data[:20]))
import tensorflow as tf
out["fingerprints"] = tf.strings.to_hash_bucket_fast(%r, 2 ** 62).numpy()
words = np.array([["cat", "dog"], ["", "fish"], ["a long word " * 9, "x"]])
out["h_int"] = np.asarray(keras.layers.Hashing(num_bins=7)(words))
out["h_mask"] = np.asarray(keras.layers.Hashing(num_bins=5, mask_value="")(words))
out["h_ints"] = np.asarray(keras.layers.Hashing(num_bins=11)(np.array([[3, -40], [12345, 0]])))
out["h_multi"] = np.asarray(keras.layers.Hashing(num_bins=6, output_mode="multi_hot")(words))
out["h_count"] = np.asarray(keras.layers.Hashing(num_bins=6, output_mode="count")(words))
"""


@pytest.fixture(scope="module")
def keras_tf(tmp_path_factory):
    return run_keras(SNIPPET % (CORPUS, QUERIES, TV_CASES, HASH_WORDS),
                     tmp_path_factory.mktemp("text"),
                     tensorflow=True)


@pytest.mark.parametrize("tag", sorted(TV_CASES))
def test_text_vectorization_matches_keras(keras_tf, tag):
    layer = em.layers.TextVectorization(**TV_CASES[tag])
    layer.adapt(np.array(CORPUS))
    assert layer.get_vocabulary() == keras_tf[f"{tag}_vocab"].tolist()
    for which, data in (("out", QUERIES), ("corpus", CORPUS)):
        got = layer(np.array(data)).numpy()
        want = keras_tf[f"{tag}_{which}"]
        assert got.shape == want.shape and got.dtype == want.dtype, (which, got.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_text_vectorization_roundtrips_through_config_and_model(tmp_path):
    layer = em.layers.TextVectorization(max_tokens=12, output_mode="tf_idf")
    layer.adapt(CORPUS)
    again = em.layers.TextVectorization.from_config(layer.get_config())
    assert again.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(again(QUERIES).numpy(), layer(QUERIES).numpy())
    seq = em.layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    seq.adapt(CORPUS)
    model = em.Sequential([seq, em.layers.Embedding(20, 4), em.layers.GlobalAveragePooling1D(),
                           em.layers.Dense(1, activation="sigmoid")])
    x, y = np.array(CORPUS), (np.arange(len(CORPUS)) % 2).astype("float32")
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert model.predict(np.array(QUERIES), verbose=0).shape == (len(QUERIES), 1)
    model.save(tmp_path / "text.ember")  # the vocabulary travels in the model's config
    loaded = em.models.load_model(tmp_path / "text.ember")
    assert loaded.layers[0].get_vocabulary() == seq.get_vocabulary()
    np.testing.assert_allclose(loaded.predict(np.array(QUERIES), verbose=0),
                               model.predict(np.array(QUERIES), verbose=0), rtol=1e-6)


def test_vectorizing_inside_a_pipeline_trains():
    layer = em.layers.TextVectorization(max_tokens=20, output_mode="multi_hot")
    layer.adapt(CORPUS)
    labels = (np.arange(len(CORPUS)) % 2).astype("float32")
    ds = em.data.Dataset.from_tensor_slices((np.array(CORPUS, dtype=object), labels)).batch(3)
    ds = ds.map(lambda text, y: (layer(text).numpy(), y))
    model = em.Sequential([em.layers.Input((layer.vocabulary_size(),)), em.layers.Dense(1)])
    model.compile("adam", "mse")
    assert np.isfinite(model.fit(ds, epochs=2, verbose=0).history["loss"]).all()


@pytest.mark.parametrize("tag,make,data", [
    ("sl", lambda: _adapted(em.layers.StringLookup(),
                            [["b", "a", "c"], ["a", "b", "a"], ["d", "c", "e"]]),
     [["a", "z"], ["e", "b"]]),
    ("slm", lambda: em.layers.StringLookup(vocabulary=["x", "y"], mask_token=""),
     ["y", "", "q"]),
    ("sl1h", lambda: em.layers.StringLookup(vocabulary=["x", "y", "z"], output_mode="one_hot"),
     ["y", "q", "z"]),
    ("il", lambda: _adapted(em.layers.IntegerLookup(), [7, 3, 3, 9, 7, 3, 12]),
     [[3, 5], [12, 9]]),
    ("il2", lambda: em.layers.IntegerLookup(vocabulary=[10, 20], num_oov_indices=2),
     [10, 20, 7, 8]),
    ("ilmh", lambda: em.layers.IntegerLookup(vocabulary=[4, 5, 6], output_mode="multi_hot"),
     [[4, 6, 9], [5, 5, 5]]),
])
def test_lookups_match_keras(keras_tf, tag, make, data):
    layer = make()
    got = layer(np.array(data)).numpy()
    want = keras_tf[f"{tag}_out"]
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if f"{tag}_vocab" in keras_tf:
        assert [str(v) for v in layer.get_vocabulary()] == \
            [str(v) for v in keras_tf[f"{tag}_vocab"].tolist()]


def _adapted(layer, data):
    layer.adapt(np.array(data))
    return layer


def test_string_lookup_invert(keras_tf):
    inv = em.layers.StringLookup(vocabulary=["x", "y", "z"], invert=True)
    assert inv(np.array([[1, 3], [0, 2]])).tolist() == keras_tf["slinv_out"].tolist()


CE_SNIPPET = """
ce = keras.layers.CategoryEncoding
out["ce_multi"] = np.asarray(ce(5, output_mode="multi_hot")(np.array([[0, 1, 1], [4, 2, 0]])))
out["ce_count"] = np.asarray(ce(5, output_mode="count")(np.array([[0, 1, 1], [4, 2, 0]])))
out["ce_one"] = np.asarray(ce(4, output_mode="one_hot")(np.array([3, 0, 1])))
out["ce_one_col"] = np.asarray(ce(4, output_mode="one_hot")(np.array([[3], [0]])))
out["ce_w"] = np.asarray(ce(4, output_mode="count")(np.array([[0, 1, 1]]),
                         count_weights=np.array([[0.5, 2.0, 1.0]])))
d = keras.layers.Discretization(bin_boundaries=[-1.0, 0.0, 2.5])
out["d_int"] = np.asarray(d(np.array([[-3.0, -1.0, 0.1], [2.5, 9.0, -0.5]])))
d = keras.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
out["d_one"] = np.asarray(d(np.array([-1.0, 0.5, 1.0])))
"""


def test_category_encoding_and_discretization_match_keras(tmp_path):
    want = run_keras(CE_SNIPPET, tmp_path)
    ce = em.layers.CategoryEncoding
    ids = np.array([[0, 1, 1], [4, 2, 0]])
    np.testing.assert_array_equal(ce(5, output_mode="multi_hot")(ids).numpy(), want["ce_multi"])
    np.testing.assert_array_equal(ce(5, output_mode="count")(ids).numpy(), want["ce_count"])
    np.testing.assert_array_equal(ce(4, output_mode="one_hot")(np.array([3, 0, 1])).numpy(),
                                  want["ce_one"])
    np.testing.assert_array_equal(ce(4, output_mode="one_hot")(np.array([[3], [0]])).numpy(),
                                  want["ce_one_col"])
    np.testing.assert_allclose(ce(4, output_mode="count")(
        np.array([[0, 1, 1]]), count_weights=np.array([[0.5, 2.0, 1.0]])).numpy(), want["ce_w"])
    d = em.layers.Discretization(bin_boundaries=[-1.0, 0.0, 2.5])
    np.testing.assert_array_equal(d(np.array([[-3.0, -1.0, 0.1], [2.5, 9.0, -0.5]])).numpy(),
                                  want["d_int"])
    d = em.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
    np.testing.assert_array_equal(d(np.array([-1.0, 0.5, 1.0])).numpy(), want["d_one"])


def test_discretization_adapt_matches_keras(keras_tf):
    data = np.random.default_rng(0).normal(size=(500, 1)).astype("float32")
    d = em.layers.Discretization(num_bins=5)
    d.adapt(data)
    np.testing.assert_allclose(d.bin_boundaries, keras_tf["d_bins"], rtol=1e-6)
    np.testing.assert_array_equal(d(data[:20]).numpy(), keras_tf["d_adapt"])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="CategoryEncoding: ids must be in \\[0, 3\\)"):
        em.layers.CategoryEncoding(3)(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="TextVectorization: output_mode must be one of"):
        em.layers.TextVectorization(output_mode="bag")
    with pytest.raises(ValueError, match="TextVectorization: split must be"):
        em.layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="the vocabulary has the token 'a' more than once"):
        em.layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="num_oov_indices=0 every input must be in"):
        em.layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(ValueError, match="Discretization: give exactly one of"):
        em.layers.Discretization()


def test_farmhash_fingerprint_matches_tensorflow(keras_tf):
    from ember.layers.hashing import fingerprint64

    got = [fingerprint64(w.encode()) % 2 ** 62 for w in HASH_WORDS]
    assert got == keras_tf["fingerprints"].tolist()


@pytest.mark.parametrize("tag,kw,data", [
    ("h_int", dict(num_bins=7), None), ("h_mask", dict(num_bins=5, mask_value=""), None),
    ("h_ints", dict(num_bins=11), [[3, -40], [12345, 0]]),
    ("h_multi", dict(num_bins=6, output_mode="multi_hot"), None),
    ("h_count", dict(num_bins=6, output_mode="count"), None),
])
def test_hashing_matches_keras(keras_tf, tag, kw, data):
    words = np.array([["cat", "dog"], ["", "fish"], ["a long word " * 9, "x"]])
    got = em.layers.Hashing(**kw)(np.array(data) if data is not None else words).numpy()
    want = keras_tf[tag]
    np.testing.assert_array_equal(got, want)
    assert got.shape == want.shape
