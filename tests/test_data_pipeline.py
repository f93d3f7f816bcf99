"""ember.data.Pipeline (tf.data's API), PyDataset / Sequence, and PyTorch DataLoaders in fit."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import ember as em

D = em.data.Dataset


def as_list(ds):
    return [v.tolist() if hasattr(v, "tolist") else v for v in ds]


def test_tf_data_steps():
    assert as_list(D.range(10).skip(2).take(5)) == [2, 3, 4, 5, 6]
    assert as_list(D.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert as_list(D.range(7).batch(3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert as_list(D.range(7).batch(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5]]
    assert as_list(D.range(7).batch(3).unbatch()) == list(range(7))
    assert as_list(D.range(6).filter(lambda v: v % 2 == 0).map(lambda v: v * 10)) == [0, 20, 40]
    assert as_list(D.range(2).concatenate(D.range(3))) == [0, 1, 0, 1, 2]
    pairs = list(D.zip((D.range(3), D.range(10, 20))))
    assert [(int(a), int(b)) for a, b in pairs] == [(0, 10), (1, 11), (2, 12)]
    assert as_list(D.from_tensors(np.arange(3))) == [[0, 1, 2]]
    assert as_list(D.from_generator(lambda: iter([1, 2]))) == [1, 2]
    assert as_list(D.range(1, 8, 3)) == [1, 4, 7]


def test_cardinality_and_len_as_tf_data():
    assert len(D.range(10).batch(3)) == 4 and len(D.range(10).skip(3).take(4)) == 4
    assert len(D.range(3).repeat(4)) == 12 and len(D.zip((D.range(3), D.range(5)))) == 3
    assert D.range(3).repeat().cardinality() == -1
    assert D.range(3).filter(bool).cardinality() == -2
    assert not hasattr(D.range(3).filter(bool), "__len__")  # as tf.data: len is unknown
    assert len(D.range(3).repeat().take(7)) == 7


def test_structures_dicts_and_tuples():
    ds = D.from_tensor_slices({"a": np.arange(4.0), "b": np.ones((4, 2))}).batch(3)
    first = next(iter(ds))
    assert first["a"].tolist() == [0, 1, 2] and first["b"].shape == (3, 2)
    assert first["a"].dtype == np.float32  # ember trains in float32
    ds = D.from_tensor_slices((np.arange(5), np.arange(5) * 2)).map(lambda x, y: (x + y, y))
    assert [(int(a), int(b)) for a, b in ds] == [(3 * i, 2 * i) for i in range(5)]
    with pytest.raises(ValueError, match="different numbers of rows"):
        D.from_tensor_slices((np.arange(3), np.arange(4)))


def test_shuffle_is_seeded_reshuffles_and_keeps_every_element():
    a = D.range(20).shuffle(20, seed=3)
    first, second = as_list(a), as_list(a)
    assert sorted(first) == list(range(20)) and first != second
    assert as_list(D.range(20).shuffle(20, seed=3)) == first
    fixed = D.range(20).shuffle(5, seed=1, reshuffle_each_iteration=False)
    assert as_list(fixed) == as_list(fixed)
    small = as_list(D.range(50).shuffle(4, seed=0))
    assert sorted(small) == list(range(50))
    # a buffer of 4 can move an element at most 4 places earlier (tf.data's semantics)
    assert all(pos >= value - 4 for pos, value in enumerate(small))


def test_shuffled_batches_are_gathered_rows():
    x = np.arange(30.0).reshape(10, 3)
    y = np.arange(10)
    for xb, yb in D.from_tensor_slices((x, y)).shuffle(10, seed=2).batch(4):
        np.testing.assert_array_equal(xb, x[yb])


def test_cache_replays_the_first_pass():
    calls = []
    ds = D.range(4).map(lambda v: calls.append(int(v)) or v * 2).cache()
    assert as_list(ds) == as_list(ds) == [0, 2, 4, 6]
    assert calls == [0, 1, 2, 3]


def test_prefetch_runs_ahead_in_a_thread_and_passes_errors():
    seen = []
    ds = D.range(5).map(lambda v: seen.append(threading.current_thread().name) or v)
    assert as_list(ds.prefetch(2)) == [0, 1, 2, 3, 4]
    assert all(name == "ember-prefetch" for name in seen)

    def boom(v):
        if v == 2:
            raise RuntimeError("bad element 2")
        return v

    with pytest.raises(RuntimeError, match="bad element 2"):
        list(D.range(5).map(boom).prefetch())


def test_bad_arguments():
    with pytest.raises(ValueError, match="Pipeline.batch: batch_size must be a positive"):
        D.range(3).batch(0)
    with pytest.raises(ValueError, match="Pipeline.shuffle: buffer_size"):
        D.range(3).shuffle(0)
    with pytest.raises(TypeError, match="Pipeline.map: expected a function"):
        D.range(3).map(3)
    with pytest.raises(ValueError, match="elements of different shapes"):
        list(D.from_generator(lambda: iter([np.zeros(2), np.zeros(3)])).batch(2))


def model_for(n_in):
    model = em.Sequential([em.layers.Input((n_in,)), em.layers.Dense(2)])
    model.compile("sgd", em.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_fit_takes_a_pipeline_and_steps_for_an_endless_one():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)).astype("float32"), rng.integers(0, 2, 40)
    ds = D.from_tensor_slices((x, y)).shuffle(40, seed=0).batch(8).map(
        lambda a, b: (a * 2, b)).prefetch()
    model = model_for(3)
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2
    endless = D.from_tensor_slices((x, y)).batch(8).repeat()
    model.fit(endless, epochs=2, steps_per_epoch=3, verbose=0)


class Batches(em.utils.PyDataset):
    def __init__(self, n=5, delay=0.0, **kw):
        super().__init__(**kw)
        self.n, self.delay, self.epochs_ended, self.calls = n, delay, 0, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        self.calls.append(i)
        time.sleep(self.delay)
        x = np.full((4, 3), float(i), dtype="float32")
        return x, np.full(4, i % 2)

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_py_dataset_len_respected_in_fit():
    ds = Batches(n=5)
    model_for(3).fit(ds, epochs=3, verbose=0)
    assert ds.calls == list(range(5)) * 3 and ds.epochs_ended == 3
    assert em.utils.Sequence is em.utils.PyDataset


def test_py_dataset_workers_threads_in_order_and_faster():
    slow = Batches(n=8, delay=0.05)
    start = time.perf_counter()
    serial = [int(x[0, 0]) for x, _ in slow]
    serial_time = time.perf_counter() - start
    fast = Batches(n=8, delay=0.05, workers=4)
    start = time.perf_counter()
    parallel = [int(x[0, 0]) for x, _ in fast]
    assert parallel == serial == list(range(8))
    assert time.perf_counter() - start < serial_time * 0.75


def test_py_dataset_processes():
    ds = Batches(n=6, workers=2, use_multiprocessing=True)
    assert [int(x[0, 0]) for x, _ in ds] == list(range(6))
    assert ds.epochs_ended == 1
    model_for(3).fit(ds, epochs=1, verbose=0)


def test_endless_py_dataset_needs_steps():
    class Endless(em.utils.PyDataset):
        def __getitem__(self, i):
            return np.zeros((2, 3), "float32"), np.zeros(2, "int64")

    ds = Endless()
    assert ds.num_batches is None
    model_for(3).fit(ds, epochs=2, steps_per_epoch=4, verbose=0)


def test_torch_dataloader_in_fit():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    x, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    wrapped = em.data.from_torch(loader)
    assert len(wrapped) == 5
    xb, yb = next(iter(wrapped))
    assert isinstance(xb, np.ndarray) and xb.shape == (8, 3) and yb.dtype == np.int64
    history = model_for(3).fit(wrapped, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_autotuned_prefetch_runs_cheap_chains_inline_and_slow_ones_ahead(monkeypatch):
    from ember.data._pipeline_more import _Prefetch

    monkeypatch.setattr(_Prefetch, "INLINE_BELOW", 0.5)  # the decision, not the timing
    names = []
    cheap = D.range(50).map(lambda v: names.append(threading.current_thread().name) or v)
    assert as_list(cheap.prefetch()) == list(range(50))
    assert "ember-prefetch" not in names  # slicing-cost elements: no thread hand-over
    names.clear()
    monkeypatch.setattr(_Prefetch, "INLINE_BELOW", 1e-3)

    def slow(v):
        names.append(threading.current_thread().name)
        time.sleep(0.002)
        return v

    assert as_list(D.range(12).map(slow).prefetch()) == list(range(12))
    assert names[:4] == [threading.current_thread().name] * 4  # timed in the caller
    assert set(names[4:]) == {"ember-prefetch"}


def test_padded_batch_pads_each_component():
    gen = D.from_generator(lambda: iter([(np.arange(n), np.int64(n)) for n in (2, 4, 1)]))
    xb, yb = next(iter(gen.padded_batch(3)))
    assert xb.tolist() == [[0, 1, 0, 0], [0, 1, 2, 3], [0, 0, 0, 0]] and yb.tolist() == [2, 4, 1]
    fixed = D.from_generator(lambda: iter([np.arange(n) for n in (2, 3)]))
    out = next(iter(fixed.padded_batch(2, padded_shapes=[5], padding_values=-1)))
    assert out.tolist() == [[0, 1, -1, -1, -1], [0, 1, 2, -1, -1]]
    with pytest.raises(ValueError, match="does not fit padded_shapes"):
        list(fixed.padded_batch(2, padded_shapes=[2]))


def test_fit_takes_a_torch_dataloader_directly_as_pytorch_users_pass_it():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    x, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=False)
    em.utils.set_random_seed(0)
    history = model_for(3).fit(loader, epochs=2, verbose=0)  # [x, y] lists are (x, y)
    assert len(history.history["loss"]) == 2
    # the same batches as arrays give the same losses
    em.utils.set_random_seed(0)
    same = model_for(3).fit(x.numpy(), y.numpy(), batch_size=8, epochs=2, shuffle=False,
                            verbose=0)
    np.testing.assert_allclose(history.history["loss"], same.history["loss"], rtol=1e-6)
    model = model_for(3)
    model.fit(loader, epochs=1, verbose=0)
    assert model.predict(DataLoader(TensorDataset(x), batch_size=8), verbose=0).shape[0] == 40
