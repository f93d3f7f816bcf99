"""SimpleRNN's float32 step with its default tanh in one compiled loop (numba, the ``fast``
extra): ``h = tanh(xz + h[t-1] R)`` after the product, with ``lstm_gates.tanh32`` (arithmetic
only, within 2 units in the last place of the correctly rounded tanh), instead of NumPy's add
and tanh, whose float32 tanh is a scalar loop on machines without AVX-512. ``rnn_simple`` uses
it where numba is installed; float64 and other activations keep the NumPy calls. Equal to them
to float32's rounding, not bit for bit (``tests/test_kernel_simple_rnn_step.py``).

Measured (AMD EPYC, AVX2, 2 cores, numba 0.68.1): a step's add and tanh on (64, 128) 7.8 us
against 27 us. SimpleRNN(128) + Dense(10), Adam, batch 64, 6,400 random 28 x 28 sequences
(in-process A/B of ``AVAILABLE``, medians of 5): 0.543 s against 0.636 s on a quiet machine
(2.22 s against 2.26 s while the test suite ran on it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.kernels import compiled
from ember.kernels.lstm_gates import tanh32  # after editing it, delete numba's cache (*.nbi)

AVAILABLE = compiled.AVAILABLE  # a switch of its own (the tests compare both paths)


@compiled.loop
def _step(xz, rec, h):  # pragma: no cover - compiled
    batch, units = h.shape
    for b in range(batch):
        xb, rb, hb = xz[b], rec[b], h[b]  # row slices: the inner loop vectorizes
        for u in range(units):
            hb[u] = tanh32(xb[u] + rb[u])


def usable(a: Any, act: str) -> bool:
    """Whether the loop runs for arrays like ``a`` and the activation ``act``."""
    return AVAILABLE and act == "tanh" and compiled.numpy_floats(a) and a.dtype == np.float32


def step(xz: Any, rec: Any, h: Any) -> None:
    """``h = tanh(xz + rec)``, each (batch, units), float32."""
    _step(xz, rec, h)
