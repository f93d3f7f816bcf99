"""The captured Dense-stack step (``ember.kernels.dense_chain``): training and ``predict``
give the layers' results bit for bit, it runs by default where it applies, and every model,
loss or batch it does not reproduce exactly runs through the layers instead."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import dense_chain, registry
from ember.models import chain_step
from ember.models.nonfinite_loss import NonFiniteLossError

L = em.layers


def _data(n=300, shape=(6, 5), classes=4, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n,) + shape).astype(dtype)
    y = rng.integers(0, classes, n)
    return x, y


def _mlp(shape=(6, 5), hidden=(16,), classes=4, last="softmax", hidden_act="relu",
         extra=(), use_bias=True, dtype=None):
    kw = {} if dtype is None else {"dtype": dtype}
    layers = [L.Input(shape=shape), L.Flatten()] if len(shape) > 1 else [L.Input(shape=shape)]
    for u in hidden:
        layers.append(L.Dense(u, activation=hidden_act, use_bias=use_bias, **kw))
    layers += list(extra)
    layers.append(L.Dense(classes, activation=last, **kw))
    return em.Sequential(layers)


def _functional(shape=(6, 5), last="softmax"):
    """The Keras guides' spelling: em.Input, layers called on symbolic tensors, em.Model."""
    inputs = em.Input(shape=shape)
    h = L.Dense(16, activation="relu")(L.Flatten()(inputs))
    return em.Model(inputs, L.Dense(4, activation=last)(h))


def _branching():
    inputs = em.Input(shape=(6, 5))
    flat = L.Flatten()(inputs)
    h = L.Add()([L.Dense(30, activation="relu")(flat), flat])
    return em.Model(inputs, L.Dense(4, activation="softmax")(h))


class _Spy:
    """Counts the plan's forward calls (its training steps) and predict calls."""

    def __init__(self, monkeypatch):
        self.steps = 0
        self.predicts = 0
        forward, predict = dense_chain.DenseChain.forward, dense_chain.DenseChain.predict

        def counted_forward(chain, *a):
            self.steps += 1
            return forward(chain, *a)

        def counted_predict(chain, *a):
            self.predicts += 1
            return predict(chain, *a)

        monkeypatch.setattr(dense_chain.DenseChain, "forward", counted_forward)
        monkeypatch.setattr(dense_chain.DenseChain, "predict", counted_predict)


def _fit(make, x, y, reference, loss="sparse_categorical_crossentropy", epochs=2,
         metrics=("accuracy",), optimizer="adam", **fit_kw):
    em.utils.set_random_seed(3)
    model = make()
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    with registry.reference("dense_chain" if reference else []):
        hist = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, **fit_kw)
    return model, hist.history


def _same_training(make, x, y, **kw):
    fast, h_fast = _fit(make, x, y, reference=False, **kw)
    ref, h_ref = _fit(make, x, y, reference=True, **kw)
    assert h_fast == h_ref
    for i, (a, b) in enumerate(zip(fast.get_weights(), ref.get_weights())):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b), f"weight {i} differs by {np.abs(a - b).max()}"
    return fast


CAPTURED = {
    "relu + softmax": (lambda: _mlp(), {}),
    "two hidden layers, no bias": (lambda: _mlp(hidden=(12, 8), use_bias=False), {}),
    "linear hidden": (lambda: _mlp(hidden_act=None), {}),
    "linear last, from_logits": (
        lambda: _mlp(last=None),
        {"loss": em.losses.SparseCategoricalCrossentropy(from_logits=True)}),
    "Dropout(0)": (lambda: _mlp(extra=[L.Dropout(0.0)]), {}),
    "Dropout(0.3)": (lambda: _mlp(extra=[L.Dropout(0.3)]), {}),
    "Dropouts after two hidden layers": (
        lambda: em.Sequential([L.Input(shape=(6, 5)), L.Flatten(),
                               L.Dense(12, activation="relu"), L.Dropout(0.5),
                               L.Dense(8), L.Dropout(0.25), L.Dense(4, activation="softmax")]),
        {}),
    "float64 weights": (lambda: _mlp(dtype="float64"), {}),
    "SGD, no metrics": (lambda: _mlp(), {"optimizer": "sgd", "metrics": ()}),
    "validation data": (lambda: _mlp(), {"validation_split": 0.2}),
    "functional chain": (lambda: _functional(), {}),
    "categorical crossentropy, one-hot": (lambda: _mlp(), {"loss": "categorical_crossentropy",
                                                           "targets": "one-hot"}),
    "categorical, label smoothing 0.1, uint8 one-hot": (
        lambda: _mlp(), {"loss": em.losses.CategoricalCrossentropy(label_smoothing=0.1),
                         "targets": "uint8"}),
    "categorical on soft targets, float64": (
        lambda: _mlp(dtype="float64"), {"loss": "categorical_crossentropy", "targets": "soft"}),
    "linear last, categorical from_logits, Dropout": (
        lambda: _mlp(last=None, extra=[L.Dropout(0.2)]),
        {"loss": em.losses.CategoricalCrossentropy(from_logits=True), "targets": "one-hot"}),
}


