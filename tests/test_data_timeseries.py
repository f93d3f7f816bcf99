"""ember.data.timeseries_dataset_from_array against Keras 3 (grain format) on the same array."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

CASES = {
    "plain": dict(sequence_length=5, batch_size=4),
    "strided": dict(sequence_length=4, sequence_stride=3, sampling_rate=2, batch_size=3),
    "bounded": dict(sequence_length=3, sampling_rate=2, start_index=5, end_index=40,
                    batch_size=7),
    "unbatched": dict(sequence_length=6, sequence_stride=5, batch_size=None),
    "shuffled": dict(sequence_length=4, sequence_stride=2, batch_size=5, shuffle=True, seed=9),
}

SNIPPET = """
data = np.arange(60 * 2, dtype="float32").reshape(60, 2)
targets = (np.arange(60) * 10).astype("int64")
cases = %r
for tag, kw in cases.items():
    for with_targets in (True, False):
        ds = keras.utils.timeseries_dataset_from_array(
            data, targets if with_targets else None, format="grain", **kw)
        batches = list(ds)
        key = tag + ("_t" if with_targets else "")
        if with_targets:
            out[key + "_x"] = np.concatenate([np.asarray(b[0]).reshape(-1, kw["sequence_length"], 2)
                                              for b in batches])
            out[key + "_y"] = np.concatenate([np.asarray(b[1]).reshape(-1) for b in batches])
        else:
            out[key + "_x"] = np.concatenate([np.asarray(b).reshape(-1, kw["sequence_length"], 2)
                                              for b in batches])
        out[key + "_n"] = np.array(len(batches))
"""


@pytest.fixture(scope="module")
def keras_out(tmp_path_factory):
    return run_keras(SNIPPET % (CASES,), tmp_path_factory.mktemp("ts"), "grain")


DATA = np.arange(60 * 2, dtype="float32").reshape(60, 2)
TARGETS = (np.arange(60) * 10).astype("int64")


@pytest.mark.parametrize("tag", sorted(CASES))
@pytest.mark.parametrize("with_targets", [True, False])
def test_windows_match_keras(keras_out, tag, with_targets):
    kw = CASES[tag]
    ds = em.data.timeseries_dataset_from_array(DATA, TARGETS if with_targets else None, **kw)
    batches = list(ds)
    key = tag + ("_t" if with_targets else "")
    assert len(batches) == int(keras_out[key + "_n"]) == len(ds)
    if with_targets:
        x = np.concatenate([b[0].reshape(-1, kw["sequence_length"], 2) for b in batches])
        y = np.concatenate([b[1].reshape(-1) for b in batches])
    else:
        x = np.concatenate([b.reshape(-1, kw["sequence_length"], 2) for b in batches])
        y = None
    want = keras_out[key + "_x"]
    if kw.get("shuffle"):
        # Keras shuffles the window starts with RandomState(seed) and then again with
        # grain's own shuffle (tf.data's buffer in the tf format): only the windows agree
        order = np.lexsort(x.reshape(len(x), -1).T)
        worder = np.lexsort(want.reshape(len(want), -1).T)
        np.testing.assert_array_equal(x[order], want[worder])
        if y is not None:
            np.testing.assert_array_equal(y[order], keras_out[key + "_y"][worder])
        return
    np.testing.assert_array_equal(x, want)
    assert x.dtype == np.float32
    if y is not None:
        np.testing.assert_array_equal(y, keras_out[key + "_y"])


def test_shuffle_first_pass_is_keras_permutation_and_later_passes_differ():
    ds = em.data.timeseries_dataset_from_array(np.arange(20), None, sequence_length=1,
                                               batch_size=None, shuffle=True, seed=4)
    first = [int(w[0]) for w in ds]
    want = np.arange(20)
    np.random.RandomState(4).shuffle(want)
    assert first == want.tolist()
    second = [int(w[0]) for w in ds]
    assert sorted(second) == list(range(20)) and second != first


def test_forecasting_model_trains():
    series = np.sin(np.arange(300) / 10).astype("float32")[:, None]
    ds = em.data.timeseries_dataset_from_array(series[:-10], series[10:, 0],
                                               sequence_length=10, batch_size=32)
    model = em.Sequential([em.layers.Input((10, 1)), em.layers.SimpleRNN(8),
                           em.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(ds, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("kw,match", [
    (dict(sequence_length=0), "sequence_length must be a positive integer; got 0"),
    (dict(sequence_length=2, sampling_rate=100), "sampling_rate must be lower"),
    (dict(sequence_length=2, start_index=70), r"start_index must be in \[0, 60\)"),
    (dict(sequence_length=2, start_index=10, end_index=5), "end_index must be higher"),
    (dict(sequence_length=2, batch_size=0), "batch_size must be a positive integer"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=f"timeseries_dataset_from_array: {match}"):
        em.data.timeseries_dataset_from_array(DATA, None, **kw)
