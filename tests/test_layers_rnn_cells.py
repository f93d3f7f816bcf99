"""RNN with SimpleRNNCell/LSTMCell/GRUCell/StackedRNNCells and custom cells, and stateful
recurrent layers, against Keras 3 (same weights, same outputs and states) and finite
differences."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import check_gradients, float64, keras

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5, 4)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 1, 0]], bool)


def _cells(lib, name):
    L = lib.layers
    return {"simple": lambda: L.SimpleRNNCell(3),
            "lstm": lambda: L.LSTMCell(3),
            "gru": lambda: L.GRUCell(3),
            "gru_before": lambda: L.GRUCell(3, reset_after=False),
            "stacked": lambda: [L.LSTMCell(3), L.GRUCell(2), L.SimpleRNNCell(4)]}[name]()


def _run_both(name, mask=None, **kwargs):
    k = keras()
    theirs = k.layers.RNN(_cells(k, name), **kwargs)
    want = theirs(X, mask=mask)
    ours = em.layers.RNN(_cells(em, name), **kwargs)
    ours(em.tensor(X))
    kw = [np.asarray(w) for w in theirs.get_weights()]
    assert [w.shape for w in kw] == [w.shape for w in ours.get_weights()]
    ours.set_weights(kw)
    got = ours(em.tensor(X), mask=mask)
    wants = want if isinstance(want, (list, tuple)) else [want]
    gots = got if isinstance(got, list) else [got]
    flat = []
    for w in wants:  # Keras nests stacked cells' states; ember returns them flat
        flat.extend(w if isinstance(w, (list, tuple)) else [w])
    assert len(flat) == len(gots)
    for g, w in zip(gots, flat):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["simple", "lstm", "gru", "gru_before", "stacked"])
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True},
                                    {"return_state": True, "go_backwards": True},
                                    {"return_sequences": True, "return_state": True}])
def test_rnn_with_cells_same_as_keras(name, kwargs):
    _run_both(name, **kwargs)


@pytest.mark.parametrize("name", ["lstm", "stacked"])
@pytest.mark.parametrize("zero", [False, True])
def test_masks_same_as_keras(name, zero):
    _run_both(name, mask=MASK, return_sequences=True, return_state=True,
              zero_output_for_mask=zero)


def test_rnn_cell_matches_the_fused_layer():
    lstm = em.layers.LSTM(3, return_sequences=True)
    rnn = em.layers.RNN(em.layers.LSTMCell(3), return_sequences=True)
    lstm(em.tensor(X))
    rnn(em.tensor(X))
    rnn.set_weights(lstm.get_weights())
    np.testing.assert_allclose(rnn(em.tensor(X)).numpy(), lstm(em.tensor(X)).numpy(),
                               atol=1e-6)


def test_custom_cell_same_as_keras():
    k = keras()

    def minimal(lib):
        class MinimalRNNCell(lib.layers.Layer):
            def __init__(self, units, **kw):
                super().__init__(**kw)
                self.units, self.state_size = units, units

            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                              initializer="uniform", name="kernel")
                self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                        initializer="uniform", name="rk")

            def call(self, inputs, states):
                prev = states[0]
                out = lib.ops.matmul(inputs, self.kernel) + lib.ops.matmul(
                    prev, self.recurrent_kernel)
                return out, [out]
        return MinimalRNNCell

    theirs = k.layers.RNN(minimal(k)(4), return_sequences=True)
    want = theirs(X)
    ours = em.layers.RNN(minimal(em)(4), return_sequences=True)
    ours(em.tensor(X))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(em.tensor(X)).numpy(), np.asarray(want), atol=1e-5)


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN", "RNN"])
def test_stateful_same_as_keras(layer):
    k = keras()

    def make(lib):
        if layer == "RNN":
            return lib.layers.RNN(lib.layers.LSTMCell(3), stateful=True,
                                  return_sequences=True)
        return getattr(lib.layers, layer)(3, stateful=True, return_sequences=True)

    theirs, ours = make(k), make(em)
    theirs(X)
    ours(em.tensor(X))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    theirs.reset_states()
    ours.reset_states()
    for _ in range(2):  # the second call starts from the first's final states
        np.testing.assert_allclose(ours(em.tensor(X)).numpy(), np.asarray(theirs(X)),
                                   atol=1e-5)
    first = make(em)
    first(em.tensor(X))
    first.set_weights(ours.get_weights())
    assert not np.allclose(first(em.tensor(X)).numpy(), ours(em.tensor(X)).numpy())
    ours.reset_states()
    np.testing.assert_allclose(ours.states[0].numpy(), 0.0)
    theirs.reset_states()
    np.testing.assert_allclose(ours(em.tensor(X)).numpy(), np.asarray(theirs(X)), atol=1e-5)
    with pytest.raises(ValueError, match="stateful"):
        ours(em.tensor(X[:2]))


def test_stateful_in_a_sequential_fit():
    model = em.Sequential([em.Input((5, 4), batch_size=3),
                           em.layers.LSTM(3, stateful=True), em.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X, np.zeros((3, 1), "float32"), batch_size=3, epochs=2, verbose=0)
    assert model.layers[0].states[0].shape == (3, 3)
    model.layers[0].reset_states()
    assert not model.layers[0].states[0].numpy().any()
    assert model.layers[0].get_config()["stateful"] is True


@pytest.mark.parametrize("name", ["simple", "lstm", "gru", "gru_before", "stacked"])
def test_cells_gradients_by_finite_differences(name):
    with float64():
        rnn = em.layers.RNN(_cells(em, name), return_sequences=True)
        x = X[:2, :3].astype("float64")
        rnn(em.tensor(x))
        check_gradients(lambda t: rnn(t, mask=MASK[:2, :3]), rnn, [x])


def test_cell_config_keys_match_keras_and_round_trip(tmp_path):
    k = keras()
    for name in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
        ours, theirs = getattr(em.layers, name)(3).get_config(), getattr(k.layers, name)(3)
        theirs = theirs.get_config()
        assert set(ours) - {"name", "trainable", "dtype"} <= set(theirs), name
        for key in ("units", "use_bias", "dropout", "recurrent_dropout", "unit_forget_bias",
                    "reset_after", "activation", "recurrent_activation"):
            if key in theirs:
                assert ours[key] == theirs[key], (name, key)
    inp = em.Input((5, 4))
    out = em.layers.RNN([em.layers.LSTMCell(3), em.layers.GRUCell(2)], return_sequences=True,
                        go_backwards=True)(inp)
    model = em.Model(inp, em.layers.Dense(1)(em.layers.RNN(em.layers.SimpleRNNCell(2))(out)))
    model.compile("adam", "mse")
    model.fit(X, np.zeros((3, 1), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "rnn.ember")
    model.save(path)
    np.testing.assert_allclose(em.models.load_model(path).predict(X, verbose=0),
                               model.predict(X, verbose=0))


def test_dropout_masks_are_per_sequence_and_only_when_training():
    rnn = em.layers.RNN(em.layers.SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5))
    a = rnn(em.tensor(X)).numpy()
    np.testing.assert_array_equal(a, rnn(em.tensor(X)).numpy())
    assert not np.allclose(a, rnn(em.tensor(X), training=True).numpy())
    assert rnn.cell._masks is None


def test_bad_cells_and_states_are_named():
    with pytest.raises(ValueError, match="state_size"):
        em.layers.RNN(em.layers.Dense(3))
    with pytest.raises(ValueError, match="initial_state must hold 2"):
        em.layers.RNN(em.layers.LSTMCell(3))(em.tensor(X), initial_state=[np.zeros((3, 3))])
