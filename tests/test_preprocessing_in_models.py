"""The preprocessing layers (TextVectorization, StringLookup, IntegerLookup, CategoryEncoding,
Discretization, Hashing) inside models: on a symbolic ``em.Input`` in the functional API, in
Sequential and in a subclassed model, through fit and predict. The outputs a model gives
are compared with the same layers in real Keras 3 (TensorFlow backend in a child process:
Keras' text layers need it)."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

L = em.layers
CORPUS = ["the cat sat on the mat", "the dog ate my homework", "a cat and a dog",
          "dogs and cats", "the mat", "my cat sat"]
QUERIES = ["the bird sat", "unknown words", "a dog"]
LABELS = np.array([0, 1, 0, 1, 0, 0], dtype="float32")
WORDS = [["cat", "dog"], ["", "fish"], ["bird", "cat"]]

SNIPPET = """
corpus, queries, words = %r, %r, %r
import tensorflow as tf
def run(layer, x):  # the layer on a symbolic input, in a functional model (Keras' predict
    text = x.dtype.kind == "U"  # takes no NumPy strings: the model is called on a tf tensor)
    inp = keras.Input(shape=x.shape[1:], dtype="string" if text else x.dtype.name)
    return np.asarray(keras.Model(inp, layer(inp))(tf.constant(x)))
tv = keras.layers.TextVectorization(max_tokens=12, output_sequence_length=5)
tv.adapt(np.array(corpus))
out["tv_int"] = run(tv, np.array(queries)[:, None])
tv = keras.layers.TextVectorization(max_tokens=12, output_mode="tf_idf")
tv.adapt(np.array(corpus))
out["tv_tfidf"] = run(tv, np.array(queries)[:, None])
out["sl"] = run(keras.layers.StringLookup(vocabulary=["cat", "dog", "bird"]), np.array(words))
out["il"] = run(keras.layers.IntegerLookup(vocabulary=[3, 7, 9], output_mode="multi_hot"),
                np.array([[3, 9, 4], [7, 7, 1]]))
out["ce"] = run(keras.layers.CategoryEncoding(5, output_mode="count"),
                np.array([[0, 1, 1], [4, 2, 0]]))
out["disc"] = run(keras.layers.Discretization(bin_boundaries=[-1.0, 0.0, 2.5]),
                  np.array([[-3.0, -1.0, 0.1], [2.5, 9.0, -0.5]], dtype="float32"))
