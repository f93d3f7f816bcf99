"""A NaN or inf training loss stops fit (by default) with a message naming the epoch, the step,
the first non-finite layer and the usual causes; the bad step's update is not applied.
compile(..., stop_on_nan=False) keeps going as Keras does."""

import math

import numpy as np
import pytest

import ember as em
from ember.models import NonFiniteLossError

L = em.layers
# NumPy warns about the overflows and inf * 0 these tests cause on purpose
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _data(n=64, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > d / 2).astype(np.float32)
    return x, y


class Snapshots(em.callbacks.Callback):
    """The weights after every finished step."""

    def __init__(self):
        super().__init__()
        self.after = []

    def on_train_batch_end(self, batch, logs=None):
        self.after.append([w.copy() for w in self.model.get_weights()])


class BlowsUp(L.Layer):
    """Multiplies by inf from its n-th training call on (a layer that goes bad mid-fit)."""

    def __init__(self, after, **kwargs):
        super().__init__(**kwargs)
        self.after, self.calls = after, 0

    def call(self, inputs, training=None):
        if training:
            self.calls += 1
        return inputs * (math.inf if training and self.calls > self.after else 1.0)


def _model(bad_after=None, bn=False):
    layers = [L.Dense(8, activation="relu", input_shape=(4,), name="hidden")]
    if bn:
        layers.append(L.BatchNormalization(name="norm"))
    if bad_after is not None:
        layers.append(BlowsUp(bad_after, name="blows_up"))
    layers += [L.Dense(4, activation="tanh", name="after"), L.Dense(1, name="out")]
    model = em.Sequential(layers)
    model.compile(optimizer=em.optimizers.SGD(0.1), loss="mse")
    return model


def test_fit_stops_naming_epoch_step_first_bad_layer_and_causes():
    x, y = _data()
    model = _model(bad_after=10)  # 8 steps per epoch: the 11th call is epoch 2, step 3
    snaps = Snapshots()
    with pytest.raises(NonFiniteLossError) as info:
        model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False, callbacks=[snaps])
    message = str(info.value)
    assert message.startswith("fit: the training loss became ")
    assert "at epoch 2 (of 3), step 3;" in message
    assert "BlowsUp 'blows_up'" in message and info.value.layer == "blows_up"
    for cause in ("learning rate", "scaled", "log of zero", "stop_on_nan=False"):
        assert cause in message
    assert isinstance(info.value, FloatingPointError)
    # the weights are those after the last finite step: the bad step changed nothing
    assert len(snaps.after) == 10
    for a, b in zip(snaps.after[-1], model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_diverging_learning_rate_is_caught_at_the_first_overflowing_layer():
    x, y = _data()
    em.utils.set_random_seed(1)
    model = em.Sequential([L.Dense(16, activation="relu", input_shape=(4,), name="h1"),
                           L.Dense(16, activation="relu", name="h2"), L.Dense(1, name="o")])
    model.compile(optimizer=em.optimizers.SGD(1e4), loss="mse")
    with pytest.raises(NonFiniteLossError, match=r"fit: the training loss became (nan|inf) at "
                                                 r"epoch \d+ \(of 50\), step \d+") as info:
        model.fit(x * 100, y, batch_size=8, epochs=50, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert info.value.layer in ("h1", "h2", "o", None)


def test_loss_itself_non_finite_is_said_so():
    x, y = _data()

    def log_of_zero(y_true, y_pred):
        return em.log(y_pred * 0.0).mean(axis=-1)  # log(0) = -inf at every step

    model = _model()
    model.compile(optimizer="sgd", loss=log_of_zero)
    before = [w.copy() for w in model.get_weights()] if model.built else None
    with pytest.raises(NonFiniteLossError, match=r"became -inf at epoch 1 \(of 1\), step 1; "
                                                 r"every layer's output is finite") as info:
        model.fit(x, y, verbose=0)
    assert info.value.layer is None
    if before is not None:
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_batchnorm_moving_statistics_of_the_bad_step_are_put_back():
    x, y = _data()
    model = _model(bad_after=3, bn=True)
    snaps = Snapshots()
    with pytest.raises(NonFiniteLossError, match=r"epoch 1 \(of 1\), step 4"):
        model.fit(x, y, batch_size=8, verbose=0, shuffle=False, callbacks=[snaps])
    norm = model.get_layer("norm")
    assert np.isfinite(norm.moving_mean.numpy()).all()
    for a, b in zip(snaps.after[-1], model.get_weights()):
        np.testing.assert_array_equal(a, b)


class _Subclassed(em.Model):
    def __init__(self):
        super().__init__()
        self.hidden = L.Dense(8, activation="relu")
        self.bad = BlowsUp(0, name="sub_bad")
        self.out = L.Dense(1)

    def call(self, x, training=None):
        return self.out(self.bad(self.hidden(x), training=training))


def test_subclassed_and_functional_models_name_the_layer_too():
    x, y = _data()
    model = _Subclassed()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NonFiniteLossError, match=r"BlowsUp 'sub_bad'"):
        model.fit(x, y, verbose=0)
    inp = em.Input(shape=(4,))
    out = L.Dense(1)(BlowsUp(0, name="fn_bad")(L.Dense(8, name="fn_h")(inp)))
    functional = em.Model(inp, out)
    functional.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NonFiniteLossError, match=r"BlowsUp 'fn_bad'"):
        functional.fit(x, y, verbose=0)


