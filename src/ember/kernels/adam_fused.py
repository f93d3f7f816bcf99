"""Adam's update in one pass over each parameter, compiled with numba (the ``fast`` extra) and
kept as machine code (``kernels/machine_code.py``).

The reference (``Adam._update_step``) is 12 in-place NumPy passes: each reads and writes a
whole array, so a step over P parameters moves ~24 P floats through the cache and pays 12
calls. This loop reads the weight, gradient and both moments once and writes three of them
once, with the same float operations in the same order (no ``fastmath``, no contraction into
fused multiply-adds), so its result is bit-for-bit the reference's (``tests/test_kernel_adam``).

Only plain C-contiguous float32 / float64 NumPy arrays of one dtype take it; anything else
(CuPy arrays, views, float16, AMSGrad) returns False and the caller runs the reference.

numba is optional: without it nothing is registered and Adam runs its NumPy passes. It compiles
the loop once (the first update after an install) and ember keeps the machine code in a file
that every later process loads with llvmlite, without importing numba: a dense network's
training then never imports it (56 MiB and ~40 ms for llvmlite against numba's 129 MiB and
~0.6 s, ``python -m benchmarks.bench_numba_memory`` and ``benchmarks/bench_adam.py`` on an AMD
EPYC).

Measured (Intel Xeon, 2 cores, numba 0.68.1; ``python benchmarks/bench_adam.py``): one step
over the dense network's 101,770 parameters 55 us against the passes' 170 us, 921 against
2,840 us at width 2048 (1.6 M); a dense MNIST epoch (batch 32) 1.14 -> 0.87 s, and 2.28 ->
1.41 s at width 2048 (15,360 images). Called through ctypes, the loop costs ~4 us a call
more than through numba's dispatcher (reading four arrays' addresses, 0.35 us each, and the
foreign call), ~15 us a step of the dense network's four parameters.
``error_model="numpy"`` lets LLVM vectorize the division (the default checks for zero: 3x
slower). A ``parallel=True`` loop over both cores was tried and dropped: its OpenMP threads
spin against OpenBLAS's, and the width-2048 epoch took 4.3 s instead of 1.4 s.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ember.kernels import compiled, machine_code
from ember.kernels.registry import replaces

_F32, _F64 = np.dtype("float32"), np.dtype("float64")


@machine_code.flat_loop(arrays=4, scalars="ffff")
def adam_loop(p, g, m, v, one_minus_b1, one_minus_b2, alpha, eps):  # pragma: no cover
    """Adam on flat arrays, in the reference's order of operations (see ``Adam``)."""
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + one_minus_b1 * (gi - m[i])
        vi = v[i] + one_minus_b2 * (gi * gi - v[i])
        m[i] = mi
        v[i] = vi
        p[i] -= (mi / (np.sqrt(vi) + eps)) * alpha


def _plain(a: Any, dtype: np.dtype) -> bool:
    return type(a) is np.ndarray and a.dtype is dtype and a.flags.c_contiguous


def compile_seconds() -> float:
    """Seconds the first call spends importing numba and compiling (or loading) the loop; 0.0
    once done. Example: ``ember.kernels.adam_fused.compile_seconds()``."""
    if adam_loop.is_compiled():
        return 0.0
    start = time.perf_counter()
    one = np.zeros(1, np.float32)
    adam_loop(one, one, one, one, np.float32(0.1), np.float32(0.001), np.float32(0.001),
              np.float32(1e-7))
    return time.perf_counter() - start


def adam_update(data: Any, grad: Any, m: Any, v: Any, consts: tuple) -> bool:
    """One Adam step on ``data`` in place, moments ``m`` and ``v`` updated; ``consts`` is
    ``Adam._step_constants``'s ``(beta_1, beta_2, alpha, epsilon)``. False (nothing done)
    when the arrays are not plain contiguous float32 / float64 NumPy arrays of one dtype."""
    dtype = data.dtype
    if dtype is not _F32 and dtype is not _F64:
        dtype = np.dtype(dtype)
        if dtype != _F32 and dtype != _F64:
            return False
        dtype = _F32 if dtype == _F32 else _F64
    if not (_plain(data, dtype) and _plain(grad, dtype) and _plain(m, dtype)
            and _plain(v, dtype)):
        return False
    b1, b2, alpha, eps = consts
    # the loop rounds each float to the arrays' precision as the reference's NumPy scalars do
    adam_loop(data, grad, m, v, 1.0 - b1, 1.0 - b2, alpha, eps)
    return True


if compiled.AVAILABLE:  # registered only where numba can compile the loop
    replaces("adam_update")(adam_update)
