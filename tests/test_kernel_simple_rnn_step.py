"""SimpleRNN's fused float32 step (``ember.kernels.simple_rnn_step``, numba) gives the NumPy
calls' results to float32's rounding, forward and backward, with masks, initial states and
recurrent dropout; float64 and relu keep the NumPy calls."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import simple_rnn_step
from ember.ops import recurrent as rnn_ops
from recurrent_compare import (
    B,
    F,
    T,
    U,
    cases,
    check_fused_step,
    leaf_maker,
    masks,
    results,
    trained,
)

pytestmark = pytest.mark.skipif(not simple_rnn_step.AVAILABLE,
                                reason="the compiled SimpleRNN step needs numba (ember[fast])")


def _run(dtype, compiled: bool, monkeypatch, mask=False, initial=False, rdrop=False,
         **kw) -> list:
    monkeypatch.setattr(simple_rnn_step, "AVAILABLE", compiled)
    rng = np.random.default_rng(5)
    t = leaf_maker(rng, dtype)
    inputs = [t((B, T, F)), t((F, U), 0.8), t((U, U), 0.8), t((U,), 0.2)]
    states = [t((B, U))] if initial else None
    m, rm = masks(rng, dtype, mask, rdrop)
    out = rnn_ops.simple_rnn(*inputs, initial_state=states, mask=m, recurrent_dropout_mask=rm,
                             return_sequences=True, return_state=True, **kw)
    return results(out, inputs + (states or []), rng, dtype)


@cases()
def test_the_fused_float32_step_matches_the_numpy_calls(case, monkeypatch):
    check_fused_step(_run, simple_rnn_step, "step", case, monkeypatch)


def test_float64_and_relu_keep_the_numpy_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(simple_rnn_step, "step", lambda *a: calls.append(1))
    _run(np.float64, True, monkeypatch)
    _run(np.float32, True, monkeypatch, activation="relu")
    assert calls == []


def test_a_simple_rnn_layer_trains_alike_with_the_fused_step(monkeypatch):
    (fused, _), (numpy_w, _) = (
        trained(lambda: em.layers.SimpleRNN(8), simple_rnn_step, on, monkeypatch)
        for on in (True, False))
    for a, b in zip(fused, numpy_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
