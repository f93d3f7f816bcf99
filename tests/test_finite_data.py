"""NaN and inf in what fit trains on are refused before the first step, naming the argument,
how many values are bad and where the first is; the check reads the data once per fit."""

import warnings

import numpy as np
import pytest

import ember as em
from ember.models import finite_data

L = em.layers


def _data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)).astype(np.float32)
    y = (x.sum(axis=1) > d / 2).astype(np.int64)
    return x, y


def _model(d=4):
    model = em.Sequential([L.Dense(8, activation="relu", input_shape=(d,)),
                           L.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


class CountSteps(em.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.steps += 1


def _refused(model, match, **fit_kwargs):
    """fit must raise before any step, with the weights untouched."""
    before = [w.copy() for w in model.get_weights()]
    counter = CountSteps()
    with pytest.raises(ValueError, match=match):
        model.fit(verbose=0, callbacks=[counter], **fit_kwargs)
    assert counter.steps == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nan_in_x_names_x_the_count_and_the_first_index():
    x, y = _data()
    x[7, 2] = np.nan
    x[9, 0] = np.inf
    x[30, 3] = -np.inf
    model = _model()
    model.build((None, 4))
    _refused(model, r"fit: x contains 3 non-finite values \(NaN or inf\) out of 160; the "
                    r"first is nan at index \(7, 2\)", x=x, y=y)


def test_inf_in_float_targets_and_nan_in_sample_weight():
    x, _ = _data()
    y = np.zeros((40, 1), np.float32)
    y[12, 0] = np.inf
    model = em.Sequential([L.Dense(1, input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse")
    model.build((None, 4))
    _refused(model, r"fit: y contains 1 non-finite value .* the first is inf at index "
                    r"\(12, 0\)", x=x, y=y)
    y[12, 0] = 0.0
    sw = np.ones(40, np.float32)
    sw[3] = np.nan
    _refused(model, r"fit: sample_weight contains 1 non-finite value .* first is nan at "
                    r"index 3\b.*finite weight", x=x, y=y, sample_weight=sw)


def test_validation_data_and_validation_split_are_checked_too():
    x, y = _data()
    vx = x[:10].copy()
    vx[4, 1] = np.nan
    model = _model()
    model.build((None, 4))
    _refused(model, r"fit: validation_data x contains 1 non-finite value .* index \(4, 1\)",
             x=x, y=y, validation_data=(vx, y[:10]))
    x[35, 0] = np.nan  # in the part validation_split holds out: found all the same
    _refused(model, r"fit: x contains 1 non-finite value .* index \(35, 0\)", x=x, y=y,
             validation_split=0.25)


def test_several_inputs_are_named_by_position_and_by_dict_key():
    a = em.Input(shape=(3,), name="a")
    b = em.Input(shape=(2,), name="b")
    out = L.Dense(1)(L.Concatenate()([a, b]))
    model = em.Model([a, b], out)
    model.compile(optimizer="sgd", loss="mse")
    xa, xb = np.ones((8, 3), np.float32), np.ones((8, 2), np.float32)
    xb[5, 1] = np.nan
    y = np.ones((8, 1), np.float32)
    _refused(model, r"fit: x\[1\] contains 1 non-finite value .* index \(5, 1\)",
             x=[xa, xb], y=y)
    with pytest.raises(ValueError, match=r"x\[1\] contains 1 non-finite"):
        model.fit({"a": xa, "b": xb}, y, verbose=0)


def test_dataframe_names_the_row_label_and_the_column():
    pd = pytest.importorskip("pandas")
    x, y = _data(n=6)
    frame = pd.DataFrame(x, columns=["age", "height", "weight", "income"],
                         index=[f"p{i}" for i in range(6)])
    frame.loc["p4", "weight"] = np.nan
    model = _model()
    model.build((None, 4))
    _refused(model, r"fit: x contains 1 non-finite value .* index \(4, 2\) \(row label 'p4', "
                    r"column 'weight'\)", x=frame, y=pd.Series(y))


def test_generator_batch_is_refused_when_drawn_naming_the_batch():
    x, y = _data()
    x[21, 1] = np.nan  # in the third batch of 10

    def batches():
        for i in range(0, 40, 10):
            yield x[i:i + 10], y[i:i + 10]

    model = _model()
    counter = CountSteps()
    with pytest.raises(ValueError, match=r"fit \(batch 3 drawn from the data\): x contains 1 "
                                         r"non-finite value .* index \(1, 1\)"):
        model.fit(batches(), verbose=0, callbacks=[counter])
    assert counter.steps == 2  # refused when drawn: the two clean batches before it trained


def test_dataset_is_checked_in_its_first_epoch_only():
    x, y = _data()
    ds = em.data.Dataset.from_arrays(x, y, batch_size=10)
    calls = []
    original = finite_data.check_finite

    def spy(a, *args, **kwargs):
        calls.append(a.dtype.kind)
        return original(a, *args, **kwargs)

    finite_data.check_finite = spy
    try:
        _model().fit(ds, epochs=3, verbose=0)
    finally:
        finite_data.check_finite = original
    assert calls == ["f", "i"] * 4  # the 4 batches of epoch 1 only (x and the labels)
    bad = x.copy()
    bad[39, 3] = np.inf
    with pytest.raises(ValueError, match=r"batch 4 drawn from the data\): x contains 1 non-finite "
                                         r"value .* first is inf at index \(9, 3\)"):
        _model().fit(em.data.Dataset.from_arrays(bad, y, batch_size=10), verbose=0)


def test_large_finite_values_whose_sum_overflows_are_accepted():
    # the cheap test (a sum) overflows to inf; the exact pass then finds every value finite
    x = np.full((40, 4), 3e38, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        finite_data.check_finite(x, "x", "fit")
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"1 non-finite value .* index \(0, 0\)"):
        finite_data.check_finite(x, "x", "fit")


def test_integer_and_boolean_arrays_are_not_read():
    class Explodes(np.ndarray):
        def sum(self, *a, **k):
            raise AssertionError("an integer array was read")

    labels = np.arange(10).view(Explodes)
    finite_data.check_finite(labels, "y", "fit")
    finite_data.check_finite(np.ones(5, bool), "y", "fit")


def test_evaluate_and_train_on_batch_refuse_nan_too():
    x, y = _data()
    model = _model()
    model.fit(x, y, verbose=0)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"evaluate: x contains 1 non-finite"):
        model.evaluate(bad, y, verbose=0)
    with pytest.raises(ValueError, match=r"train_on_batch: x contains 1 non-finite"):
        model.train_on_batch(bad[:8], y[:8])
    assert np.isfinite(model.predict(x, verbose=0)).all()  # predict is not checked: NaN in,
    assert np.isnan(model.predict(bad[:1], verbose=0)).all()  # NaN out, as in Keras


def test_the_check_is_one_cheap_pass_on_mnist_sized_data():
    import time

    x = np.random.default_rng(0).random((60000, 784), dtype=np.float32)
    best = min(_timed(lambda: finite_data.check_finite(x, "x", "fit"), time) for _ in range(3))
    exact = min(_timed(lambda: np.isfinite(x).all(), time) for _ in range(3))
    assert best < max(0.1, 2 * exact)  # MNIST: ~6 ms here, np.isfinite(x).all() ~13 ms


def _timed(fn, time):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_validation_generator_and_generator_sample_weights_are_checked():
    x, y = _data()
    sw = np.ones(40, np.float32)
    sw[13] = np.inf

    def weighted():
        for i in range(0, 40, 10):
            yield x[i:i + 10], y[i:i + 10], sw[i:i + 10]

    with pytest.raises(ValueError, match=r"fit \(batch 2 drawn from the data\): sample_weight "
                                         r"contains 1 non-finite value .* first is inf at "
                                         r"index 3\b"):
        _model().fit(weighted(), verbose=0)
    vx = x.copy()
    vx[2, 2] = np.nan
    val = em.data.Dataset.from_arrays(vx, y, batch_size=10)
    with pytest.raises(ValueError, match=r"fit \(batch 1 drawn from the data\): validation_data x "
                                         r"contains 1 non-finite value .* index \(2, 2\)"):
        _model().fit(x, y, validation_data=val, verbose=0)


def test_arrays_are_checked_once_per_fit_not_per_epoch_or_step(monkeypatch):
    from ember.models import fit_inputs

    calls = []
    original = fit_inputs.check_arrays
    monkeypatch.setattr(fit_inputs, "check_arrays",
                        lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    x, y = _data()
    _model().fit(x, y, epochs=4, batch_size=4, validation_data=(x, y), verbose=0)
    assert calls == ["fit", "fit"]  # the training arrays and the validation arrays, once each


def test_a_nan_class_weight_is_named_as_such():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match=r"fit: class_weight \(as per-sample weights\) "
                                         r"contains \d+ non-finite values .*finite weight"):
        model.fit(x, y, class_weight={0: 1.0, 1: float("nan")}, verbose=0)
