"""The GRU kernel's per-step gate arithmetic in three compiled loops forward and one backward
(numba, the ``fast`` extra), for Keras 3's default GRU (reset_after, tanh, sigmoid);
``rnn_gru`` uses them where numba is installed and runs its NumPy calls otherwise.

The GRU kernel works batch-major, (batch, 3 units) per step, so each gate is a column slice
and every NumPy call on it is a strided pass; a step was about fourteen of them forward and
fifteen backward. These loops do the elementwise part with the NumPy calls' float operations
in the same order (no ``fastmath``, constants in the array's precision), so the results are
bit for bit those of the NumPy calls (``tests/test_kernel_gru_gates.py``). The two tanh calls
(the sigmoid is 0.5 tanh(x / 2) + 0.5) stay in NumPy, whose tanh is vectorized.

Measured (Intel Xeon, 2 cores, numba 0.68.1; GRU(128) over MNIST rows + Dense(10), Adam,
batch 64, 6,400 images, medians of 3, in-process A/B of this module's ``AVAILABLE``): an epoch
1.143 s with the loops against 1.513 s with the NumPy calls (0.76x); ``python -m
benchmarks.bench_compiled`` (every loop on or off): 1.189 against 1.536 s.
"""

from __future__ import annotations

from typing import Any

from ember.kernels import compiled

AVAILABLE = compiled.AVAILABLE  # a switch of its own (the tests compare both paths)


@compiled.loop
def _before_sigmoid(xz, tmp, b_rec, aux, half, with_bias):  # pragma: no cover - compiled
    # z, r: (input part + recurrent part + bias) halved for the sigmoid's tanh; the candidate's
    # recurrent part (with its bias) into aux
    batch, gates = tmp.shape
    units = gates // 3
    for b in range(batch):
        for u in range(gates):
            v = tmp[b, u] + b_rec[u] if with_bias else tmp[b, u]
            if u < 2 * units:
                xz[b, u] = (xz[b, u] + v) * half
            else:
                aux[b, u - 2 * units] = v


@compiled.loop
def _after_sigmoid(xz, aux, half):  # pragma: no cover - compiled
    # finish the sigmoid of z and r, then the candidate's pre-activation += r * aux
    batch, units = aux.shape
    for b in range(batch):
        for u in range(units):
            z = xz[b, u] * half + half
            r = xz[b, units + u] * half + half
            xz[b, u] = z
            xz[b, units + u] = r
            xz[b, 2 * units + u] = xz[b, 2 * units + u] + r * aux[b, u]


@compiled.loop
def _new_state(xz, h_prev, h):  # pragma: no cover - compiled
    # h = z (h_prev - hh) + hh
    batch, units = h.shape
    for b in range(batch):
        for u in range(units):
            hh = xz[b, 2 * units + u]
            h[b, u] = (h_prev[b, u] - hh) * xz[b, u] + hh


@compiled.loop
def _backward(xz, h_prev, aux, d, dh, dx, dr, dhz):  # pragma: no cover - compiled
    # the gates' gradients (times their derivatives d) into dx, the recurrent product's
    # gradient into dr, and dh z (the direct path to h[t-1]) into dhz
    batch, units = dh.shape
    for b in range(batch):
        for u in range(units):
            z = xz[b, u]
            r = xz[b, units + u]
            hh = xz[b, 2 * units + u]
            g = dh[b, u]
            d_z = (h_prev[b, u] - hh) * g
            d_hz = g * z
            d_hh = (g - d_hz) * d[b, 2 * units + u]
            d_r = d_hh * aux[b, u]
            d_z = d_z * d[b, u]
            d_r = d_r * d[b, units + u]
            dx[b, u] = d_z
            dx[b, units + u] = d_r
            dx[b, 2 * units + u] = d_hh
            dr[b, u] = d_z
            dr[b, units + u] = d_r
            dr[b, 2 * units + u] = d_hh * r
            dhz[b, u] = d_hz


def usable(a: Any) -> bool:
    """Whether the loops run on arrays like ``a`` (NumPy float32 / float64, numba present)."""
    return AVAILABLE and compiled.numpy_floats(a)


def forward_step(xz: Any, tmp: Any, b_rec: Any, aux: Any, h_prev: Any, h: Any,
                 tanh: Any) -> None:
    """One step after the recurrent product ``tmp`` = h[t-1] R: the activated z, r and
    candidate into ``xz`` (batch, 3U), the candidate's recurrent part into ``aux``, and h."""
    half = xz.dtype.type(0.5)
    units = aux.shape[1]
    _before_sigmoid(xz, tmp, tmp[0] if b_rec is None else b_rec, aux, half, b_rec is not None)
    zr = xz[:, :2 * units]
    tanh(zr, out=zr)
    _after_sigmoid(xz, aux, half)
    hh = xz[:, 2 * units:]
    tanh(hh, out=hh)
    _new_state(xz, h_prev, h)


def backward_step(xz: Any, h_prev: Any, aux: Any, d: Any, dh: Any, dx: Any, dr: Any,
                  dhz: Any) -> None:
    """One step's gate gradients into ``dx`` and ``dr`` (batch, 3U), and dh z into ``dhz``."""
    _backward(xz, h_prev, aux, d, dh, dx, dr, dhz)
