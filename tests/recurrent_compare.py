"""Shared checks of the recurrent kernels' compiled loops against their NumPy calls
(``tests/test_kernel_{lstm_gates,gru_gates,simple_rnn_step}.py``): each test runs the op both
ways and hands the results (outputs, then every gradient) here."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

import ember as em

B, T, F, U = 4, 7, 3, 5  # batch, steps, features, units of every op run


def cases(*extra: tuple[str, dict]):
    """The parametrization over the op runs every file checks (plus ``extra`` (id, kwargs))."""
    pairs = [("plain", {}), ("mask + initial state", {"mask": True, "initial": True}),
             ("recurrent dropout, backwards", {"rdrop": True, "go_backwards": True}),
             *extra]
    return pytest.mark.parametrize("case", [kw for _, kw in pairs], ids=[i for i, _ in pairs])


def masks(rng: np.random.Generator, dtype, mask: bool, rdrop: bool) -> tuple:
    """A (B, T) step mask with a row ending early and one starting late, and a recurrent
    dropout mask (B, U), each or None."""
    m = None
    if mask:
        m = np.ones((B, T), bool)
        m[0, 4:] = False
        m[2, :2] = False
    rm = (rng.random((B, U)) > 0.3).astype(dtype) / 0.7 if rdrop else None
    return m, rm


def results(outputs: tuple, leaves: list, rng: np.random.Generator, dtype) -> list:
    """Backpropagate a random weighting of ``outputs``; their values, then every leaf's
    gradient."""
    weights = [em.from_numpy(rng.standard_normal(o.shape).astype(dtype)) for o in outputs]
    sum(((o * w).sum() for o, w in zip(outputs, weights)), start=0).backward()
    return [o.numpy() for o in outputs] + [p.grad.numpy() for p in leaves]


def assert_bitwise(compiled: list, numpy_calls: list, dtype) -> None:
    """The loops' results are the NumPy calls' bit for bit."""
    for i, (a, b) in enumerate(zip(compiled, numpy_calls)):
        assert a.dtype == dtype
        assert np.array_equal(a, b), f"result {i}: max difference {np.abs(a - b).max()}"


def assert_fused_close(fused: list, numpy_calls: list, exact: list) -> None:
    """A fused float32 step (tanh32 inside) equals the NumPy calls to float32's rounding, and is
    no further from the float64 results ``exact`` than NumPy's float32 calls are, give or take
    that rounding."""
    for i, (a, b, c) in enumerate(zip(fused, numpy_calls, exact)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6, err_msg=f"result {i}")
        assert np.abs(a - c).max() <= 2 * np.abs(b - c).max() + 2e-6, f"result {i}"


def check_fused_step(run: Callable, module: ModuleType, name: str, case: dict,
                     monkeypatch) -> None:
    """The fused float32 step ``module.name`` runs once per step and matches the NumPy calls
    (``assert_fused_close``); ``run(dtype, compiled, monkeypatch, **case)`` runs the op."""
    calls = spy(monkeypatch, module, name)
    fused = run(np.float32, True, monkeypatch, **case)
    assert len(calls) == T
    assert_fused_close(fused, run(np.float32, False, monkeypatch, **case),
                       run(np.float64, False, monkeypatch, **case))


def trained(layer, switch: ModuleType, compiled: bool, monkeypatch) -> tuple[list, list]:
    """Weights and losses of ``layer`` (a fresh recurrent layer of 8 units) + Dense(3) after two
    epochs on fixed data, with ``switch.AVAILABLE`` (the module's compiled loops) on or off."""
    monkeypatch.setattr(switch, "AVAILABLE", compiled)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((48, 6, 4)).astype(np.float32), rng.integers(0, 3, 48)
    em.utils.set_random_seed(1)
    model = em.Sequential([em.layers.Input((6, 4)), layer(),
                           em.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    return model.get_weights(), history.history["loss"]


def spy(monkeypatch, module: ModuleType, *names: str) -> list:
    """Wrap ``module``'s functions ``names`` so that each call appends its name to the list
    returned (and then runs the real function)."""
    calls: list = []
    for name in names:
        real = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda *a, _real=real, _name=name: (calls.append(_name), _real(*a))[1])
    return calls


def leaf_maker(rng: np.random.Generator, dtype):
    """A maker of random leaf tensors (requires_grad) of ``dtype``: ``t(shape, scale=1.0)``."""
    def t(shape, scale=1.0):
        return em.from_numpy((rng.standard_normal(shape) * scale).astype(dtype)) \
            .requires_grad_(True)
    return t