out["hash"] = run(keras.layers.Hashing(num_bins=7), np.array(words))
"""


@pytest.fixture(scope="module")
def keras_out(tmp_path_factory):
    return run_keras(SNIPPET % (CORPUS, QUERIES, WORDS), tmp_path_factory.mktemp("prep"),
                     tensorflow=True)


def _functional(layer, x):
    inp = em.Input(shape=x.shape[1:], dtype=object if x.dtype.kind in "UO" else x.dtype)
    out = layer(inp)
    assert out.shape[0] is None  # a symbolic output, shape inferred
    return em.Model(inp, out).predict(x, verbose=0)


CASES = {
    "tv_int": (lambda: _adapted(L.TextVectorization(max_tokens=12, output_sequence_length=5)),
               np.array(QUERIES, dtype=object)[:, None]),
    "tv_tfidf": (lambda: _adapted(L.TextVectorization(max_tokens=12, output_mode="tf_idf")),
                 np.array(QUERIES, dtype=object)[:, None]),
    "sl": (lambda: L.StringLookup(vocabulary=["cat", "dog", "bird"]), np.array(WORDS)),
    "il": (lambda: L.IntegerLookup(vocabulary=[3, 7, 9], output_mode="multi_hot"),
           np.array([[3, 9, 4], [7, 7, 1]])),
    "ce": (lambda: L.CategoryEncoding(5, output_mode="count"), np.array([[0, 1, 1], [4, 2, 0]])),
    "disc": (lambda: L.Discretization(bin_boundaries=[-1.0, 0.0, 2.5]),
             np.array([[-3.0, -1.0, 0.1], [2.5, 9.0, -0.5]], dtype="float32")),
    "hash": (lambda: L.Hashing(num_bins=7), np.array(WORDS)),
}


def _adapted(layer):
    layer.adapt(np.array(CORPUS))
    return layer


@pytest.mark.parametrize("tag", sorted(CASES))
def test_layer_on_a_symbolic_input_matches_keras(keras_out, tag):
    make, x = CASES[tag]
    got = _functional(make(), x)
    want = keras_out[tag]
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-6)
    # the same layer called eagerly gives the same values
    np.testing.assert_allclose(np.asarray(make()(x).numpy(), np.float64),
                               want.astype(np.float64), rtol=1e-6)


def _text_head():
    return [L.Embedding(12, 8), L.GlobalAveragePooling1D(), L.Dense(1, activation="sigmoid")]


def _fit_and_predict(model, x):
    model.compile(em.optimizers.Adam(0.05), "binary_crossentropy")
    hist = model.fit(x, LABELS, epochs=15, batch_size=3, verbose=0).history["loss"]
    assert hist[-1] < hist[0], hist  # it learned through the vectorizer
    pred = model.predict(x, verbose=0)
    assert pred.shape == (len(CORPUS), 1) and np.isfinite(pred).all()
    return pred


def test_text_vectorization_trains_in_functional_sequential_and_subclassed_models():
    x = np.array(CORPUS, dtype=object)[:, None]

    def vec():
        return _adapted(L.TextVectorization(max_tokens=12, output_sequence_length=6))

    em.utils.set_random_seed(0)
    inp = em.Input(shape=(1,), dtype=object)
    h = vec()(inp)
    for layer in _text_head():
        h = layer(h)
    _fit_and_predict(em.Model(inp, h), x)

    em.utils.set_random_seed(0)
    _fit_and_predict(em.Sequential([vec(), *_text_head()]), x)

    class Classifier(em.Model):
        def __init__(self):
            super().__init__()
            self.vec = vec()
            self.head = em.Sequential(_text_head())

        def call(self, inputs):
            return self.head(self.vec(inputs))

    em.utils.set_random_seed(0)
    _fit_and_predict(Classifier(), x)


def test_lookup_and_hashing_feed_a_functional_model_with_two_inputs():
    words = np.array([["cat"], ["dog"], ["fish"], ["cat"], ["bird"], ["dog"]], dtype=object)
    ids = np.array([[3], [7], [9], [3], [1], [7]])
    w_in, i_in = em.Input(shape=(1,), dtype=object), em.Input(shape=(1,), dtype="int64")
    a = L.StringLookup(vocabulary=["cat", "dog", "bird"], output_mode="one_hot")(w_in)
    b = L.IntegerLookup(vocabulary=[3, 7, 9], output_mode="one_hot")(i_in)
    c = L.Hashing(num_bins=4, output_mode="one_hot")(w_in)
    merged = L.Concatenate()([L.Flatten()(a), L.Flatten()(b), L.Flatten()(c)])
    model = em.Model([w_in, i_in], L.Dense(1, activation="sigmoid")(merged))
    model.compile(em.optimizers.Adam(0.1), "binary_crossentropy")
    hist = model.fit([words, ids], LABELS, epochs=10, verbose=0).history["loss"]
    assert hist[-1] < hist[0]
    assert model.predict([words, ids], verbose=0).shape == (6, 1)


def test_hashing_each_distinct_value_once_gives_the_per_element_bins():
    from ember.layers.hashing import fingerprint64

    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in rng.integers(0, 50, 500)] + ["a\x00", "a", ""],
                     dtype=object)  # a trailing NUL must not be dropped
    want = [fingerprint64(w.encode()) % 13 for w in words]
    assert L.Hashing(num_bins=13)(words).numpy().tolist() == want
    assert L.Hashing(num_bins=13)(words.astype(str)[:500]).numpy().tolist() == want[:500]
    as_bytes = np.array([w.encode() for w in words], dtype=object)
    assert L.Hashing(num_bins=13)(as_bytes).numpy().tolist() == want
    ints = rng.integers(-1000, 1000, (20, 3))
    assert L.Hashing(num_bins=7)(ints).numpy().tolist() == \
        [[fingerprint64(str(v).encode()) % 7 for v in row] for row in ints.tolist()]
    masked = L.Hashing(num_bins=5, mask_value="")(words).numpy()
    assert masked[-1] == 0 and (masked[:-1] > 0).all()
    with pytest.raises(ValueError, match="Hashing: expected strings or integers"):
        L.Hashing(num_bins=3)(np.array([1.5, 2.5]))
    with pytest.raises(ValueError, match="not a mix"):
        L.Hashing(num_bins=3)(np.array(["a", 1], dtype=object))


def test_functional_text_model_saves_and_loads(tmp_path):
    x = np.array(CORPUS, dtype=object)[:, None]
    inp = em.Input(shape=(1,), dtype=object)
    h = _adapted(L.TextVectorization(max_tokens=12, output_sequence_length=6))(inp)
    for layer in _text_head():
        h = layer(h)
    model = em.Model(inp, h)
    model.compile("adam", "binary_crossentropy")
    model.fit(x, LABELS, epochs=1, verbose=0)
    model.save(tmp_path / "text.ember")  # the vocabulary travels in the config
    loaded = em.models.load_model(tmp_path / "text.ember")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_a_text_input_spelled_dtype_string_as_in_keras_trains_and_predicts():
    texts = np.array([["the cat sat"], ["a dog ran fast"], ["the dog sat"], ["a cat ran"]],
                     dtype=object)
    vectorize = em.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorize.adapt(texts[:, 0])
    inputs = em.Input(shape=(1,), dtype="string")
    x = em.layers.GlobalAveragePooling1D()(em.layers.Embedding(20, 4)(vectorize(inputs)))
    model = em.Model(inputs, em.layers.Dense(2, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(texts, np.array([0, 1, 1, 0]), epochs=1, verbose=0)
    assert model.predict(texts, verbose=0).shape == (4, 2)
    assert model.inputs[0].dtype == "object"
