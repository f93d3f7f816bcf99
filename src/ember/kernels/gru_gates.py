"""The GRU kernel's per-step gate arithmetic in three compiled loops forward and one backward
(numba, the ``fast`` extra), for Keras 3's default GRU (reset_after, tanh, sigmoid);
``rnn_gru`` uses them where numba is installed and runs its NumPy calls otherwise.

The GRU kernel works batch-major, (batch, 3 units) per step, so each gate is a column slice
and every NumPy call on it is a strided pass; a step was about fourteen of them forward and
fifteen backward. These loops do the elementwise part with the NumPy calls' float operations
in the same order (no ``fastmath``, constants in the array's precision), so the results are
bit for bit those of the NumPy calls (``tests/test_kernel_gru_gates.py``). For float64 the two
tanh calls (the sigmoid is 0.5 tanh(x / 2) + 0.5) stay in NumPy, whose tanh is vectorized where
numba's would call libm once per element. For float32 the whole step after the recurrent
product is one loop, ``_forward_fused``, with ``lstm_gates.tanh32`` (arithmetic only, within 2
units in the last place of the correctly rounded tanh): equal to the NumPy calls to float32's
rounding, not bit for bit.

Measured (Intel Xeon, 2 cores, numba 0.68.1; GRU(128) over MNIST rows + Dense(10), Adam,
batch 64, 6,400 images, medians of 3, in-process A/B of this module's ``AVAILABLE``): an epoch
1.143 s with the loops against 1.513 s with the NumPy calls (0.76x); ``python -m
benchmarks.bench_compiled`` (every loop on or off): 1.189 against 1.536 s. AMD EPYC (AVX2, where
NumPy's float32 tanh is a scalar loop), 2 cores, the same network on 6,400 random 28 x 28
sequences, with ``_forward_fused`` and the row-sliced backward loop: 1.87 s against 2.52 s with
the NumPy calls (0.74x); a forward step's
elementwise part 44 us fused against 125-195 us (this VM is noisy) with the loops and NumPy's
tanh. Indexing the inner dimension as ``[b, units + u]`` had left the loops scalar (numba's
negative-index check on every element): the fused loop took 260 us until it used row slices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.kernels import compiled
from ember.kernels.lstm_gates import tanh32  # after editing it, delete numba's cache (*.nbi)

AVAILABLE = compiled.AVAILABLE  # a switch of its own (the tests compare both paths)
_HALF = np.float32(0.5)


@compiled.loop
def _forward_fused(xz, tmp, b_rec, aux, h_prev, h):  # pragma: no cover - compiled
    # float32: the three loops below and both tanh calls in one pass (the sigmoid is
    # 0.5 tanh(a / 2) + 0.5); b_rec is zeros for a GRU without bias (a branch in the loop
    # would keep it from vectorizing)
    # (one row slice per gate: an index like [b, units + u] in the inner loop carries numba's
    # negative-index check into every element and the loop ran scalar, 6x slower)
    batch, gates = tmp.shape
    units = gates // 3
    bz, br, bh = b_rec[:units], b_rec[units:2 * units], b_rec[2 * units:]
    for b in range(batch):
        xzb, tb = xz[b], tmp[b]
        gz, gr, gh = xzb[:units], xzb[units:2 * units], xzb[2 * units:]
        tz, tr, th = tb[:units], tb[units:2 * units], tb[2 * units:]
        ab, hb, pb = aux[b], h[b], h_prev[b]
        for u in range(units):
            vh = th[u] + bh[u]
            z = tanh32((gz[u] + (tz[u] + bz[u])) * _HALF) * _HALF + _HALF
            r = tanh32((gr[u] + (tr[u] + br[u])) * _HALF) * _HALF + _HALF
            hh = tanh32(gh[u] + r * vh)
            gz[u] = z
            gr[u] = r
            gh[u] = hh
            ab[u] = vh
            hb[u] = (pb[u] - hh) * z + hh


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
    # (row slices per gate, as in _forward_fused: the loop vectorizes)
    batch, units = dh.shape
    u2 = 2 * units
    for b in range(batch):
        xzb, db, dxb, drb = xz[b], d[b], dx[b], dr[b]
        gz, gr, gh = xzb[:units], xzb[units:u2], xzb[u2:]
        dz_, dr_, dh_ = db[:units], db[units:u2], db[u2:]
        xz_out, xr_out, xh_out = dxb[:units], dxb[units:u2], dxb[u2:]
        rz_out, rr_out, rh_out = drb[:units], drb[units:u2], drb[u2:]
        pb, ab, gb, hzb = h_prev[b], aux[b], dh[b], dhz[b]
        for u in range(units):
            z = gz[u]
            r = gr[u]
            hh = gh[u]
            g = gb[u]
            d_z = (pb[u] - hh) * g
            d_hz = g * z
            d_hh = (g - d_hz) * dh_[u]
            d_r = d_hh * ab[u]
            d_z = d_z * dz_[u]
            d_r = d_r * dr_[u]
            xz_out[u] = d_z
            xr_out[u] = d_r
            xh_out[u] = d_hh
            rz_out[u] = d_z
            rr_out[u] = d_r
            rh_out[u] = d_hh * r
            hzb[u] = d_hz


def usable(a: Any) -> bool:
    """Whether the loops run on arrays like ``a`` (NumPy float32 / float64, numba present)."""
    return AVAILABLE and compiled.numpy_floats(a)


def fused_usable(a: Any) -> bool:
    """Whether ``forward_step`` runs as the one fused loop on arrays like ``a`` (float32)."""
    return usable(a) and a.dtype == np.float32


def forward_step(xz: Any, tmp: Any, b_rec: Any, aux: Any, h_prev: Any, h: Any,
                 tanh: Any) -> None:
    """One step after the recurrent product ``tmp`` = h[t-1] R: the activated z, r and
    candidate into ``xz`` (batch, 3U), the candidate's recurrent part into ``aux``, and h."""
    if fused_usable(xz):
        _forward_fused(xz, tmp, np.zeros_like(tmp[0]) if b_rec is None else b_rec, aux, h_prev,
                       h)
        return
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