def test_train_on_batch_refuses_the_step_too():
    x, y = _data()
    model = _model(bad_after=0)
    model.build((None, 4))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(NonFiniteLossError, match=r"train_on_batch: the training loss became "
                                                 r".* at this batch; the first layer .* "
                                                 r"'blows_up'"):
        model.train_on_batch(x[:8], y[:8])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_stop_on_nan_false_keeps_going_as_keras():
    x, y = _data()
    model = _model(bad_after=2)
    model.compile(optimizer=em.optimizers.SGD(0.1), loss="mse", stop_on_nan=False)
    hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and math.isnan(hist.history["loss"][-1])
    assert not all(np.isfinite(w).all() for w in model.get_weights())  # Keras: NaN weights
    # with TerminateOnNaN, the Keras way of stopping: the end of the first bad batch
    model = _model(bad_after=2)
    model.compile(optimizer=em.optimizers.SGD(0.1), loss="mse", stop_on_nan=False)
    snaps = Snapshots()
    hist = model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                     callbacks=[snaps, em.callbacks.TerminateOnNaN()])
    assert len(snaps.after) == 3 and len(hist.epoch) == 1


def test_stop_on_nan_must_be_a_bool():
    with pytest.raises(TypeError, match=r"compile: stop_on_nan must be True or False; got "
                                        r"'yes'"):
        _model().compile(optimizer="sgd", loss="mse", stop_on_nan="yes")


def test_healthy_steps_pay_only_the_float_test(monkeypatch):
    """On healthy steps nothing looks at arrays: no gradient pass, no layer re-run, and no
    state copy for a model without non-trainable state (timings are in the report: noise on
    a shared machine would make a timing assertion flaky)."""
    from ember.models import nonfinite_loss, trainer

    calls = []
    monkeypatch.setattr(trainer, "nonfinite_gradients",
                        lambda params: calls.append("grads") or [])
    monkeypatch.setattr(nonfinite_loss, "first_nonfinite_layer",
                        lambda *a: calls.append("rerun") or (None, ""))
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert calls == [] and model._trainer._backup.pairs == []
    # a huge but finite loss (a diverging run) does get its gradients looked at
    with pytest.raises(NonFiniteLossError):
        _linear().fit(x * 1e10, y, batch_size=8, epochs=1, verbose=0)
    assert "grads" in calls


def _linear():
    model = em.Sequential([L.Dense(1, use_bias=False, input_shape=(4,), name="first",
                                   kernel_initializer=em.initializers.Constant(1e-3))])
    model.compile(optimizer=em.optimizers.SGD(0.01), loss="mse")
    return model


def test_a_gradient_that_overflows_under_a_finite_loss_is_not_applied():
    # x = 1e21, kernel 1e-3: the error is ~4e18, so the loss (~1.6e37) fits in float32 but
    # its gradient with respect to the kernel (~8e39) does not
    x = np.full((8, 4), 1e21, np.float32)
    y = np.zeros((8, 1), np.float32)
    model = _linear()
    with pytest.raises(NonFiniteLossError, match=r"fit: the gradient became non-finite at "
                                                 r"epoch 1 \(of 1\), step 1 while the loss, "
                                                 r"1.6e\+37, was still finite: training is "
                                                 r"diverging; the weights with non-finite "
                                                 r"gradients are \['first/kernel'\]") as info:
        model.fit(x, y, batch_size=8, verbose=0)
    assert info.value.gradient and "weights are those of the last finite step" in str(info.value)
    np.testing.assert_array_equal(model.get_weights()[0], np.full((4, 1), 1e-3, np.float32))


def test_weights_already_non_finite_are_not_called_good():
    """If an update slipped an inf into the weights (here: a callback does it), the message
    says so instead of claiming the weights are those of a finite step."""
    x, y = _data()
    model = _model()

    class Poison(em.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.get_layer("after").kernel.data[0, 0] = np.inf

    with pytest.raises(NonFiniteLossError, match=r"step 3; the first layer whose output is not "
                                                 r"finite is Dense 'after'.* but the weights "
                                                 r"\['after/kernel'\] were already not finite"):
        model.fit(x, y, batch_size=8, verbose=0, callbacks=[Poison()])


def test_stop_on_nan_is_saved_with_the_model(tmp_path):
    """A model compiled to keep going on NaN keeps that choice through save and load."""
    x, y = _data()
    for choice in (False, True):
        model = em.Sequential([em.layers.Dense(1)])
        model.compile(optimizer=em.optimizers.SGD(0.1), loss="mse", stop_on_nan=choice)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        model.save(tmp_path / f"m{choice}.ember")
        loaded = em.models.load_model(tmp_path / f"m{choice}.ember")
        assert loaded._compile_config["stop_on_nan"] is choice