def _targets(y, kind, classes=4):
    """Integer labels as the categorical losses take them (``to_categorical``'s one-hot rows,
    in float32 or uint8), or as rows of probabilities (soft targets, as after mixup)."""
    if kind == "soft":
        rng = np.random.default_rng(1)
        soft = np.eye(classes)[y] * 0.7 + rng.dirichlet(np.ones(classes), len(y)) * 0.3
        return soft.astype(np.float32)
    one_hot = em.utils.to_categorical(y, classes)
    return one_hot.astype(np.uint8) if kind == "uint8" else one_hot


@pytest.mark.parametrize("case", sorted(CAPTURED))
def test_training_is_bitwise_the_layers(case, monkeypatch):
    make, kw = CAPTURED[case][0], dict(CAPTURED[case][1])
    x, y = _data()  # 300 samples: a last batch of 12 (0.2 held out: of 16)
    if "targets" in kw:
        y = _targets(y, kw.pop("targets"))
    spy = _Spy(monkeypatch)
    _same_training(make, x, y, **kw)
    assert spy.steps > 0, "the captured step did not run"


@pytest.mark.parametrize("x_dtype", ["float64", "uint8"])
def test_inputs_of_another_dtype_are_converted_as_the_first_layer_does(x_dtype, monkeypatch):
    x, y = _data()
    x = (np.abs(x) * 40).astype(x_dtype)
    spy = _Spy(monkeypatch)
    _same_training(lambda: _mlp(), x, y)
    assert spy.steps > 0


def test_labels_of_shape_n_by_1_and_one_flat_input(monkeypatch):
    x, y = _data(shape=(7,))
    spy = _Spy(monkeypatch)
    _same_training(lambda: _mlp(shape=(7,)), x, y.reshape(-1, 1))
    assert spy.steps > 0


DECLINED = {
    "tanh hidden": (lambda: _mlp(hidden_act="tanh"), {}),
    "kernel regularizer": (lambda: em.Sequential([
        L.Input(shape=(6, 5)), L.Flatten(),
        L.Dense(8, activation="relu", kernel_regularizer=em.regularizers.L2(0.01)),
        L.Dense(4, activation="softmax")]), {}),
    "Dropout with a seed": (lambda: _mlp(extra=[L.Dropout(0.3, seed=1)]), {}),
    "two Dropouts in a row": (lambda: _mlp(extra=[L.Dropout(0.3), L.Dropout(0.2)]), {}),
    "Dropout on the inputs": (lambda: em.Sequential([
        L.Input(shape=(6, 5)), L.Flatten(), L.Dropout(0.2), L.Dense(8, activation="relu"),
        L.Dense(4, activation="softmax")]), {}),
    "Dropout after the last layer": (lambda: em.Sequential([
        L.Input(shape=(6, 5)), L.Flatten(), L.Dense(4), L.Dropout(0.2)]),
        {"loss": em.losses.SparseCategoricalCrossentropy(from_logits=True)}),
    "BatchNormalization": (lambda: _mlp(extra=[L.BatchNormalization()]), {}),
    "categorical crossentropy, reduction sum": (
        lambda: _mlp(), {"loss": em.losses.CategoricalCrossentropy(reduction="sum"),
                         "one_hot": True}),
    "softmax last, loss given logits=True": (
        lambda: _mlp(),
        {"loss": em.losses.SparseCategoricalCrossentropy(from_logits=True)}),
    "linear last, loss on probabilities": (lambda: _mlp(last=None), {}),
    "sample weights": (lambda: _mlp(), {"sample_weight": True}),
    "class weights": (lambda: _mlp(), {"class_weight": {0: 2.0, 1: 1.0, 2: 1.0, 3: 1.0}}),
    "mixed precision": (lambda: _mlp(dtype="mixed_float16"), {}),
    "functional graph with a branch": (_branching, {}),
}


