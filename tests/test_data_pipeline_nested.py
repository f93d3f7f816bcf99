"""Pipeline.interleave, window + flat_map, cache(filename) and a threaded map, against tf.data
(TensorFlow runs in a child process, as the other tf.data oracles): the same elements in the
same order."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

D = em.data.Dataset
WINDOWS = [(3, None, 1, False), (3, 2, 1, False), (3, 2, 1, True), (4, 1, 2, False),
           (4, 3, 2, True), (2, 5, 1, False), (5, 1, 1, True)]
INTERLEAVES = [(3, 2), (2, 1), (4, 3), (1, 2)]

SNIPPET = """
import json, tensorflow as tf
def plain(v):
    v = v.numpy() if hasattr(v, "numpy") else v
    return v.tolist() if hasattr(v, "tolist") else v
def listed(ds):
    return [plain(e) if not isinstance(e, tuple) else [plain(a) for a in e] for e in ds]
res = {}
for size, shift, stride, drop in %r:
    ds = tf.data.Dataset.range(10).window(size, shift, stride, drop)
    res[f"w{size}_{shift}_{stride}_{drop}"] = listed(ds.flat_map(lambda w: w.batch(size)))
x = np.arange(14, dtype="float32").reshape(7, 2)
y = np.arange(7) * 10
ds = tf.data.Dataset.from_tensor_slices((x, y)).window(3, shift=2, drop_remainder=True)
res["w_tuple"] = listed(ds.flat_map(lambda a, b: tf.data.Dataset.zip((a.batch(3), b.batch(3)))))
for cycle, block in %r:
    ds = tf.data.Dataset.range(1, 7).interleave(
        lambda v: tf.data.Dataset.range(v).map(lambda k: v * 10 + k), cycle_length=cycle,
        block_length=block)
    res[f"i{cycle}_{block}"] = listed(ds)
rows = np.arange(24).reshape(4, 6)
ds = tf.data.Dataset.from_tensor_slices(rows).interleave(
    lambda r: tf.data.Dataset.from_tensor_slices(r), cycle_length=3, block_length=2)
res["i_rows"] = listed(ds)
ds = tf.data.Dataset.range(12).map(lambda v: v * v, num_parallel_calls=tf.data.AUTOTUNE)
res["pmap"] = listed(ds)
ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(7, seed=1,
    reshuffle_each_iteration=True).cache(os.path.join(os.getcwd(), "tfcache"))
res["cache1"], res["cache2"] = listed(ds), listed(ds)
out["json"] = np.array(json.dumps(res))
"""


@pytest.fixture(scope="module")
def tf_out(tmp_path_factory):
    got = run_keras(SNIPPET % (WINDOWS, INTERLEAVES), tmp_path_factory.mktemp("tfdata"),
                    tensorflow=True)
    return json.loads(str(got["json"]))


def _listed(ds):
    def plain(v):
        return np.asarray(v).tolist()

    return [plain(e) if not isinstance(e, tuple) else [plain(a) for a in e] for e in ds]


@pytest.mark.parametrize("size,shift,stride,drop", WINDOWS)
def test_window_flat_map_matches_tf_data(tf_out, size, shift, stride, drop):
    ds = D.range(10).window(size, shift, stride, drop)
    got = _listed(ds.flat_map(lambda w: w.batch(size)))
    assert got == tf_out[f"w{size}_{shift}_{stride}_{drop}"]
    assert len(ds) == len(got)  # the window count is known up front, as tf's cardinality


def test_window_of_tuples_gives_tuples_of_datasets(tf_out):
    x = np.arange(14, dtype="float32").reshape(7, 2)
    y = np.arange(7) * 10
    ds = D.from_tensor_slices((x, y)).window(3, shift=2, drop_remainder=True)
    got = _listed(ds.flat_map(lambda a, b: D.zip((a.batch(3), b.batch(3)))))
    assert got == tf_out["w_tuple"]


@pytest.mark.parametrize("cycle,block", INTERLEAVES)
def test_interleave_matches_tf_data(tf_out, cycle, block):
    ds = D.range(1, 7).interleave(lambda v: D.range(int(v)).map(lambda k: v * 10 + k),
                                  cycle_length=cycle, block_length=block)
    assert _listed(ds) == tf_out[f"i{cycle}_{block}"]


def test_interleave_of_rows_matches_tf_data(tf_out):
    rows = np.arange(24).reshape(4, 6)
    ds = D.from_tensor_slices(rows).interleave(D.from_tensor_slices, cycle_length=3,
                                               block_length=2)
    assert _listed(ds) == tf_out["i_rows"]


def test_parallel_map_keeps_the_order_and_uses_threads(tf_out):
    assert _listed(D.range(12).map(lambda v: v * v, num_parallel_calls=em.data.AUTOTUNE)) \
        == tf_out["pmap"]
    threads = set()

    def slow(v):
        threads.add(threading.get_ident())
        time.sleep(0.02)  # sleeping releases the GIL, as NumPy's heavy loops do
        return v + 1

    start = time.perf_counter()
    got = _listed(D.range(40).map(slow, num_parallel_calls=8))
    elapsed = time.perf_counter() - start
    assert got == list(range(1, 41))
    assert len(threads) > 1 and elapsed < 40 * 0.02 / 2  # serial would take 0.8 s
    with pytest.raises(ValueError, match="num_parallel_calls must be a positive int"):
        D.range(3).map(slow, num_parallel_calls=0)
    with pytest.raises(ZeroDivisionError):  # an error in a worker reaches the consumer
        list(D.range(3).map(lambda v: 1 // 0, num_parallel_calls=2))


def test_cache_to_a_file_replays_the_first_pass(tf_out, tmp_path):
    x = np.arange(14, dtype="float32").reshape(7, 2)
    y = np.arange(7) * 10
    path = tmp_path / "cache.bin"
    calls = []

    def record(a, b):
        calls.append(1)
        return a, b

    ds = D.from_tensor_slices((x, y)).shuffle(7, seed=1).map(record).cache(str(path))
    first = _listed(ds)
    assert path.exists() and len(calls) == 7
    assert _listed(ds) == first and len(calls) == 7  # replayed from the file, no map
    # as tf.data: the shuffled order of the first pass is kept, later passes repeat it
    assert tf_out["cache1"] == tf_out["cache2"]
    assert sorted(map(str, first)) == sorted(map(str, tf_out["cache1"]))
    # another pipeline (another process alike) over the same file reads it, not its input
    again = D.from_tensor_slices((x[:1], y[:1])).map(record).cache(str(path))
    assert _listed(again) == first and len(calls) == 7
    first_x = next(iter(again))[0]
    assert first_x.dtype == np.float32


def test_cache_file_is_written_only_after_a_complete_pass(tmp_path):
    path = tmp_path / "partial.bin"
    ds = D.range(10).cache(str(path))
    assert [int(v) for v in ds.take(3)] == [0, 1, 2]
    assert not path.exists()
    assert [int(v) for v in ds] == list(range(10)) and path.exists()
    (tmp_path / "junk.bin").write_bytes(b"not a cache")
    with pytest.raises(ValueError, match="is not an ember cache file"):
        list(D.range(3).cache(str(tmp_path / "junk.bin")))
