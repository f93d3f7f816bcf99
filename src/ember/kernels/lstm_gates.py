"""The LSTM kernel's per-step gate arithmetic in one compiled loop each way (numba, the
``fast`` extra), for the default activations (tanh, sigmoid); ``rnn_lstm`` uses it where numba
is installed and runs its NumPy calls otherwise.

A step of ``rnn_lstm`` is a product and then a dozen elementwise NumPy calls on (units, batch)
blocks, each a pass over memory and a call's overhead. These loops do the elementwise part in
one pass. The backward pass has no transcendental at all (the derivatives are ``1 - t**2`` and
``s (1 - s)`` of the saved outputs) and its loop repeats the NumPy calls' float operations in
the same order (no ``fastmath``, constants in the array's precision): bit for bit the NumPy
calls (``tests/test_kernel_lstm_gates.py``).

The forward pass has five tanh per unit and sample (the sigmoid is ``0.5 tanh(a / 2) + 0.5``
with the sigmoid rows of the weights halved once, see ``rnn_lstm``). numba's tanh calls libm
once per element (an early loop that fused it took 575 us a step against NumPy's 30 us), so
for float64 the tanh stays in NumPy and ``forward_step`` does the rest, bit for bit. For
float32, ``forward_fused`` does the whole step, tanh included, with ``tanh32``: arithmetic
only, so the loop vectorizes. ``tanh32`` is within 2 units in the last place of the correctly
rounded tanh (NumPy's own float32 tanh is within 1), so this path equals the NumPy calls to
about 2e-7, not bit for bit; its tests compare it with a tolerance.

Measured (in-process, the LSTM benchmark's shapes: batch 64, 28 steps of 28 features, 128
units; medians). Intel Xeon, 2 cores, numba 0.68.1: the whole backward pass 3.9 -> 3.15 ms
with ``backward_step``, the forward 2.5 -> 2.4 ms with ``forward_step``, an epoch of 6,400
MNIST images 0.713 -> 0.636 s; the backward loop takes 6 us a step (the NumPy calls ~25).
Writing the gate gradients straight into the (4U, T, B) array the weight gradient is taken
from was slower: the loop's stores lose their unit stride (10 us) and the whole backward took
4.1 ms; writing both that and the contiguous block in one loop took 23 us. AMD EPYC (AVX2: no
AVX-512, where NumPy's float32 tanh is a scalar loop of ~3 ns an element), 2 cores: a forward
step's elementwise part (tanh of the gates, the loop, tanh of c, h = o tanh(c)) 140 us in
NumPy calls, 41 us in ``forward_fused``; an LSTM(128) + Dense(10) epoch of 6,400 random
28 x 28 sequences (batch 64, Adam, medians of 3, in-process A/B of ``fused_usable``) 1.53 s
against 1.92 s (1.46 against 1.63 s in a second session hour).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.kernels import compiled

AVAILABLE = compiled.AVAILABLE  # a switch of its own (the tests compare both paths)

_f32 = np.float32
# tanh(y) ~= y P(y^2) / Q(y^2): Lambert's continued fraction y / (1 + y^2 / (3 + y^2 / (5 + ...)))
# cut after 13, whose numerator and denominator are P = 135135 + 17325 s + 378 s^2 + s^3 and
# Q = 135135 + 62370 s + 3150 s^2 + 28 s^3. Written as y + y s D(s) / Q(s), D = (P - Q) / s,
# the rounding errors land on the small correction term, not on y.
_D1, _D2, _D3 = _f32(-45045 / 135135), _f32(-2772 / 135135), _f32(-27 / 135135)
_Q1, _Q2, _Q3 = _f32(62370 / 135135), _f32(3150 / 135135), _f32(28 / 135135)
_HALF, _ONE, _TEN = _f32(0.5), _f32(1), _f32(10)


@compiled.scalar
def tanh32(x):  # pragma: no cover - compiled
    """tanh of a float32, in float32 arithmetic only (so a loop that calls it vectorizes).

    The fraction is accurate to float32 for |y| <= 5; tanh(x) = 2 t / (1 + t^2) with t =
    tanh(x / 2) covers |x| <= 10, and beyond 10 tanh is 1 in float32. NaN passes through (both
    comparisons are False for it); -0.0 keeps its sign.
    """
    x = _TEN if x > _TEN else x
    x = -_TEN if x < -_TEN else x
    y = x * _HALF
    s = y * y
    t = y + y * (s * (_D1 + s * (_D2 + s * _D3)) / (_ONE + s * (_Q1 + s * (_Q2 + s * _Q3))))
    return (t + t) / (_ONE + t * t) if x != 0 else x  # the fraction would lose -0.0's sign


@compiled.loop
def tanh32_into(a, out):  # pragma: no cover - compiled
    # tanh32 over a flat float32 array (the tests' and the benchmark's view of tanh32)
    for k in range(a.size):
        out[k] = tanh32(a[k])


@compiled.loop
def _forward_fused(z, c_prev, c, tc, hbuf, row0, col):  # pragma: no cover - compiled
    # z: the step's pre-activations, the sigmoid rows halved; writes the activated gates over
    # them, c, tanh(c) and h = o tanh(c) into hbuf[row0 + u, col, :] (rnn_lstm's XH)
    units, batch = c.shape
    for u in range(units):
        for b in range(batch):
            i = tanh32(z[u, b]) * _HALF + _HALF
            f = tanh32(z[units + u, b]) * _HALF + _HALF
            g = tanh32(z[2 * units + u, b])
            o = tanh32(z[3 * units + u, b]) * _HALF + _HALF
            z[u, b] = i
            z[units + u, b] = f
            z[2 * units + u, b] = g
            z[3 * units + u, b] = o
            c_new = f * c_prev[u, b] + i * g
            c[u, b] = c_new
            th = tanh32(c_new)
            tc[u, b] = th
            hbuf[row0 + u, col, b] = o * th


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


def fused_usable(a: Any) -> bool:
    """Whether ``forward_fused`` runs on arrays like ``a`` (``usable`` and float32)."""
    return usable(a) and a.dtype == np.float32


def forward_fused(z: Any, c_prev: Any, c: Any, tc: Any, hbuf: Any, row0: int, col: int) -> None:
    """One float32 step after its product, tanh included: the gates in place in ``z`` (4U, B),
    c and tanh(c) into ``c`` and ``tc`` (U, B), h into ``hbuf[row0:row0 + U, col]``
    (``hbuf`` C-contiguous (rows, steps, B), so the loop's stores keep their unit stride)."""
    _forward_fused(z, c_prev, c, tc, hbuf, row0, col)


def forward_step(z: Any, c_prev: Any, c: Any) -> None:
    """Finish the gates of one step in place (z: (4U, B), tanh applied) and write c (U, B)."""
    _forward(z, c_prev, c, z.dtype.type(0.5))


def backward_step(z: Any, tc: Any, c_prev: Any, dh: Any, dc: Any, dz: Any) -> None:
    """One step's gate gradients into ``dz`` (4U, B); ``dc`` becomes the gradient reaching
    c[t-1]."""
    _backward(z, tc, c_prev, dh, dc, dz, z.dtype.type(1))