@pytest.mark.filterwarnings("ignore:sparse_categorical_crossentropy. from_logits=True")
@pytest.mark.parametrize("case", sorted(DECLINED))
def test_what_it_does_not_reproduce_runs_through_the_layers(case, monkeypatch):
    make, kw = DECLINED[case][0], dict(DECLINED[case][1])
    x, y = _data()
    if kw.pop("one_hot", False):
        y = np.eye(4, dtype=np.float32)[y]
    if kw.pop("sample_weight", False):
        kw["sample_weight"] = np.linspace(0.5, 1.5, len(x))
    spy = _Spy(monkeypatch)
    _same_training(make, x, y, **kw)
    assert spy.steps == 0


def test_the_loss_forms_the_plan_reproduces():
    sparse = em.losses.SparseCategoricalCrossentropy(from_logits=True)
    cce = em.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    assert chain_step._loss_form(sparse, 4) == {}
    assert chain_step._loss_form(cce, 4) == {"categorical": True, "label_smoothing": 0.2}
    assert chain_step._loss_form(cce, 1) is None  # one class: the loss warns, always 0
    for declined in (em.losses.CategoricalCrossentropy(),  # on probabilities
                     em.losses.CategoricalCrossentropy(from_logits=True, axis=0),
                     em.losses.CategoricalCrossentropy(from_logits=True, dtype="float64"),
                     em.losses.CategoricalCrossentropy(from_logits=True, reduction="sum"),
                     em.losses.KLDivergence()):
        assert chain_step._loss_form(declined, 4) is None


def test_categorical_targets_of_another_width_get_the_loss_error(monkeypatch):
    x, y = _data()
    model = _mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    spy = _Spy(monkeypatch)
    with pytest.raises(ValueError, match="categorical_crossentropy: y_true has shape"):
        model.fit(x, em.utils.to_categorical(y, 5), batch_size=32, verbose=0)
    assert spy.steps == 0


def test_a_watched_layer_runs_through_the_layers(monkeypatch):
    from ember.layers.call_watch import watch_calls

    x, y = _data()
    em.utils.set_random_seed(0)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    spy = _Spy(monkeypatch)
    with watch_calls(model.layers) as seen:
        model.fit(x, y, batch_size=100, verbose=0)
    assert spy.steps == 0 and len(seen) == 3 * len(model.layers)


def test_a_label_out_of_range_gets_the_loss_error(monkeypatch):
    x, y = _data()
    y[40] = 9
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="label"):
        model.fit(x, y, batch_size=32, verbose=0)


def test_a_non_finite_loss_still_stops_fit_with_the_layer_named(monkeypatch):
    x, y = _data()
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    spy = _Spy(monkeypatch)
    weights = model.get_weights()
    weights[0][0, 0] = np.inf
    model.set_weights(weights)
    with pytest.raises(NonFiniteLossError, match="dense"):
        model.fit(x, y, batch_size=32, verbose=0)
    assert spy.steps == 1
    assert np.isinf(model.get_weights()[0][0, 0]) and np.isfinite(model.get_weights()[2]).all()


def test_gradients_are_fresh_arrays_each_step():
    x, y = _data()
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.train_on_batch(x[:32], y[:32])
    kept = [w.grad for w in model.trainable_weights]
    first = [g.numpy().copy() for g in kept]
    model.train_on_batch(x[32:64], y[32:64])
    for g, before in zip(kept, first):
        assert np.array_equal(g.numpy(), before)
    assert all(w.grad is not k for w, k in zip(model.trainable_weights, kept))


