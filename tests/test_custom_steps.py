"""Customising fit as in Keras 3's guide: train_step / test_step / predict_step / compute_loss
overrides are honoured by fit / evaluate / predict / train_on_batch; compile() without a loss;
model.metrics, reset_metrics, compute_metrics, add_loss. Keras' own behaviour (checked with
KERAS_BACKEND=torch, whose train_step takes `data` like ember's) is quoted per test."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember import keras

RNG = np.random.RandomState(0)
X = RNG.rand(64, 4).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")).astype("float32")


def _functional(cls=em.Model):
    inputs = keras.Input((4,))
    return cls(inputs, keras.layers.Dense(1)(inputs))


class GuideModel(em.Model):
    """The guide's first CustomModel (TF version, with em.GradientTape)."""

    def train_step(self, data):
        x, y = data
        with em.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_overridden_train_step_is_used_and_trains():
    em.utils.set_random_seed(0)
    model = _functional(GuideModel)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    # Keras: ['loss', 'compile_metrics'] once compiled with a loss and metrics
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]
    history = model.fit(X, Y, batch_size=16, epochs=4, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]  # compile_metrics' dict flattened
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert model.optimizer.iterations == 16  # 4 epochs of 4 steps, each the model's own


def test_train_step_receives_keras_data_structures():
    seen = []

    class Probe(em.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(type(data).__name__ + str(len(data) if isinstance(data, tuple) else ""))
            return {"a": 1.0, "b": np.float32(2.0)}

    model = Probe()
    model.compile(optimizer="sgd")  # no loss: Keras accepts it when train_step makes its own
    h = model.fit(X, Y, batch_size=64, verbose=0)
    model.fit(X, batch_size=64, verbose=0)
    model.fit(X, Y, sample_weight=np.ones(64), batch_size=64, verbose=0)
    # Keras: (x, y) -> tuple of 2; x alone -> the tensor itself; with weights a tuple of 3
    assert seen == ["tuple2", "Tensor", "tuple3"]
    assert h.history == {"a": [1.0], "b": [2.0]}


def test_metrics_reset_at_each_epoch_with_own_trackers():
    class OwnMetrics(em.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            with em.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = keras.losses.mean_squared_error(y, y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    em.utils.set_random_seed(1)
    inputs = keras.Input((4,))
    model = OwnMetrics(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    h = model.fit(X, Y, batch_size=64, epochs=3, verbose=0)
    # reset at each epoch's start: the tracker holds the last epoch's 64 per-sample losses
    assert model.loss_tracker.count == 64
    assert float(model.loss_tracker.result()) == pytest.approx(h.history["loss"][-1])
    model.reset_metrics()
    assert float(model.loss_tracker.result()) == 0.0
    assert float(model.mae_metric.result()) == 0.0


def test_attribute_metrics_are_tracked_like_keras():
    class WithTracker(em.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.tracker = keras.metrics.Mean(name="loss")

        def call(self, x):
            return self.dense(x)

    model = WithTracker()
    assert [m.name for m in model.metrics] == ["loss"]  # Keras: ['loss'] before compile
    model.compile(optimizer="sgd", loss="mse")
    assert [m.name for m in model.metrics] == ["loss", "loss"]  # Keras: the same two


def test_overridden_test_step_and_predict_step():
    class Steps(em.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def test_step(self, data):
            x, y = data
            return {"t": 3}

        def predict_step(self, data):
            return self(data) * 0 + 7

    model = Steps()
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(X, Y, verbose=0) == 3.0  # Keras: 3.0
    assert model.evaluate(X, Y, verbose=0, return_dict=True) == {"t": 3.0}
    assert np.all(model.predict(X, verbose=0) == 7)
    assert model.test_on_batch(X, Y, return_dict=True) == {"t": 3.0}


def test_overridden_compute_loss_is_used_by_the_default_step():
    calls = []

    class DoubledLoss(em.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            calls.append(training)
            return 2.0 * super().compute_loss(x, y, y_pred, sample_weight, training)

    em.utils.set_random_seed(2)
    model = _functional(DoubledLoss)
    model.compile(optimizer="sgd", loss="mse")
    em.utils.set_random_seed(2)
    plain = _functional()
    plain.compile(optimizer="sgd", loss="mse")
    plain.set_weights(model.get_weights())
    doubled = model.evaluate(X, Y, verbose=0)
    assert doubled == pytest.approx(2 * plain.evaluate(X, Y, verbose=0), rel=1e-6)
    model.fit(X, Y, batch_size=32, verbose=0)
    assert calls == [False, False, True, True]  # two batches each


def test_compute_loss_adds_add_loss_terms_and_compute_metrics():
    class Penalised(em.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            out = self.dense(x)
            self.add_loss(em.tensor(0.25))
            return out

    model = Penalised()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    y_pred = model(X)
    total = model.compute_loss(X, Y, y_pred)
    mse = float(np.mean((y_pred.data - Y) ** 2))
    assert float(total.item()) == pytest.approx(mse + 0.25, rel=1e-5)
    got = model.compute_metrics(X, Y, y_pred)
    # Keras: compute_metrics updates the compiled metrics, not the loss tracker
    assert got["mae"] == pytest.approx(float(np.mean(np.abs(y_pred.data - Y))), rel=1e-5)
    assert got["loss"] == 0.0


def test_add_loss_only_model_trains_without_compiled_loss():
    class SelfSupervised(em.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(4)

        def call(self, x):
            out = self.dense(x)
            self.add_loss(em.mean((out - x) ** 2))
            return out

    em.utils.set_random_seed(3)
    model = SelfSupervised()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    h = model.fit(X, batch_size=16, epochs=5, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_no_loss_anywhere_is_a_clear_error():
    model = _functional()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="no loss to compute"):
        model.fit(X, Y, verbose=0)


def test_default_train_step_callable_directly():
    model = _functional()
    model.compile(optimizer="sgd", loss="mse")
    logs = model.train_step((X, Y))
    assert set(logs) == {"loss"} and np.isfinite(logs["loss"])


def test_callback_hooks_get_dicts():
    got = {}

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            got["train_begin"] = logs

        def on_epoch_begin(self, epoch, logs=None):
            got["epoch_begin"] = logs

        def on_test_batch_end(self, batch, logs=None):
            got["test_batch_end"] = dict(logs)

        def on_predict_batch_end(self, batch, logs=None):
            got["predict_batch_end"] = logs

    model = _functional()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, validation_data=(X, Y), verbose=0, callbacks=[Recorder()])
    model.predict(X, verbose=0, callbacks=[Recorder()])
    assert got["train_begin"] == {} and got["epoch_begin"] == {}
    assert set(got["test_batch_end"]) == {"loss"}  # Keras: the running validation logs
    assert got["predict_batch_end"]["outputs"].shape == (32, 1)
