"""Bad arguments to fit / evaluate / predict and to the layers get an error or a warning that
names the function (or layer), the value received and what was expected."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember as em
from ember.models.data_adapter import RAN_OUT

L = em.layers


def _model(d=4, out=2):
    model = em.Sequential([L.Dense(8, activation="relu", input_shape=(d,)),
                           L.Dense(out, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def _data(n=20, d=4):
    rng = np.random.default_rng(0)
    return rng.random((n, d)).astype(np.float32), rng.integers(0, 2, n)


class Batches(em.callbacks.Callback):
    """Steps per epoch, as fit ran them."""

    def __init__(self):
        super().__init__()
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


# ---------------------------------------------------------------- labels and shapes
def test_sparse_crossentropy_refuses_float_labels_that_are_not_whole():
    probs = em.tensor([[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: y_true holds float "
                                         r"labels that are not whole numbers \(2 of 3; the "
                                         r"first is 0.7 at index 1\); class indices 0..1 are "
                                         r"expected .*categorical_crossentropy"):
        em.losses.sparse_categorical_crossentropy(np.array([1.0, 0.7, 0.2]), probs)
    whole = em.losses.sparse_categorical_crossentropy(np.array([1.0, 0.0, 1.0]), probs)
    np.testing.assert_allclose(whole.numpy(), -np.log([0.7, 0.6, 0.5]), rtol=1e-6)
    x, _ = _data()
    with pytest.raises(ValueError, match="not whole numbers"):
        _model().fit(x, np.full(20, 0.5, np.float32), verbose=0)


def test_empty_arrays_are_refused_by_fit_evaluate_and_predict():
    model = _model()
    empty_x, empty_y = np.zeros((0, 4), np.float32), np.zeros((0,), np.int64)
    with pytest.raises(ValueError, match=r"fit: x is empty \(shape \(0, 4\)\); at least one "
                                         r"sample is expected"):
        model.fit(empty_x, empty_y, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x is empty \(shape \(0, 4\)\)"):
        model.evaluate(empty_x, empty_y, verbose=0)
    with pytest.raises(ValueError, match=r"predict: x is empty \(shape \(0, 4\)\)"):
        model.predict(empty_x, verbose=0)
    with pytest.raises(ValueError, match=r"fit: the data yielded an empty batch \(x of shape "
                                         r"\(0, 4\)\)"):
        model.fit(iter([(empty_x, empty_y)]), verbose=0)


@pytest.mark.parametrize("value", [0, -3, 2.5, True])
def test_batch_size_must_be_a_positive_integer(value):
    x, y = _data()
    model = _model()
    for call, name in ((lambda: model.fit(x, y, batch_size=value, verbose=0), "fit"),
                       (lambda: model.evaluate(x, y, batch_size=value, verbose=0), "evaluate"),
                       (lambda: model.predict(x, batch_size=value, verbose=0), "predict")):
        with pytest.raises(ValueError, match=rf"{name}: batch_size must be a positive integer "
                                             rf"or None \(32\); got {value!r}"):
            call()


def test_validation_freq_and_steps_must_be_positive():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match=r"fit: validation_freq must be a positive integer "
                                         r"\(validate after every n-th epoch\); got 0"):
        model.fit(x, y, validation_split=0.5, validation_freq=0, verbose=0)
    with pytest.raises(ValueError, match=r"fit: steps_per_epoch must be a positive integer or "
                                         r"None \(one pass\); got 0"):
        model.fit(x, y, steps_per_epoch=0, verbose=0)
    with pytest.raises(ValueError, match=r"fit: validation_steps must be a positive integer"):
        model.fit(x, y, validation_data=(x, y), validation_steps=-1, verbose=0)


# ---------------------------------------------------------------- steps and running out
def test_steps_per_epoch_with_arrays_is_honoured_as_keras_does():
    x, y = _data(n=10)
    model = _model()
    seen = Batches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=2, steps_per_epoch=3, epochs=2, verbose=0,
                  callbacks=[seen])
    # 5 batches per pass: epoch 1 takes 3, epoch 2 the other 2 and is told the data ran out
    assert seen.per_epoch == [3, 2]
    assert [str(w.message) for w in caught] == [RAN_OUT]
    seen = Batches()
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        model.fit(x, y, batch_size=2, steps_per_epoch=8, epochs=2, verbose=0,
                  callbacks=[seen])
    assert seen.per_epoch == [5, 5]  # each epoch ends with its pass, the next starts anew
    seen = Batches()
    model.fit(x, y, batch_size=5, steps_per_epoch=2, epochs=3, verbose=0, callbacks=[seen])
    assert seen.per_epoch == [2, 2, 2]


def test_an_exhausted_finite_generator_warns_in_keras_words_and_stops():
    x, y = _data(n=10)

    def three_batches():
        for _ in range(3):
            yield x[:2], y[:2]

    model = _model()
    seen = Batches()
    with pytest.warns(UserWarning) as caught:
        hist = model.fit(three_batches(), steps_per_epoch=2, epochs=4, verbose=0,
                         callbacks=[seen])
    assert str(caught[0].message) == RAN_OUT
    assert seen.per_epoch == [2, 1] and len(hist.epoch) == 2  # training interrupted
    seen = Batches()
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(three_batches(), epochs=3, verbose=0, callbacks=[seen])
    assert seen.per_epoch == [3]  # the first pass is the epoch; the second finds nothing
    with pytest.raises(ValueError, match=r"fit: x \(a generator or Dataset\) yielded no "
                                         r"batches; at least one batch"):
        with pytest.warns(UserWarning, match="ran out of data"):
            model.fit(iter([]), verbose=0)


def test_keras_agrees_on_steps_per_epoch_and_the_warning():
    """Keras 3 (JAX backend) run for real, when installed: same batches per epoch, same
    warning text."""
    script = """
