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
from recurrent_compare import (
    B,
    F,
    T,
    U,
    assert_bitwise,
    cases,
    check_fused_step,
    leaf_maker,
    masks,
    results,
    spy,
    trained,
)

pytestmark = pytest.mark.skipif(not gru_gates.AVAILABLE,
                                reason="the compiled GRU gates need numba (ember[fast])")


def _run(dtype, compiled: bool, monkeypatch, mask=False, initial=False, rdrop=False,
         bias=True, **kw) -> list:
    monkeypatch.setattr(gru_gates, "AVAILABLE", compiled)
    rng = np.random.default_rng(5)
    t = leaf_maker(rng, dtype)
    inputs = [t((B, T, F)), t((F, 3 * U), 0.5), t((U, 3 * U), 0.5)]
    b = t((2, 3 * U), 0.2) if bias else None
    states = [t((B, U))] if initial else None
    m, rm = masks(rng, dtype, mask, rdrop)
    out = rnn_ops.gru(*inputs, b, initial_state=states, mask=m, recurrent_dropout_mask=rm,
                      return_sequences=True, return_state=True, **kw)
    return results(out, inputs + ([b] if bias else []) + (states or []), rng, dtype)


CASES = cases(("no bias, mask", {"bias": False, "mask": True}))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@CASES
def test_compiled_gates_are_bitwise_the_numpy_calls(dtype, case, monkeypatch):
    monkeypatch.setattr(gru_gates, "fused_usable", lambda a: False)  # float32's fused step off
    compiled = _run(dtype, True, monkeypatch, **case)
    assert_bitwise(compiled, _run(dtype, False, monkeypatch, **case), dtype)


@CASES
def test_the_fused_float32_step_matches_the_numpy_calls(case, monkeypatch):
    check_fused_step(_run, gru_gates, "_forward_fused", case, monkeypatch)


def test_the_kernel_calls_the_loops_for_keras_default_gru_only(monkeypatch):
    calls = spy(monkeypatch, gru_gates, "forward_step", "backward_step")
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
    (with_loops, _), (numpy_w, _) = (
        trained(lambda: em.layers.GRU(8), gru_gates, on, monkeypatch) for on in (True, False))
    for a, b in zip(with_loops, numpy_w):
        if fused:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        else:
            assert np.array_equal(a, b)
