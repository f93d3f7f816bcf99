"""The fused Adam kernel (``ember.kernels.adam_fused``, numba) gives the NumPy passes' result
bit for bit, declines what it does not handle, and is what ``Adam`` runs by default (that
``fit`` runs it, and a subclass's own ``_update_step`` instead:
tests/test_kernel_optimizer_loops.py, with SGD's and RMSprop's)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import ember as em
from ember.kernels import adam_fused, registry

pytestmark = pytest.mark.skipif("adam_update" not in registry.registered(),
                                reason="the fused Adam kernel needs numba (ember[fast])")


def _train(opt_factory, shapes, dtype, reference: bool, steps: int = 4) -> list:
    rng = np.random.default_rng(1)
    params = [em.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    opt = opt_factory()
    with registry.reference("adam_update" if reference else []):
        for step in grads:
            for p, g in zip(params, step):
                p.grad = em.from_numpy(g)
            opt.step(params)
    return [p.numpy().copy() for p in params] + [
        np.asarray(a).copy() for slots in opt._slots for a in slots.values()]


# (784, 200) has 156,800 elements: the reference runs it in blocks of 32,768
SHAPES = [(784, 200), (200,), (3, 5), ()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda: em.optimizers.Adam(1e-3),
    lambda: em.optimizers.Adam(0.05, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
    lambda: em.optimizers.AdamW(1e-2, weight_decay=0.1),
    lambda: em.optimizers.Adam(em.optimizers.schedules.ExponentialDecay(0.01, 2, 0.5),
                               clipnorm=0.5),
], ids=["default", "custom betas", "AdamW", "schedule + clipnorm"])
def test_fused_update_is_bitwise_the_reference(make, dtype):
    fast = _train(make, SHAPES, dtype, reference=False)
    ref = _train(make, SHAPES, dtype, reference=True)
    for i, (a, b) in enumerate(zip(fast, ref)):
        assert a.dtype == b.dtype == dtype
        assert np.array_equal(a, b), f"array {i} differs: max {np.abs(a - b).max()}"


def test_the_kernel_declines_what_it_does_not_handle():
    m, v = np.zeros(4, np.float32), np.zeros(4, np.float32)
    consts = em.optimizers.Adam(1e-3)._step_constants(1e-3)  # step 1: alpha bias-corrected
    strided = np.zeros(8, np.float32)[::2]
    assert not adam_fused.adam_update(strided, np.ones(4, np.float32), m, v, consts)
    assert not adam_fused.adam_update(np.zeros(4, np.float16), np.ones(4, np.float16),
                                      m.astype(np.float16), v.astype(np.float16), consts)
    assert not adam_fused.adam_update(np.zeros(4, np.float32), np.ones(4, np.float64), m, v,
                                      consts)
    w = np.zeros(4, np.float32)
    assert adam_fused.adam_update(w, np.ones(4, np.float32), m, v, consts)
    np.testing.assert_allclose(w, -1e-3, rtol=1e-4)  # the first step is lr * sign(g)


def test_declined_parameters_still_train_as_the_reference():
    """float16 weights and AMSGrad run the NumPy passes; the result is the reference's."""
    for make, dtype in [(lambda: em.optimizers.Adam(1e-2), np.float16),
                        (lambda: em.optimizers.Adam(1e-2, amsgrad=True), np.float32)]:
        fast = _train(make, [(6, 3)], dtype, reference=False)
        ref = _train(make, [(6, 3)], dtype, reference=True)
        for a, b in zip(fast, ref):
            assert np.array_equal(a, b)


def test_compile_seconds_reports_the_first_call_once():
    adam_fused.compile_seconds()
    assert adam_fused.compile_seconds() == 0.0


def test_ember_numba_0_switches_every_compiled_loop_off_in_a_process():
    code = ("import sys, ember as em; from ember.kernels import compiled, lstm_gates, "
            "gru_gates, simple_rnn_step, pool_tiles, conv_scatter; "
            "print(em.kernels.selected('adam_update') if 'adam_update' in "
            "em.kernels.registered() else 'unregistered', compiled.AVAILABLE, "
            "lstm_gates.AVAILABLE, gru_gates.AVAILABLE, simple_rnn_step.AVAILABLE, "
            "pool_tiles.AVAILABLE, conv_scatter.AVAILABLE, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "EMBER_NUMBA": "0"}, check=True).stdout.split()
    assert out == ["unregistered"] + ["False"] * 7


def test_numba_is_imported_to_compile_adams_loop_once_then_never(tmp_path):
    """The first process compiles Adam's loop with numba; the next loads its machine code with
    llvmlite and trains without importing numba (kernels/machine_code.py)."""
    code = ("import sys, numpy as np, ember as em; em.kernels.describe(); "
            "m = em.Sequential([em.layers.Input((4,)), em.layers.Dense(2)]); "
            "m.predict(np.ones((3, 4), np.float32), verbose=0); before = 'numba' in sys.modules; "
            "w = em.tensor(np.ones(3, np.float32), requires_grad=True); "
            "w.grad = em.tensor(np.ones(3, np.float32)); em.optimizers.Adam(0.1).step([w]); "
            "print(before, 'numba' in sys.modules, 'llvmlite' in sys.modules, "
            "w.numpy().tolist())")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.split(maxsplit=3) for _ in range(2)]
    assert runs[0][:3] == ["False", "True", "True"]  # compiled: numba imported
    assert runs[1][:3] == ["False", "False", "True"]  # loaded: llvmlite only
    assert runs[0][3] == runs[1][3]  # the same update, to the last bit
    np.testing.assert_allclose(eval(runs[1][3]), 0.9, atol=1e-6)  # the first step: w - lr