import warnings, numpy as np, keras
warnings.simplefilter("always")
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
m.compile("sgd", "mse")
x, y = np.zeros((10, 4), "float32"), np.zeros((10, 2), "float32")
counts = []
cb = keras.callbacks.LambdaCallback(
    on_epoch_begin=lambda epoch, logs: counts.append(0),
    on_train_batch_end=lambda batch, logs: counts.__setitem__(-1, counts[-1] + 1))
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    m.fit(x, y, batch_size=2, steps_per_epoch=3, epochs=2, verbose=0, callbacks=[cb])
print(counts)
print([str(v.message) for v in w if "ran out" in str(v.message)][0])
"""
    env = dict(os.environ, KERAS_BACKEND="jax")
    probe = subprocess.run([sys.executable, "-c", "import jax, keras"], env=env,
                           capture_output=True)
    if probe.returncode:
        pytest.skip("keras 3 with the jax backend is not installed")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == "[3, 2]"
    assert lines[-1] == RAN_OUT


# ---------------------------------------------------------------- what x can be
def test_predict_none_scalars_and_strings_name_the_function_and_the_value():
    model = _model()
    with pytest.raises(ValueError, match=r"predict: x is None; expected the input data: a "
                                         r"NumPy array, a DataFrame"):
        model.predict(None)
    with pytest.raises(ValueError, match=r"fit: x is None; expected the input data"):
        model.fit(None, np.zeros(3), verbose=0)
    with pytest.raises(ValueError, match=r"predict: x must be an array with one entry per "
                                         r"sample \(the batch axis first\); got the scalar "
                                         r"3.0 \(float\)"):
        model.predict(3.0, verbose=0)
    with pytest.raises(ValueError, match=r"fit: y must be an array .* got the scalar 1 "
                                         r"\(int\)"):
        model.fit(np.zeros((3, 4), np.float32), 1, verbose=0)
    with pytest.raises(TypeError, match=r"predict: x holds strings \(dtype <U3, e.g. 'abc'\); "
                                        r"numbers are expected"):
        model.predict("abc", verbose=0)
    with pytest.raises(TypeError, match=r"fit: y holds strings \(dtype <U3, e.g. 'cat'\)"):
        model.fit(np.zeros((2, 4), np.float32), np.array(["cat", "dog"]), verbose=0)


def test_a_functional_model_names_the_input_that_does_not_match_and_a_wrong_order():
    a = em.Input(shape=(4,), name="pixels")
    b = em.Input(shape=(2,), name="meta")
    model = em.Model([a, b], L.Concatenate()([L.Dense(3)(a), b]))
    xa, xb = np.zeros((5, 4), np.float32), np.zeros((5, 2), np.float32)
    assert model([xa, xb]).shape == (5, 5)
    with pytest.raises(ValueError, match=r"functional model: input 0 \('pixels'\) expects shape "
                                         r"\(None, 4\); got \(5, 2\)\. The model's inputs are "
                                         r".*They match in another order"):
        model([xb, xa])
    with pytest.raises(ValueError, match=r"input 1 \('meta'\) expects shape \(None, 2\); got "
                                         r"\(5, 3\)") as info:
        model.predict([xa, np.zeros((5, 3), np.float32)], verbose=0)
    assert "another order" not in str(info.value)
    with pytest.raises(ValueError, match=r"the model has 2 inputs"):
        model(xa)
    with pytest.raises(ValueError, match=r"functional model: the input dict has keys "
                                         r"\['pixels', 'extra'\]; the model's inputs are "
                                         r"named \['pixels', 'meta'\]"):
        model({"pixels": xa, "extra": xb})
    assert model({"meta": xb, "pixels": xa}).shape == (5, 5)


def test_batchnorm_warns_on_an_empty_training_batch_and_keeps_its_statistics():
    bn = L.BatchNormalization(name="bn")
    bn(np.ones((4, 3), np.float32), training=True)
    mean = bn.moving_mean.numpy().copy()
    with pytest.warns(UserWarning, match=r"BatchNormalization 'bn': got a batch of 0 samples "
                                         r"\(input shape \(0, 3\)\) in training; batch "
                                         r"statistics need at least one sample"):
        out = bn(np.zeros((0, 3), np.float32), training=True)
    assert out.shape == (0, 3)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mean)
    assert bn(np.zeros((0, 3), np.float32), training=False).shape == (0, 3)


def test_integer_inputs_to_dense_give_floatx_outputs():
    dense = L.Dense(3)
    assert dense(np.arange(6).reshape(2, 3)).dtype == np.float32
    assert dense(np.ones((2, 3), bool)).dtype == np.float32
    assert dense(em.tensor(np.arange(6, dtype=np.int64).reshape(2, 3))).dtype == np.float32
    model = em.Sequential([L.Dense(2, input_shape=(3,))])
    assert model.predict(np.arange(6).reshape(2, 3), verbose=0).dtype == np.float32
    assert L.LayerNormalization()(np.arange(6).reshape(2, 3)).dtype == np.float32
    assert L.Dense(2, dtype="float64")(np.arange(6).reshape(2, 3)).dtype == np.float64



def test_fit_with_a_string_or_a_scalar_as_x():
    model = _model()
    with pytest.raises(TypeError, match=r"fit: x holds strings \(dtype <U\d+, e.g. "
                                        r"'data.csv'\); numbers are expected.*"
                                        r"em.data.read_csv\(path, target=...\)"):
        model.fit("data.csv", np.zeros(1), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x must be an array with one entry per "
                                         r"sample .* got the scalar 7 \(int\)"):
        model.evaluate(7, np.zeros(1), verbose=0)


def test_a_dataframe_with_text_columns_names_them():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [30, 40], "city": ["Oslo", "Rome"], "size": [1.0, 2.0]})
    with pytest.raises(TypeError, match=r"fit: x has non-numeric columns \['city'\]; numbers "
                                        r"are expected: encode them first "
                                        r"\(em.data.from_dataframe"):
        _model(d=3).fit(frame, np.zeros(2), verbose=0)


def test_strings_reach_a_model_only_when_one_of_its_layers_reads_them():
    texts = np.array(["the cat sat", "a dog ran", "the dog sat", "a cat ran"])
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    vec = em.layers.TextVectorization(max_tokens=10, output_mode="multi_hot")
    vec.adapt(texts)
    model = em.Sequential([vec, em.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(texts, y, epochs=1, batch_size=2, verbose=0)
    assert model.predict(texts, verbose=0).shape == (4, 1)
    plain = em.Sequential([em.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"fit: x holds strings"):
        plain.fit(texts, y, verbose=0)
    with pytest.raises(TypeError, match=r"fit: y holds strings"):  # targets never are text
        model.fit(texts, texts, verbose=0)
