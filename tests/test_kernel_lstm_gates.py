"""The LSTM kernel's compiled gate loops (``ember.kernels.lstm_gates``, numba) give the NumPy
calls' results bit for bit, forward and backward, with masks, initial states and recurrent
dropout; other activations keep the NumPy calls."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import lstm_gates
from ember.ops import recurrent as rnn_ops

pytestmark = pytest.mark.skipif(not lstm_gates.AVAILABLE,
                                reason="the compiled LSTM gates need numba (ember[fast])")


def _run(dtype, compiled: bool, monkeypatch, mask=False, initial=False, rdrop=False,
         **kw) -> list:
    monkeypatch.setattr(lstm_gates, "AVAILABLE", compiled)
    rng = np.random.default_rng(5)
    B, T, F, U = 4, 7, 3, 5

    def t(shape, scale=1.0):
        return em.from_numpy((rng.standard_normal(shape) * scale).astype(dtype)) \
            .requires_grad_(True)

    inputs = [t((B, T, F)), t((F, 4 * U), 0.5), t((U, 4 * U), 0.5), t((4 * U,), 0.2)]
    states = [t((B, U)), t((B, U))] if initial else None
    m = None
    if mask:
        m = np.ones((B, T), bool)
        m[0, 4:] = False
        m[2, :2] = False
    rm = (rng.random((B, U)) > 0.3).astype(dtype) / 0.7 if rdrop else None
    seq, h, c = rnn_ops.lstm(*inputs, initial_state=states, mask=m, recurrent_dropout_mask=rm,
                             return_sequences=True, return_state=True, **kw)
    weights = [em.from_numpy(rng.standard_normal(o.shape).astype(dtype)) for o in (seq, h, c)]
    ((seq * weights[0]).sum() + (h * weights[1]).sum() + (c * weights[2]).sum()).backward()
    leaves = inputs + (states or [])
    return [seq.numpy(), h.numpy(), c.numpy()] + [p.grad.numpy() for p in leaves]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    {}, {"mask": True, "initial": True}, {"rdrop": True, "go_backwards": True},
], ids=["plain", "mask + initial state", "recurrent dropout, backwards"])
def test_compiled_gates_are_bitwise_the_numpy_calls(dtype, case, monkeypatch):
    compiled = _run(dtype, True, monkeypatch, **case)
    numpy_calls = _run(dtype, False, monkeypatch, **case)
    for i, (a, b) in enumerate(zip(compiled, numpy_calls)):
        assert a.dtype == dtype
        assert np.array_equal(a, b), f"result {i}: max difference {np.abs(a - b).max()}"


def test_the_kernel_calls_the_loops_for_default_activations_only(monkeypatch):
    calls = []
    for name in ("forward_step", "backward_step"):
        real = getattr(lstm_gates, name)
        monkeypatch.setattr(lstm_gates, name,
                            lambda *a, _real=real, _n=name: (calls.append(_n), _real(*a))[1])
    _run(np.float32, True, monkeypatch)
    assert calls.count("forward_step") == 7 and calls.count("backward_step") == 7
    calls.clear()
    _run(np.float32, True, monkeypatch, activation="relu")
    assert calls == []
