"""The GRU kernel's compiled gate loops (``ember.kernels.gru_gates``, numba) give the NumPy
calls' results, forward and backward, with masks, initial states, recurrent dropout and no
bias: bit for bit where the tanh stays in NumPy (float64, and float32 with the fused step off),
to float32's rounding in the fused float32 step (``lstm_gates.tanh32``); other GRUs keep the
NumPy calls."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import gru_gates
from ember.ops import recurrent as rnn_ops

pytestmark = pytest.mark.skipif(not gru_gates.AVAILABLE,
                                reason="the compiled GRU gates need numba (ember[fast])")


def _run(dtype, compiled: bool, monkeypatch, mask=False, initial=False, rdrop=False,
         bias=True, **kw) -> list:
    monkeypatch.setattr(gru_gates, "AVAILABLE", compiled)
    rng = np.random.default_rng(5)
    B, T, F, U = 4, 7, 3, 5

    def t(shape, scale=1.0):
        return em.from_numpy((rng.standard_normal(shape) * scale).astype(dtype)) \
            .requires_grad_(True)

    inputs = [t((B, T, F)), t((F, 3 * U), 0.5), t((U, 3 * U), 0.5)]
    b = t((2, 3 * U), 0.2) if bias else None
    states = [t((B, U))] if initial else None
    m = None
    if mask:
        m = np.ones((B, T), bool)
        m[0, 4:] = False
        m[2, :2] = False
    rm = (rng.random((B, U)) > 0.3).astype(dtype) / 0.7 if rdrop else None
    seq, h = rnn_ops.gru(*inputs, b, initial_state=states, mask=m, recurrent_dropout_mask=rm,
                         return_sequences=True, return_state=True, **kw)
    weights = [em.from_numpy(rng.standard_normal(o.shape).astype(dtype)) for o in (seq, h)]
    ((seq * weights[0]).sum() + (h * weights[1]).sum()).backward()
    leaves = inputs + ([b] if bias else []) + (states or [])
    return [seq.numpy(), h.numpy()] + [p.grad.numpy() for p in leaves]


CASES = pytest.mark.parametrize("case", [
    {}, {"mask": True, "initial": True}, {"rdrop": True, "go_backwards": True},
    {"bias": False, "mask": True},
], ids=["plain", "mask + initial state", "recurrent dropout, backwards", "no bias, mask"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@CASES
def test_compiled_gates_are_bitwise_the_numpy_calls(dtype, case, monkeypatch):
    monkeypatch.setattr(gru_gates, "fused_usable", lambda a: False)  # float32's fused step off
    compiled = _run(dtype, True, monkeypatch, **case)
    numpy_calls = _run(dtype, False, monkeypatch, **case)
    for i, (a, b) in enumerate(zip(compiled, numpy_calls)):
        assert a.dtype == dtype
        assert np.array_equal(a, b), f"result {i}: max difference {np.abs(a - b).max()}"


@CASES
def test_the_fused_float32_step_matches_the_numpy_calls(case, monkeypatch):
    calls = []
    real = gru_gates._forward_fused
    monkeypatch.setattr(gru_gates, "_forward_fused", lambda *a: (calls.append(1), real(*a)))
    fused = _run(np.float32, True, monkeypatch, **case)
    assert len(calls) == 7  # one call per step
    numpy_calls = _run(np.float32, False, monkeypatch, **case)
    exact = _run(np.float64, False, monkeypatch, **case)
    for i, (a, b, c) in enumerate(zip(fused, numpy_calls, exact)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6, err_msg=f"result {i}")
        assert np.abs(a - c).max() <= 2 * np.abs(b - c).max() + 2e-6, f"result {i}"


def test_the_kernel_calls_the_loops_for_keras_default_gru_only(monkeypatch):
    calls = []
    for name in ("forward_step", "backward_step"):
        real = getattr(gru_gates, name)
        monkeypatch.setattr(gru_gates, name,
                            lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    _run(np.float32, True, monkeypatch)
    assert calls.count("forward_step") == 7 and calls.count("backward_step") == 7
    calls.clear()
    _run(np.float32, True, monkeypatch, activation="relu")
    _run(np.float32, True, monkeypatch, reset_after=False, bias=False)
    assert not calls


@pytest.mark.parametrize("fused", [False, True], ids=["bitwise loops", "fused float32 step"])
def test_a_gru_layer_trains_the_same_with_and_without_the_loops(fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(gru_gates, "fused_usable", lambda a: False)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((48, 6, 4)).astype(np.float32), rng.integers(0, 3, 48)

    def fit(compiled: bool) -> list:
        monkeypatch.setattr(gru_gates, "AVAILABLE", compiled)
        em.utils.set_random_seed(1)
        model = em.Sequential([em.layers.Input((6, 4)), em.layers.GRU(8),
                               em.layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    for a, b in zip(fit(True), fit(False)):
        if fused:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        else:
            assert np.array_equal(a, b)
