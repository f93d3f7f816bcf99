"""SGD's update (plain, momentum, Nesterov) in one pass over each parameter, compiled with
numba (the ``fast`` extra).

The reference (``SGD._update_step``) is two to six in-place NumPy passes: ``step = lr g``, then
``w -= step`` or ``v = momentum v - step`` and ``w += v`` (Nesterov: ``w += momentum v -
step``). This loop does the same float operations in the same order once per element (no
``fastmath``, no fused multiply-adds, the constants in the array's precision), so the result is
bit for bit the reference's (``tests/test_kernel_optimizer_loops.py``). Only plain contiguous
float32 / float64 NumPy arrays of one dtype with a float learning rate take it; anything else
returns False and the caller runs the reference.

Measured (Intel Xeon, 2 cores, numba 0.68.1; ``python benchmarks/bench_adam.py --optimizer
sgd``, medians): one step with momentum 0.9 over the dense network's four parameters (101,770
values) 57 us against the passes' 91 us, 766 against 1,299 us at width 2048 (1.6 M). The loop
itself takes 21 us at width 128; the rest is the four calls' checks and numba's dispatch.
"""

from __future__ import annotations

from typing import Any

from ember.kernels import compiled, machine_code
from ember.kernels.registry import replaces


@machine_code.flat_loop(arrays=3, scalars="ffi")
def sgd_loop(p, g, v, lr, momentum, mode):  # pragma: no cover - compiled
    """mode 0: w -= lr g; 1: momentum; 2: Nesterov (``v`` unused in mode 0)."""
    for i in range(p.size):
        step = g[i] * lr
        if mode == 0:
            p[i] -= step
        else:
            vi = v[i] * momentum - step
            v[i] = vi
            if mode == 1:
                p[i] += vi
            else:
                p[i] = (p[i] - step) + vi * momentum


def sgd_update(data: Any, grad: Any, velocity: Any, lr: Any, momentum: float,
               nesterov: bool) -> bool:
    """One SGD step on ``data`` in place (``velocity`` None without momentum); False (nothing
    done) where the arrays or the rate are not what the loop takes."""
    arrays = (data, grad) if velocity is None else (data, grad, velocity)
    if type(lr) is not float or not compiled.contiguous_floats(*arrays):
        return False
    mode = 0 if velocity is None or momentum == 0 else (2 if nesterov else 1)
    # the loop rounds each float to the arrays' precision as the reference's NumPy scalars do
    sgd_loop(data, grad, data if velocity is None else velocity, lr, float(momentum), mode)
    return True


if compiled.AVAILABLE:  # registered only where numba can compile the loop
    replaces("sgd_update")(sgd_update)
