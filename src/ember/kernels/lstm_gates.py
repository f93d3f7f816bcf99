"""The LSTM kernel's per-step gate arithmetic in one compiled loop each way (numba, the
``fast`` extra), for the default activations (tanh, sigmoid); ``rnn_lstm`` uses it where numba
is installed and runs its NumPy calls otherwise.

A step of ``rnn_lstm`` is a product and then a dozen elementwise NumPy calls on (units, batch)
blocks, each a pass over memory and a call's overhead. These loops do the elementwise part in
one pass, with the NumPy calls' float operations in the same order (no ``fastmath``, constants
in the array's precision), so the results are bit for bit those of the NumPy calls
(``tests/test_kernel_lstm_gates.py``). The transcendental part stays in NumPy: its tanh is
vectorized, numba's calls libm once per element (an earlier loop that fused the tanh too took
575 us a step against NumPy's 30 us). The backward pass has no transcendental at all (the
derivatives are ``1 - t**2`` and ``s (1 - s)`` of the saved outputs).

Measured (Intel Xeon, 2 cores, numba 0.68.1; the LSTM benchmark's shapes: batch 64, 28
steps of 28 features, 128 units; medians, in-process A/B against the NumPy calls): the whole
backward pass 3.9 -> 3.15 ms, the forward 2.5 -> 2.4 ms, and an epoch of 6,400 MNIST images
0.713 -> 0.636 s. The backward loop takes 6 us a step (the NumPy calls ~25). Writing the gate
gradients straight into the (4U, T, B) array the weight gradient is taken from was slower: the
loop's stores lose their unit stride (10 us) and the whole backward took 4.1 ms; writing both
that and the contiguous block in one loop took 23 us.
"""

from __future__ import annotations

from typing import Any

from ember.kernels import compiled

AVAILABLE = compiled.AVAILABLE  # a switch of its own (the tests compare both paths)


@compiled.loop
def _forward(z, c_prev, c, half):  # pragma: no cover - compiled
    # z holds tanh of the halved i, f, o pre-activations and tanh of g's (see rnn_lstm):
    # sigmoid = 0.5 tanh(a / 2) + 0.5, then c = f c_prev + i g
    units, batch = c.shape
    for u in range(units):
        for b in range(batch):
            i = z[u, b] * half + half
            f = z[units + u, b] * half + half
            z[u, b] = i
            z[units + u, b] = f
            z[3 * units + u, b] = z[3 * units + u, b] * half + half
            c[u, b] = f * c_prev[u, b] + i * z[2 * units + u, b]


@compiled.loop
def _backward(z, tc, c_prev, dh, dc, dz, one):  # pragma: no cover - compiled
    # dc += dh o tanh'(c); the gates' gradients times their derivatives into dz; dc *= f
    units, batch = dh.shape
    for u in range(units):
        for b in range(batch):
            i = z[u, b]
            f = z[units + u, b]
            g = z[2 * units + u, b]
            o = z[3 * units + u, b]
            th = tc[u, b]
            d_h = dh[u, b]
            d_c = dc[u, b] + ((one - th * th) * o) * d_h
            dc[u, b] = d_c * f
            dz[u, b] = (d_c * g) * ((one - i) * i)
            dz[units + u, b] = (d_c * c_prev[u, b]) * ((one - f) * f)
            dz[2 * units + u, b] = (d_c * i) * (one - g * g)
            dz[3 * units + u, b] = (d_h * th) * ((one - o) * o)


def usable(a: Any) -> bool:
    """Whether the loops run on arrays like ``a`` (NumPy float32 / float64, numba present)."""
    return AVAILABLE and compiled.numpy_floats(a)


def forward_step(z: Any, c_prev: Any, c: Any) -> None:
    """Finish the gates of one step in place (z: (4U, B), tanh applied) and write c (U, B)."""
    _forward(z, c_prev, c, z.dtype.type(0.5))


def backward_step(z: Any, tc: Any, c_prev: Any, dh: Any, dc: Any, dz: Any) -> None:
    """One step's gate gradients into ``dz`` (4U, B); ``dc`` becomes the gradient reaching
    c[t-1]."""
    _backward(z, tc, c_prev, dh, dc, dz, z.dtype.type(1))