def test_weights_set_between_fits_are_seen():
    x, y = _data()
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, verbose=0)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.fit(x[:32], y[:32], batch_size=32, verbose=0, shuffle=False)
    ref = _mlp()
    ref.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    ref.set_weights([np.zeros_like(w) for w in ref.get_weights()])
    with em.kernels.reference("dense_chain"):
        ref.fit(x[:32], y[:32], batch_size=32, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        assert np.array_equal(a, b)


# --------------------------------------------------------------------------- predict
PREDICTED = {
    "relu + softmax": lambda: _mlp(),
    "linear last": lambda: _mlp(last=None),
    "relu last": lambda: _mlp(last="relu"),
    "functional chain": lambda: _functional(last=None),
    "Dropout(0.5) is the identity": lambda: _mlp(extra=[L.Dropout(0.5)]),
    "three layers, no bias, float64": lambda: _mlp(hidden=(9, 7), use_bias=False,
                                                   dtype="float64"),
}


@pytest.mark.parametrize("case", sorted(PREDICTED))
@pytest.mark.parametrize("batch_size", [None, 7, 1000])
def test_predict_is_bitwise_the_layers(case, batch_size, monkeypatch):
    x, _ = _data(n=250, dtype=np.float64)
    model = PREDICTED[case]()
    spy = _Spy(monkeypatch)
    fast = model.predict(x, batch_size=batch_size, verbose=0)
    assert spy.predicts == 1
    with em.kernels.reference("dense_chain"):
        ref = model.predict(x, batch_size=batch_size, verbose=0)
    assert fast.dtype == ref.dtype and fast.shape == ref.shape
    assert np.array_equal(fast, ref)


@pytest.mark.parametrize("make", [
    lambda: _mlp(last="sigmoid"), lambda: _mlp(hidden_act="tanh"),
    lambda: _mlp(extra=[L.BatchNormalization()]),
], ids=["sigmoid last", "tanh hidden", "BatchNormalization"])
def test_predict_of_other_models_runs_through_the_layers(make, monkeypatch):
    x, _ = _data(n=50)
    model = make()
    spy = _Spy(monkeypatch)
    out = model.predict(x, verbose=0)
    assert spy.predicts == 0 and out.shape == (50, 4)


def test_predict_prints_keras_closing_line(capsys):
    x, _ = _data(n=70)
    _mlp().predict(x, batch_size=32, verbose=1)
    assert "3/3" in capsys.readouterr().out


def test_predict_with_callbacks_that_watch_batches_runs_through_the_layers(monkeypatch):
    seen = []

    class Watch(em.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(batch)

    x, _ = _data(n=70)
    spy = _Spy(monkeypatch)
    _mlp().predict(x, batch_size=32, verbose=0, callbacks=[Watch()])
    assert seen == [0, 1, 2] and spy.predicts == 0


def test_the_plan_is_refused_for_a_model_of_other_layers():
    conv = em.Sequential([L.Input(shape=(6, 6, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(3)])
    assert chain_step.plan(conv) is None
    assert chain_step.plan(_mlp()) is not None
    with em.kernels.reference("dense_chain"):
        assert chain_step.plan(_mlp()) is None


def test_a_callback_wrapping_the_forward_pass_sees_every_step(monkeypatch):
    x, y = _data()
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    spy = _Spy(monkeypatch)
    doctor = em.callbacks.Doctor()
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[doctor])
    assert spy.steps == 0 and len(doctor.records) == 2
    model.fit(x, y, batch_size=32, verbose=0)  # without it, the captured step again
    assert spy.steps == 10


def test_the_tensorflow_quickstart_trains_captured_and_bitwise_the_layers(monkeypatch):
    """tensorflow.org/tutorials/quickstart/beginner, with the import changed and fake data."""
    x, y = _data(n=320, shape=(28, 28), classes=10)

    def quickstart():
        model = em.Sequential([
            L.Flatten(input_shape=(28, 28)),
            L.Dense(128, activation="relu"),
            L.Dropout(0.2),
            L.Dense(10),
        ])
        return model

    loss_fn = em.losses.SparseCategoricalCrossentropy(from_logits=True)
    spy = _Spy(monkeypatch)
    model = _same_training(quickstart, x, y, loss=loss_fn, epochs=2)
    assert spy.steps == 20
    probability_model = em.Sequential([model, L.Softmax()])
    assert probability_model.predict(x[:5], verbose=0).shape == (5, 10)
