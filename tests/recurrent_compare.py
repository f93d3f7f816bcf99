"""Shared checks of the recurrent kernels' compiled loops against their NumPy calls
(``tests/test_kernel_{lstm_gates,gru_gates,simple_rnn_step}.py``): each test runs the op both
ways and hands the results (outputs, then every gradient) here."""

from __future__ import annotations

from types import ModuleType

import numpy as np

import ember as em


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
