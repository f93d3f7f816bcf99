"""The three kinds of model: Sequential, functional, subclassed — structure, summary, config."""

import numpy as np
import pytest

import ember as em

L = em.layers


def _mlp(**kw):
    return em.Sequential([L.Dense(8, activation="relu", input_shape=(4,)), L.Dense(3)], **kw)


def test_sequential_builds_from_input_shape_and_counts_params():
    model = _mlp()
    assert model.built
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.get_layer(index=-1) is model.layers[1]
    assert model.get_layer(model.layers[0].name) is model.layers[0]


def test_sequential_add_pop_and_input():
    model = em.Sequential()
    model.add(em.Input(shape=(5,)))
    model.add(L.Dense(2))
    assert model.built and model.count_params() == 12
    model.add(L.Dense(1))
    assert model.count_params() == 15
    popped = model.pop()
    assert isinstance(popped, L.Dense) and model.count_params() == 12
    with pytest.raises(TypeError, match="expected a layer"):
        model.add("dense")


def test_sequential_builds_lazily_on_first_batch():
    model = em.Sequential([L.Dense(4), L.Dense(2)])
    assert not model.built
    out = model(np.ones((3, 6), dtype=np.float32))
    assert out.shape == (3, 2) and model.built


def test_summary_lists_layers_shapes_and_totals(capsys):
    model = em.Sequential([L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"),
                           L.Dense(10, activation="softmax")], name="seeds")
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "seeds"' in text
    assert "(None, 784)" in text and "(None, 128)" in text and "(None, 10)" in text
    assert "100,480" in text and "Total params: 101,770" in text
    assert "Non-trainable params: 0" in text


def test_summary_counts_frozen_weights_as_non_trainable(capsys):
    model = _mlp()
    model.layers[0].trainable = False
    model.summary()
    text = capsys.readouterr().out
    assert "Trainable params: 27" in text and "Non-trainable params: 40" in text


def test_functional_two_inputs_two_outputs_shared_layer_and_skip():
    a = em.Input(shape=(4,), name="a")
    b = em.Input(shape=(4,), name="b")
    shared = L.Dense(3, name="shared")
    ha, hb = shared(a), shared(b)  # one set of weights used twice
    skip = ha + hb
    out1 = L.Dense(1, name="out1")(L.Concatenate()([skip, ha]))
    out2 = L.Dense(2, name="out2")(skip)
    model = em.Model(inputs=[a, b], outputs=[out1, out2])
    assert model.count_params() == (4 * 3 + 3) + (6 + 1) + (3 * 2 + 2)
    assert model.output_names == ["out1", "out2"]
    xa = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    xb = np.random.default_rng(1).random((5, 4)).astype(np.float32)
    p1, p2 = model.predict([xa, xb], verbose=0)
    w, bias = shared.get_weights()
    h = (xa @ w + bias) + (xb @ w + bias)
    np.testing.assert_allclose(p2, h @ model.get_layer("out2").get_weights()[0]
                               + model.get_layer("out2").get_weights()[1], rtol=1e-5, atol=1e-6)
    assert p1.shape == (5, 1)


def test_input_and_output_shapes_as_keras_reports_them():
    seq = em.Sequential([em.Input(shape=(28, 28)), L.Flatten(), L.Dense(10)])
    assert seq.input_shape == (None, 28, 28) and seq.output_shape == (None, 10)
    lazy = em.Sequential([L.Dense(3)])
    with pytest.raises(AttributeError, match="no defined output shape yet"):
        lazy.output_shape
    lazy(np.ones((2, 5), dtype=np.float32))
    assert lazy.output_shape == (None, 3)
    a, b = em.Input(shape=(4,)), em.Input(shape=(2,))
    h = L.Concatenate()([L.Dense(3)(a), b])
    two = em.Model([a, b], [L.Dense(1)(h), h])
    assert two.input_shape == [(None, 4), (None, 2)]
    assert two.output_shape == [(None, 1), (None, 5)]
    assert two.inputs == [a, b] and len(two.outputs) == 2
    one = em.Model(a, L.Dense(7)(a))
    assert one.input_shape == (None, 4) and one.output_shape == (None, 7)
    with pytest.raises(AttributeError, match="subclassed model"):
        TwoLayer().output_shape


def test_functional_config_round_trip_reproduces_outputs():
    inp = em.Input(shape=(6,))
    h = L.Dense(5, activation="tanh")(inp)
    out = L.Dense(2)(L.Add()([h, L.Dense(5)(inp)]))
    model = em.Model(inp, out)
    clone = em.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((3, 6)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), clone.predict(x, verbose=0))


