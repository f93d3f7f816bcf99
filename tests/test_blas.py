"""ember.blas: NumPy's OpenBLAS thread count read, set and restored, and the one-thread rule
applied by the trainer around a training step of a small model (never inside an op)."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember import blas


def _controlled() -> int:
    n = blas.threads()
    if n is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS that ember can find on this machine")
    return n


def test_set_threads_returns_the_previous_count_and_changes_it():
    before = _controlled()
    try:
        assert blas.set_threads(1) == before
        assert blas.threads() == 1
        assert blas.set_threads(2) == 1
        assert blas.threads() == 2
    finally:
        blas.set_threads(before)
    assert blas.threads() == before


def test_set_threads_refuses_a_count_below_one():
    with pytest.raises(ValueError, match="blas.set_threads.*>= 1.*got 0"):
        blas.set_threads(0)


def test_one_thread_matmul_computes_the_product_and_restores_the_count():
    before = _controlled()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((32, 784)).astype(np.float32)
    b = rng.standard_normal((784, 128)).astype(np.float32)
    seen = []
    real_set = blas._set

    def spy(n):
        seen.append(int(n))
        real_set(n)

    blas.set_threads(2)
    blas._set = spy
    try:
        out = blas.one_thread_matmul(a, b)
    finally:
        blas._set = real_set
        assert blas.threads() == 2
        blas.set_threads(before)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)
    assert out.dtype == np.float32
    assert seen == [1, 2]  # down to one thread for the product, then back


def test_one_thread_matmul_restores_the_count_when_the_product_fails():
    before = _controlled()
    blas.set_threads(2)
    try:
        with pytest.raises(ValueError):
            blas.one_thread_matmul(np.ones((3, 4)), np.ones((5, 6)))
        assert blas.threads() == 2
    finally:
        blas.set_threads(before)


def test_one_thread_matmul_passes_other_operands_to_matmul():
    x = em.tensor([[1.0, 2.0]])
    out = blas.one_thread_matmul(x, em.tensor([[3.0], [4.0]]))
    assert isinstance(out, em.Tensor) and out.tolist() == [[11.0]]


def test_the_rule_wants_a_small_batch_and_small_weights():
    assert blas.l2_cache_bytes() >= 2**16
    assert blas.one_thread_pays(32, 407_080)  # the dense benchmark network, on every machine
    assert blas.one_thread_pays(32, blas.SMALL_WEIGHTS)
    assert not blas.one_thread_pays(32, blas.SMALL_WEIGHTS + 1)
    assert not blas.one_thread_pays(blas.SMALL_ROWS, 1024)


def test_training_a_dense_layer_leaves_the_thread_count_as_it_was():
    before = _controlled()
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Input(shape=(20,)), em.layers.Dense(16, activation="relu"),
                           em.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((64, 20)).astype(np.float32)
    y = np.arange(64) % 3
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert blas.threads() == before


def test_the_one_thread_product_gives_the_same_gradients():
    """linear's forward and input gradient on one thread agree with the library's setting."""
    rng = np.random.default_rng(1)
    x = em.tensor(rng.standard_normal((8, 30)).astype(np.float32), requires_grad=True)
    k = em.tensor(rng.standard_normal((30, 5)).astype(np.float32), requires_grad=True)
    results = []
    for rows in (blas.SMALL_ROWS, 0):  # the rule on, then off
        old = blas.SMALL_ROWS
        blas.SMALL_ROWS = rows
        try:
            x.grad = k.grad = None
            out = em.ops.linear.linear(x, k, relu=True)
            (out * out).sum().backward()
        finally:
            blas.SMALL_ROWS = old
        results.append((out.numpy(), x.grad.numpy(), k.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _record_set_calls(monkeypatch) -> list:
    """The thread counts the library is set to from now on (BLAS's setter, spied)."""
    calls: list = []
    real_set = blas._set
    monkeypatch.setattr(blas, "_set", lambda n: (calls.append(int(n)), real_set(n)))
    return calls


def test_only_training_products_switch_to_one_thread(monkeypatch):
    """predict keeps the library's threads (nothing is updated); a training step switches."""
    before = _controlled()
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Input(shape=(20,)), em.layers.Dense(16),
                           em.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.ones((16, 20), np.float32)
    calls = _record_set_calls(monkeypatch)
    blas.set_threads(2)
    try:
        calls.clear()
        model.predict(x, verbose=0)
        assert calls == []
        model.train_on_batch(x, np.zeros(16, np.int64))
        assert calls and calls[0] == 1 and blas.threads() == 2
    finally:
        blas.set_threads(before)


@pytest.mark.parametrize("recurrent", [
    lambda: em.layers.LSTM(4),
    lambda: em.layers.Bidirectional(em.layers.GRU(3)),
    lambda: em.layers.RNN(em.layers.SimpleRNNCell(4)),
], ids=["LSTM", "Bidirectional GRU", "RNN(cell)"])
def test_a_recurrent_models_step_keeps_the_librarys_threads(monkeypatch, recurrent):
    """A recurrent layer reuses its weights every timestep: its small step stays on the
    library's threads (measured faster in ember.blas), however small the weights."""
    before = _controlled()
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Input(shape=(5, 3)), recurrent(),
                           em.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    calls = _record_set_calls(monkeypatch)
    blas.set_threads(2)
    try:
        calls.clear()
        model.train_on_batch(np.ones((8, 5, 3), np.float32), np.zeros(8, np.int64))
        assert calls == [] and blas.threads() == 2
    finally:
        blas.set_threads(before)


def test_a_product_outside_a_training_step_keeps_the_librarys_threads(monkeypatch):
    """No op switches threads itself (the trainer applies the policy around a step)."""
    before = _controlled()
    calls = _record_set_calls(monkeypatch)
    x = em.tensor(np.ones((8, 6), np.float32))
    w = em.tensor(np.ones((6, 4), np.float32), requires_grad=True)
    blas.set_threads(2)
    try:
        calls.clear()
        out = em.matmul(x, w)
        em.ops.linear.linear(x, w).sum().backward()
        assert calls == [] and blas.threads() == 2
        assert out.tolist() == [[6.0] * 4] * 8
    finally:
        blas.set_threads(before)


def test_a_custom_layers_product_runs_on_one_thread_inside_a_training_step():
    before = _controlled()
    seen = []

    class Scale(em.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1], 3), "ones")

        def call(self, x):
            seen.append(blas.threads())
            return x @ self.w

    model = em.Sequential([em.layers.Input(shape=(6,)), Scale()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 6), np.float32)
    blas.set_threads(2)
    try:
        seen.clear()
        model.predict(x, verbose=0)
        model.train_on_batch(x, np.zeros((8, 3), np.float32))
        assert seen == [2, 1] and blas.threads() == 2
    finally:
        blas.set_threads(before)


def test_one_thread_blocks_nest_and_restore_the_count_once():
    before = _controlled()
    blas.set_threads(2)
    try:
        with blas.one_thread():
            with blas.one_thread():
                assert blas.threads() == 1
            assert blas.threads() == 1
        assert blas.threads() == 2
        with pytest.raises(RuntimeError):
            with blas.one_thread():
                raise RuntimeError("the step failed")
        assert blas.threads() == 2
        with blas.one_thread(active=False):
            assert blas.threads() == 2
    finally:
        blas.set_threads(before)
