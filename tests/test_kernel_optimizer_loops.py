"""SGD's and RMSprop's one-pass updates (``ember.kernels.sgd_fused``, ``rmsprop_fused``,
numba) give the NumPy passes' result bit for bit and decline what they do not handle; these
two and Adam's (``adam_fused``) are what ``fit`` runs by default, and a subclass's own
``_update_step`` replaces them."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import registry, rmsprop_fused, sgd_fused

pytestmark = pytest.mark.skipif("sgd_update" not in registry.registered(),
                                reason="the compiled optimizer loops need numba (ember[fast])")

# (784, 200) has 156,800 elements: the reference runs it in blocks of 32,768
SHAPES = [(784, 200), (200,), (3, 5), ()]
OPS = {"SGD": "sgd_update", "RMSprop": "rmsprop_update"}


def _train(make, dtype, reference: bool, steps: int = 4) -> list:
    rng = np.random.default_rng(1)
    params = [em.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    opt = make()
    with registry.reference(OPS[type(opt).__name__] if reference else []):
        for step in grads:
            for p, g in zip(params, step):
                p.grad = em.from_numpy(g)
            opt.step(params)
    return [p.numpy().copy() for p in params] + [
        np.asarray(a).copy() for slots in opt._slots for a in slots.values()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda: em.optimizers.SGD(0.05),
    lambda: em.optimizers.SGD(0.05, momentum=0.9),
    lambda: em.optimizers.SGD(0.05, momentum=0.8, nesterov=True),
    lambda: em.optimizers.SGD(em.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5),
                              momentum=0.9, clipnorm=0.5, weight_decay=0.01),
    lambda: em.optimizers.RMSprop(1e-3),
    lambda: em.optimizers.RMSprop(1e-2, rho=0.8, momentum=0.9, epsilon=1e-4),
    lambda: em.optimizers.RMSprop(1e-2, centered=True),
    lambda: em.optimizers.RMSprop(1e-2, centered=True, momentum=0.5),
], ids=["sgd", "momentum", "nesterov", "schedule + clipnorm + decay", "rmsprop",
        "rmsprop momentum", "centered", "centered momentum"])
def test_fused_update_is_bitwise_the_reference(make, dtype):
    fast = _train(make, dtype, reference=False)
    ref = _train(make, dtype, reference=True)
    for i, (a, b) in enumerate(zip(fast, ref)):
        assert a.dtype == b.dtype == dtype
        assert np.array_equal(a, b), f"array {i} differs: max {np.abs(a - b).max()}"


def test_the_kernels_decline_what_they_do_not_handle():
    w, g = np.zeros(8, np.float32), np.ones(8, np.float32)
    assert not sgd_fused.sgd_update(w[::2], g[::2], None, 0.1, 0.0, False)  # a view
    assert not sgd_fused.sgd_update(w, g.astype(np.float64), None, 0.1, 0.0, False)
    assert not sgd_fused.sgd_update(w.astype(np.float16), g.astype(np.float16), None, 0.1,
                                    0.0, False)
    assert not sgd_fused.sgd_update(w, g, None, np.float64(0.1), 0.0, False)  # not a float
    assert not rmsprop_fused.rmsprop_update(w, g, {"velocity": np.zeros(8)}, 0.1, 0.9, 1e-7,
                                            0.0, False)  # a float64 slot
    assert not rmsprop_fused.rmsprop_update(w, g, {"velocity": np.zeros(8, np.float32)}, 0.1,
                                            0.9, 1e-7, 0.0, True)  # centered without its slot
    assert sgd_fused.sgd_update(w, g, None, 0.5, 0.0, False)
    assert w.tolist() == [-0.5] * 8


MAKE = {"adam_update": lambda: em.optimizers.Adam(1e-3),
        "sgd_update": lambda: em.optimizers.SGD(0.1, momentum=0.9),
        "rmsprop_update": lambda: em.optimizers.RMSprop(0.01)}


@pytest.mark.parametrize("op", sorted(MAKE))
def test_fit_runs_the_kernel_and_trains_the_same_weights(op, monkeypatch):
    calls = []
    kernel = registry.registered()[op]

    def spy(*args):
        calls.append(1)
        return kernel.fn(*args)

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 8)).astype(np.float32), rng.integers(0, 3, 64)

    def fit(reference: bool) -> list:
        em.manual_seed(3)
        model = em.Sequential([em.layers.Input((8,)), em.layers.Dense(16, activation="relu"),
                               em.layers.Dense(3, activation="softmax")])
        model.compile(MAKE[op](), "sparse_categorical_crossentropy")
        with registry.reference(op if reference else []):
            model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    monkeypatch.setitem(registry._TABLE, op, registry.Kernel(op, spy, kernel.module))
    fast = fit(reference=False)
    assert len(calls) == 2 * 4 * 4  # 2 epochs x 4 steps x 4 parameters
    calls.clear()
    ref = fit(reference=True)
    assert not calls
    for a, b in zip(fast, ref):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("base", [em.optimizers.Adam, em.optimizers.SGD,
                                  em.optimizers.RMSprop], ids=lambda c: c.__name__)
def test_a_subclass_with_its_own_update_step_runs_it(base):
    class Half(base):
        def _update_step(self, data, grad, slots, consts, work):
            data -= 0.5 * grad

    w = em.tensor(np.ones(3, np.float32), requires_grad=True)
    w.grad = em.tensor(np.full(3, 2.0, np.float32))
    Half(0.1).step([w])
    assert w.tolist() == [0.0, 0.0, 0.0]


def test_ember_numba_0_leaves_them_unregistered():
    import os
    import subprocess
    import sys

    code = ("import ember as em; r = em.kernels.registered(); "
            "print('sgd_update' in r, 'rmsprop_update' in r)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "EMBER_NUMBA": "0"}, check=True).stdout.split()
    assert out == ["False", "False"]
