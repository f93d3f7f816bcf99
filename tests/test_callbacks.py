"""Callbacks observe the one training loop: Keras 3 semantics, checked epoch by epoch."""

import csv
import math
import os

import numpy as np
import pytest

import ember as em

L = em.layers
C = em.callbacks


def _setup(seed=0, lr=0.01):
    em.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((64, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 1.5).astype(np.float32)
    model = em.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dense(1)])
    model.compile(optimizer=em.optimizers.SGD(lr), loss="mse")
    return model, x, y


def _inject(values, key="score"):
    """A callback that writes a scripted metric into the epoch logs."""
    return C.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(key,
                                                                             values[epoch]))


def test_early_stopping_waits_patience_epochs():
    model, x, y = _setup()
    stop = C.EarlyStopping(monitor="score", patience=2)
    hist = model.fit(x, y, epochs=10, verbose=0,
                     callbacks=[_inject([5, 4, 4.5, 4.2, 3, 2, 1, 0, 0, 0]), stop])
    assert hist.epoch == [0, 1, 2, 3]  # best at epoch 1, two epochs without improvement
    assert stop.stopped_epoch == 3


def test_restore_best_weights_also_restores_without_an_early_stop():
    model, x, y = _setup()
    snapshots = []
    record = C.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    stop = C.EarlyStopping(monitor="score", patience=10, restore_best_weights=True)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[_inject([3, 1, 2, 4]), record, stop])
    assert stop.stopped_epoch == 0
    for best, now in zip(snapshots[1], model.get_weights()):
        np.testing.assert_array_equal(best, now)


def test_early_stopping_min_delta_baseline_and_start_from_epoch():
    model, x, y = _setup()
    stop = C.EarlyStopping(monitor="score", patience=1, min_delta=0.5)
    hist = model.fit(x, y, epochs=10, verbose=0, callbacks=[_inject([5, 4.8, 4.6] + [0] * 7),
                                                            stop])
    assert hist.epoch == [0, 1]  # 4.8 is not better than 5 by more than 0.5
    stop = C.EarlyStopping(monitor="score", patience=2, baseline=1.0)
    hist = model.fit(x, y, epochs=10, verbose=0, callbacks=[_inject([5, 4, 3, 2, 1, 0] + [0] * 4),
                                                            stop])
    assert hist.epoch == [0, 1]  # never beat the baseline within the patience
    stop = C.EarlyStopping(monitor="score", patience=0, start_from_epoch=3)
    hist = model.fit(x, y, epochs=10, verbose=0, callbacks=[_inject([1, 2, 3, 4, 5] + [6] * 5),
                                                            stop])
    assert hist.epoch == [0, 1, 2, 3, 4]  # watching starts at epoch 3; 5 > 4 stops at 4


def test_early_stopping_mode_auto_maximizes_accuracy():
    assert C.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert C.EarlyStopping(monitor="val_loss").mode == "min"
    with pytest.raises(ValueError, match="mode"):
        C.EarlyStopping(mode="up")


def test_model_checkpoint_best_only_and_atomic(tmp_path):
    model, x, y = _setup()
    path = tmp_path / "ckpt" / "best-{epoch:02d}.ember"
    cb = C.ModelCheckpoint(str(path), monitor="score", save_best_only=True)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[_inject([3, 1, 2, 0.5]), cb])
    names = sorted(os.listdir(tmp_path / "ckpt"))
    assert names == ["best-01.ember", "best-02.ember", "best-04.ember"]
    same = em.models.load_model(str(tmp_path / "ckpt" / "best-04.ember"))
    np.testing.assert_array_equal(same.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="must end in"):
        C.ModelCheckpoint(str(tmp_path / "w.ember"), save_weights_only=True)


def test_model_checkpoint_weights_only(tmp_path):
    model, x, y = _setup()
    path = tmp_path / "w.weights.safetensors"
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[C.ModelCheckpoint(str(path), save_weights_only=True, monitor="loss")])
    fresh, _, _ = _setup(seed=5)
    fresh.load_weights(str(path))
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_reduce_lr_on_plateau():
    model, x, y = _setup(lr=0.1)
    cb = C.ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, min_lr=0.02)
    hist = model.fit(x, y, epochs=7, verbose=0, callbacks=[_inject([1] * 7), cb])
    # each epoch logs the rate it trained with; the cut takes effect from the next epoch
    assert hist.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025,
                                                           0.025])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)  # the floor


def test_learning_rate_scheduler():
    model, x, y = _setup(lr=0.1)
    cb = C.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    hist = model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert hist.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    with pytest.raises(ValueError, match="non-negative float"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[C.LearningRateScheduler(lambda e, lr: -1.0)])


def test_csv_logger_writes_and_appends(tmp_path):
    model, x, y = _setup()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[C.CSVLogger(str(path))])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[C.CSVLogger(str(path), append=True)])
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "loss"] and len(rows) == 4
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]


def test_terminate_on_nan_stops_at_the_first_bad_batch():
    model, x, y = _setup()
    calls = []

    def exploding(y_true, y_pred):
        calls.append(1)
        loss = ((y_pred - y_true) ** 2).mean(axis=-1)
        return loss * (float("nan") if len(calls) >= 3 else 1.0)

    # stop_on_nan=False: Keras' behaviour, where TerminateOnNaN is what stops training
    model.compile(optimizer="sgd", loss=exploding, stop_on_nan=False)
    hist = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[C.TerminateOnNaN()])
    assert len(calls) == 3 and len(hist.epoch) == 1
    assert math.isnan(hist.history["loss"][0])


def test_lambda_callback_hooks_run_in_order():
    model, x, y = _setup()
    seen = []
    cb = C.LambdaCallback(on_train_begin=lambda logs: seen.append("begin"),
                          on_epoch_end=lambda e, logs: seen.append(f"epoch{e}"),
                          on_train_batch_end=lambda b, logs: seen.append("b"),
                          on_train_end=lambda logs: seen.append("end"))
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[cb])
    assert seen == ["begin", "b", "b", "epoch0", "b", "b", "epoch1", "end"]


def test_callback_can_stop_training_mid_epoch():
    model, x, y = _setup()

    class StopAfter(C.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[StopAfter()])
    assert hist.epoch == [0]
