"""``SyncBatchNormalization``: batch statistics over the samples of every process.

With data parallelism each process sees ``b`` samples; plain ``BatchNormalization`` then
normalises with the statistics of ``b`` samples, so N processes do not train as one process
with batch N*b. This layer allreduces the per-channel sums (two small allreduces forward, one
backward), so its output, its gradients and its moving statistics are those of the global
batch (PyTorch's ``nn.SyncBatchNorm``, Keras' ``BatchNormalization(synchronized=True)``).

Gradients: the optimizer averages each process's gradients weighted by its share c_r = m_r / M
of the global batch (m_r elements per channel here, M in all). The global loss is
L = sum_r c_r L_r, so dL/dxhat_j = c_r * gamma * dy_j, and the standard BN backward with global
means gives dL/dx_j; this process returns dL/dx_j / c_r, which the weighted average turns
back into dL/dx. Written out:

    dx_j = inv * (gamma dy_j - A / m_r - xhat_j * B / m_r),
    A = sum_r c_r sum_(j in r) gamma dy_j,  B = sum_r c_r sum_(j in r) gamma dy_j xhat_j.

In one process it is exactly ``BatchNormalization``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.distributed import comm
from ember.layers.normalization import BatchNormalization
from ember.serialization import register


def _sum_over_ranks(parts: list) -> list:
    """Each array in ``parts`` summed over the processes, in one allreduce."""
    host = [np.asarray(backend.to_numpy(p), dtype=np.float64) for p in parts]
    flat = np.concatenate([h.reshape(-1) for h in host])
    comm.allreduce_inplace_sum(flat)
    out, pos = [], 0
    for p, h in zip(parts, host):
        piece = flat[pos:pos + h.size].reshape(h.shape).astype(p.dtype)
        if type(p) is not np.ndarray:
            piece = backend.to_device(piece, backend.device_of(p))
        out.append(piece)
        pos += h.size
    return out


def sync_batch_norm(x: Tensor, stat_axes: tuple, pshape: tuple, gamma: Tensor | None,
                    beta: Tensor | None, epsilon: float) -> tuple:
    """One node: x standardised with the statistics of every process's batch, * gamma + beta.
    Returns (output, global mean, global biased variance); a fused backward (no double
    backward)."""
    xd = x.data
    other = tuple(i for i in range(xd.ndim) if pshape[i] == 1)
    m_local = float(np.prod([xd.shape[a] for a in stat_axes]))
    s1 = xd.sum(axis=stat_axes, keepdims=True)
    s1, total = _sum_over_ranks([s1, np.array([m_local])])
    m_all = float(total[0])
    mean = s1 / xd.dtype.type(m_all)
    centred = xd - mean
    (s2,) = _sum_over_ranks([(centred * centred).sum(axis=stat_axes, keepdims=True)])
    var = s2 / xd.dtype.type(m_all)
    inv = (var + xd.dtype.type(epsilon)) ** xd.dtype.type(-0.5)
    xhat = centred * inv
    gd = None if gamma is None else gamma.data.reshape(pshape)
    out = xhat * gd if gd is not None else xhat.copy()
    if beta is not None:
        out += beta.data.reshape(pshape)
    share = m_local / m_all
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)

    def backward(g: Tensor) -> tuple:
        if STATE.enabled:
            raise RuntimeError("SyncBatchNormalization: its backward is a fused kernel; a "
                               "second derivative (create_graph) is not supported")
        gg = g.data
        dxhat = gg * gd if gd is not None else gg
        a = dxhat.sum(axis=stat_axes, keepdims=True) * dxhat.dtype.type(share)
        b = (dxhat * xhat).sum(axis=stat_axes, keepdims=True) * dxhat.dtype.type(share)
        a, b = _sum_over_ranks([a, b])
        scale = xd.dtype.type(1.0 / m_local)
        grads = [wrap_array(inv * (dxhat - a * scale - xhat * (b * scale)))
                 if x.requires_grad else None]
        if gamma is not None:
            grads.append(wrap_array((gg * xhat).sum(axis=other).reshape(gamma.shape))
                         if gamma.requires_grad else None)
        if beta is not None:
            grads.append(wrap_array(gg.sum(axis=other).reshape(beta.shape))
                         if beta.requires_grad else None)
        return tuple(grads)

    return record_op(out, parents, backward, "sync_batch_norm", (x,)), mean, var


@register()
class SyncBatchNormalization(BatchNormalization):
    """``BatchNormalization`` whose training statistics are those of the global batch, over
    every process of the job (same arguments as ``BatchNormalization``).

    Example::

        em.distributed.init()
        model = em.Sequential([em.layers.Conv2D(16, 3, input_shape=(28, 28, 1)),
                               em.distributed.SyncBatchNormalization(),
                               em.layers.Activation("relu"), ...])
    """

    def call(self, inputs: Tensor, training: Any = None, mask: Any = None) -> Tensor:
        if not (training and self.trainable and mask is None and comm.size() > 1):
            return super().call(inputs, training=training, mask=mask)
        if inputs.ndim != self._ndim:
            self._check_rank(inputs, self._ndim, None)
        out, mean, var = sync_batch_norm(inputs, self._stat_axes, self._pshape, self.gamma,
                                         self.beta, self.epsilon)
        self._update_moving(mean, var)
        return out
