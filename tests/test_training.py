"""compile / fit / evaluate / predict: the semantics a Keras user relies on."""

import io

import numpy as np
import pytest

import ember as em

L = em.layers


def _data(n=96, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)).astype(np.float32)
    y = (x @ np.arange(1, d + 1) > d * (d + 1) / 4).astype(np.int64)
    return x, y


def _classifier(d=4, seed=0):
    em.utils.set_random_seed(seed)
    model = em.Sequential([L.Dense(16, activation="relu", input_shape=(d,)),
                           L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_fit_returns_history_with_validation_logs():
    x, y = _data()
    hist = _classifier().fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    assert set(hist.history) == {"loss", "val_loss"}
    assert len(hist.history["loss"]) == 3 and hist.epoch == [0, 1, 2]


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = _data(n=100)
    model = _classifier()
    hist = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    val_loss = model.evaluate(x[80:], y[80:], verbose=0)
    assert hist.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)


def test_validation_split_warns_when_a_class_is_missing():
    x, y = _data(n=100)
    y = np.sort(y)  # the last 20 % are all class 1
    with pytest.warns(UserWarning, match="no sample of class"):
        _classifier().fit(x, y, epochs=1, validation_split=0.2, verbose=0)


def test_same_seed_gives_bit_identical_history_and_weights():
    x, y = _data()
    runs = []
    for _ in range(2):
        model = _classifier(seed=3)
        hist = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.1, verbose=0)
        runs.append((hist.history, model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_sample_weight_scales_the_loss_and_class_weight_matches_it():
    x, y = _data()
    model = _classifier()
    plain = model.evaluate(x, y, verbose=0)
    doubled = model.evaluate(x, y, sample_weight=np.full(len(x), 2.0), verbose=0)
    assert doubled == pytest.approx(2 * plain, rel=1e-5)
    cw = {0: 0.5, 1: 2.0}
    a = _classifier(seed=1)
    a.fit(x, y, epochs=1, class_weight=cw, shuffle=False, verbose=0)
    b = _classifier(seed=1)
    b.fit(x, y, epochs=1, sample_weight=np.where(y == 1, 2.0, 0.5), shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_mismatched_sample_counts_are_a_clear_error():
    x, y = _data()
    with pytest.raises(ValueError, match="same number of samples.*x: 96.*y: 95"):
        _classifier().fit(x, y[:-1], verbose=0)


def test_feature_mismatch_names_the_layer_and_both_sizes():
    model = _classifier()
    with pytest.raises(ValueError, match="Dense 'dense.*' was built for inputs with 4 features; "
                                         "got 3"):
        model.predict(np.ones((2, 3), np.float32), verbose=0)


def test_fit_requires_compile():
    with pytest.raises(RuntimeError, match="compile the model first"):
        em.Sequential([L.Dense(1, input_shape=(2,))]).fit(np.ones((2, 2)), np.ones((2, 1)))


def test_generator_and_dataset_like_inputs():
    x, y = _data()

    def gen():
        while True:
            for i in range(0, len(x), 16):
                yield x[i:i + 16], y[i:i + 16]

    model = _classifier()
    hist = model.fit(gen(), steps_per_epoch=6, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2

    class Batches:
        def __len__(self):
            return 3

        def __iter__(self):
            for i in range(3):
                yield x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]

    assert np.isfinite(model.evaluate(Batches(), verbose=0))


def test_dataframe_like_inputs_are_duck_typed():
    x, y = _data()

    class Frame:
        def __init__(self, a):
            self.a = a

        def to_numpy(self):
            return self.a

    model = _classifier()
    model.fit(Frame(x.astype(np.float64)), Frame(y), epochs=1, verbose=0)
    assert model.predict(Frame(x), verbose=0).shape == (96, 2)


def test_evaluate_forms_and_batch_methods():
    x, y = _data()
    model = _classifier()
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    assert list(logs) == ["loss"]
    loss = model.train_on_batch(x[:8], y[:8])
    assert np.isfinite(loss)
    assert model.test_on_batch(x[:8], y[:8]) == pytest.approx(
        model.evaluate(x[:8], y[:8], verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:8]), model.predict(x[:8], verbose=0))


def test_predict_is_batched_and_records_no_graph():
    x, _ = _data()
    model = _classifier()
    p = model.predict(x, batch_size=7, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (96, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_initial_epoch_and_stop_training():
    x, y = _data()
    model = _classifier()
    hist = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert hist.epoch == [2, 3]


def test_verbose_2_prints_one_line_per_epoch_without_control_characters(capsys):
    x, y = _data()
    _classifier().fit(x, y, epochs=2, verbose="auto")  # captured output is not a terminal
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out
    assert "\r" not in out and "\x1b" not in out


def test_verbose_1_draws_a_tqdm_bar():
    pytest.importorskip("tqdm")
    from ember.callbacks.progbar import ProgbarLogger

    x, y = _data()
    stream = io.StringIO()
    model = _classifier()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ProgbarLogger(1, stream=stream)])
    text = stream.getvalue()
    assert "Epoch 1/1" in text and "3/3" in text


def test_regularization_penalties_are_added_to_the_reported_loss():
    x, y = _data()
    em.utils.set_random_seed(0)
    model = em.Sequential([L.Dense(8, activation="relu", input_shape=(4,),
                                   kernel_regularizer=em.regularizers.L2(0.1)),
                           L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    total = model.evaluate(x, y, verbose=0, batch_size=len(x))
    kernel = model.layers[0].kernel.numpy()
    probs = model.predict(x, verbose=0)
    data_loss = -np.log(probs[np.arange(len(y)), y]).mean()
    assert total == pytest.approx(data_loss + 0.1 * (kernel ** 2).sum(), rel=1e-5)
    hist = model.fit(x, y, epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
