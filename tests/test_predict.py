"""predict: the same outputs whatever path a batch takes, hooks and the training flag intact."""

import numpy as np
import pytest

import ember as em

L = em.layers


def _mlp(seed=0):
    em.utils.set_random_seed(seed)
    return em.Sequential([L.Input(shape=(3, 4)), L.Flatten(), L.Dense(8, activation="relu"),
                          L.Dense(5, activation="softmax")])


def _x(n=50, dtype=np.float32):
    return np.random.default_rng(0).random((n, 3, 4)).astype(dtype)


@pytest.mark.parametrize("batch_size", [1, 7, 32, 50, 64])
def test_predict_matches_the_model_called_batch_by_batch(batch_size):
    model, x = _mlp(), _x()
    got = model.predict(x, batch_size=batch_size, verbose=0)
    with em.no_grad():
        want = np.concatenate([model(x[i:i + batch_size], training=False).numpy()
                               for i in range(0, len(x), batch_size)])
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float32


def test_float64_integer_and_list_inputs_are_converted_like_a_model_call():
    model, x = _mlp(), _x()
    want = model.predict(x, batch_size=16, verbose=0)
    np.testing.assert_allclose(model.predict(x.astype(np.float64), batch_size=16, verbose=0),
                               want, rtol=1e-6)
    assert model.predict(x.astype(np.float64), verbose=0).dtype == np.float32
    np.testing.assert_allclose(model.predict(x.tolist(), batch_size=16, verbose=0), want,
                               rtol=1e-6)
    counts = np.arange(50 * 12).reshape(50, 3, 4) % 3
    np.testing.assert_allclose(model.predict(counts, verbose=0),
                               model.predict(counts.astype(np.float32), verbose=0), rtol=1e-6)


def test_multi_input_model_by_list_and_by_name():
    em.utils.set_random_seed(0)
    a, b = L.Input(shape=(4,), name="a"), L.Input(shape=(2,), name="b")
    out = L.Dense(3)(L.Concatenate()([a, b]))
    model = em.Model([a, b], out)
    rng = np.random.default_rng(0)
    xa, xb = rng.random((9, 4), dtype=np.float32), rng.random((9, 2), dtype=np.float32)
    by_list = model.predict([xa, xb], batch_size=4, verbose=0)
    by_name = model.predict({"b": xb, "a": xa}, batch_size=4, verbose=0)
    np.testing.assert_array_equal(by_list, by_name)
    np.testing.assert_allclose(by_list, np.concatenate([xa, xb], 1) @ model.layers[-1]
                               .kernel.numpy() + model.layers[-1].bias.numpy(), rtol=1e-5)


def test_batch_hooks_run_in_order_only_for_the_callbacks_that_have_them():
    seen = []

    class Hooks(em.callbacks.Callback):
        def on_predict_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            seen.append(("end", batch))

    model, x = _mlp(), _x(n=10)
    model.predict(x, batch_size=4, verbose=0, callbacks=[Hooks()])
    assert seen == [("begin", 0), ("end", 0), ("begin", 1), ("end", 1), ("begin", 2),
                    ("end", 2)]


def test_a_generator_of_batches_is_predicted_in_order():
    model, x = _mlp(), _x(n=12)
    got = model.predict((x[i:i + 5] for i in range(0, 12, 5)), verbose=0)
    np.testing.assert_allclose(got, model.predict(x, batch_size=5, verbose=0), rtol=1e-6)


class _Flag(L.Layer):
    """Records the ``training`` flag it was called with."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.flags = []

    def call(self, x, training=None):
        self.flags.append(training)
        return x


def test_layers_see_the_training_flag_of_the_call_that_reaches_them():
    flag = _Flag()
    model = em.Sequential([L.Input(shape=(2,)), flag, L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    model.predict(x, verbose=0)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert flag.flags[-2:] == [False, True]

    class Outer(em.Model):  # an explicit flag on an inner call wins over the outer one
        def __init__(self):
            super().__init__()
            self.inner = _Flag()

        def call(self, x, training=None):
            return self.inner(x, training=False) + self.inner(x)

    outer = Outer()
    outer(np.ones((1, 2), np.float32), training=True)
    assert outer.inner.flags[-2:] == [False, True]


def test_verbose_prints_keras_closing_line_and_zero_prints_nothing(capsys):
    model, x = _mlp(), _x(n=10)
    model.predict(x, batch_size=4, verbose=0)
    assert capsys.readouterr().out == ""
    model.predict(x, batch_size=4, verbose=1)
    line = capsys.readouterr().out
    assert line.startswith("3/3 - ") and line.rstrip().endswith("ms/step")
    with pytest.raises(ValueError, match="verbose must be"):
        model.predict(x, verbose=5)