def test_functional_rejects_outputs_from_a_foreign_input():
    a, b = em.Input(shape=(2,)), em.Input(shape=(2,))
    with pytest.raises(ValueError, match="not among the model's inputs"):
        em.Model(a, L.Dense(1)(b))


class TwoLayer(em.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(units, activation="relu")
        self.head = L.Dense(1)

    def call(self, x, training=None):
        return self.head(self.hidden(x))


def test_subclassed_model_tracks_layers_and_trains():
    model = TwoLayer()
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((64, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    hist = model.fit(x, y, epochs=3, verbose=0)
    assert len(model.trainable_weights) == 4
    assert [layer.name for layer in model.layers] == [model.hidden.name, model.head.name]
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_subclassed_call_is_required():
    class NoCall(em.Model):
        pass

    with pytest.raises(NotImplementedError, match="must define call"):
        NoCall()(np.ones((1, 2), dtype=np.float32))


def test_freezing_a_layer_keeps_its_weights_during_fit():
    model = _mlp()
    model.layers[0].trainable = False
    frozen = [w.copy() for w in model.layers[0].get_weights()]
    free = [w.copy() for w in model.layers[1].get_weights()]
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((32, 4)).astype(np.float32)
    model.fit(x, np.ones((32, 3), np.float32), epochs=2, verbose=0)
    for before, after in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)
    assert any(not np.array_equal(b, a) for b, a in zip(free, model.layers[1].get_weights()))


def test_direct_call_returns_a_tensor_with_graph():
    model = _mlp()
    out = model(np.ones((2, 4), dtype=np.float32), training=True)
    assert isinstance(out, em.Tensor) and out.requires_grad
    out.sum().backward()
    assert all(w.grad is not None for w in model.trainable_weights)


def test_feature_extractor_from_a_functional_models_input_and_a_layer_output():
    inp = em.Input(shape=(6,))
    feat = L.Dense(4, activation="relu", name="feat")(inp)
    model = em.Model(inp, L.Dense(2, name="head")(feat))
    assert model.input is inp and model.output.shape == (None, 2)
    layer = model.get_layer("feat")
    assert layer.input is inp and layer.output is feat
    extractor = em.Model(model.input, layer.output)
    x = np.random.default_rng(0).random((5, 6)).astype(np.float32)
    w, b = layer.get_weights()
    np.testing.assert_allclose(extractor.predict(x, verbose=0), np.maximum(x @ w + b, 0),
                               rtol=1e-6)
    layer.kernel.assign(w * 2)  # the extractor shares the model's weights
    np.testing.assert_allclose(extractor.predict(x, verbose=0),
                               np.maximum(x @ (2 * w) + b, 0), rtol=1e-6)
    with pytest.raises(AttributeError, match="never been called"):
        L.Dense(3).output


def test_sequential_input_output_and_layer_outputs_for_transfer_learning():
    base = em.Sequential([em.Input(shape=(8,)), L.Dense(6, activation="relu"),
                          L.Dense(4, activation="relu"), L.Dense(3)])
    assert base.input.shape == (None, 8) and base.output.shape == (None, 3)
    assert base.layers[0].input is base.input and base.layers[-1].output is base.output
    # a new head on the frozen body, as in transfer learning
    base.trainable = False
    head = L.Dense(2, name="new_head")(base.layers[-2].output)
    model = em.Model(base.input, head)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(1).random((32, 8)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    before = [w.copy() for w in base.get_weights()]
    head_before = model.get_layer("new_head").get_weights()[0].copy()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, base.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head_before, model.get_layer("new_head").get_weights()[0])
    # pop and add rebuild the graph; a layer's output then belongs to the new one
    base.pop()
    assert base.output is base.layers[-1].output and base.output.shape == (None, 4)
    base.add(L.Dense(5))
    extractor = em.Model(base.input, base.layers[1].output)
    assert extractor.predict(x, verbose=0).shape == (32, 4)


def test_sequential_without_an_input_shape_has_no_symbolic_input_until_built():
    model = em.Sequential([L.Dense(3)])
    with pytest.raises(AttributeError, match="no defined input yet"):
        model.input
    model(np.ones((2, 5), dtype=np.float32))
    assert model.input.shape == (None, 5) and model.output.shape == (None, 3)


def test_metrics_names_follow_evaluate():
    model = _mlp()
    assert model.metrics_names == []
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((16, 4)).astype(np.float32)
    y = np.arange(16) % 3
    scores = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "accuracy"] and len(scores) == 2
    assert dict(zip(model.metrics_names, scores)) == model.evaluate(x, y, verbose=0,
                                                                   return_dict=True)
