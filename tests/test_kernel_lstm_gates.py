"""The LSTM kernel's compiled gate loops (``ember.kernels.lstm_gates``, numba) give the NumPy
calls' results, forward and backward, with masks, initial states and recurrent dropout: bit for
bit where the loops leave the tanh to NumPy (float64, and float32 with the fused step off), to
float32's rounding where the fused float32 step computes it (``tanh32``, within 2 units in the
last place of the correctly rounded tanh); other activations keep the NumPy calls."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import lstm_gates
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

pytestmark = pytest.mark.skipif(not lstm_gates.AVAILABLE,
                                reason="the compiled LSTM gates need numba (ember[fast])")


def _run(dtype, compiled: bool, monkeypatch, mask=False, initial=False, rdrop=False,
         **kw) -> list:
    monkeypatch.setattr(lstm_gates, "AVAILABLE", compiled)
    rng = np.random.default_rng(5)
    t = leaf_maker(rng, dtype)
    inputs = [t((B, T, F)), t((F, 4 * U), 0.5), t((U, 4 * U), 0.5), t((4 * U,), 0.2)]
    states = [t((B, U)), t((B, U))] if initial else None
    m, rm = masks(rng, dtype, mask, rdrop)
    out = rnn_ops.lstm(*inputs, initial_state=states, mask=m, recurrent_dropout_mask=rm,
                       return_sequences=True, return_state=True, **kw)
    return results(out, inputs + (states or []), rng, dtype)


CASES = cases()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@CASES
def test_compiled_gates_are_bitwise_the_numpy_calls(dtype, case, monkeypatch):
    monkeypatch.setattr(lstm_gates, "fused_usable", lambda a: False)  # float32's fused step off
    compiled = _run(dtype, True, monkeypatch, **case)
    assert_bitwise(compiled, _run(dtype, False, monkeypatch, **case), dtype)


@CASES
def test_the_fused_float32_step_matches_the_numpy_calls(case, monkeypatch):
    check_fused_step(_run, lstm_gates, "forward_fused", case, monkeypatch)


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between float32 arrays (+0.0 and -0.0 are 0 apart)."""
    ia, ib = (v.view(np.int32).astype(np.int64) for v in (a, b))
    ia, ib = (np.where(v < 0, -(v & 0x7FFFFFFF), v) for v in (ia, ib))
    return np.abs(ia - ib)


def test_tanh32_is_within_two_ulp_of_the_correctly_rounded_tanh():
    x = np.concatenate([np.linspace(-12, 12, 400_001), np.geomspace(1e-40, 12, 100_000),
                        -np.geomspace(1e-40, 12, 100_000),
                        np.nextafter(np.float32(10), np.float32(0)) * np.ones(1)])
    x = x.astype(np.float32)
    out = np.empty_like(x)
    lstm_gates.tanh32_into(x, out)
    correct = np.tanh(x.astype(np.float64)).astype(np.float32)
    ulps = _ulps(out, correct)
    assert ulps.max() <= 2, f"x = {x[ulps.argmax()]}: {ulps.max()} ulp"
    assert (ulps == 0).mean() > 0.6  # most values are the correctly rounded one
    assert np.all(np.abs(out) <= 1)


def test_tanh32_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 10.0, -10.0, 1e30, -3e38, 1e-30],
                 np.float32)
    out = np.empty_like(x)
    lstm_gates.tanh32_into(x, out)
    assert np.isnan(out[0])
    np.testing.assert_array_equal(out[1:], [1, -1, 0, 0, 1, -1, 1, -1, np.float32(1e-30)])
    assert not np.signbit(out[3]) and np.signbit(out[4])  # tanh(-0.0) is -0.0, as NumPy's


def test_the_kernel_calls_the_loops_for_default_activations_only(monkeypatch):
    calls = spy(monkeypatch, lstm_gates, "forward_step", "backward_step")
    _run(np.float64, True, monkeypatch)  # float32 takes forward_fused (the test above)
    assert calls.count("forward_step") == 7 and calls.count("backward_step") == 7
    calls.clear()
    _run(np.float32, True, monkeypatch, activation="relu")
    assert calls == []


def test_an_lstm_layer_trains_alike_with_the_fused_float32_step(monkeypatch):
    (fused, fused_loss), (numpy_w, numpy_loss) = (
        trained(lambda: em.layers.LSTM(8), lstm_gates, on, monkeypatch) for on in (True, False))
    for a, b in zip(fused, numpy_w):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused_loss, numpy_loss, rtol=1e-6)
