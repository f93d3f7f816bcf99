"""Fast linear: ``x @ kernel + bias`` with an optional fused relu and an array-only backward
(the reference is ``ember.ops.linear._linear``).

- ``relu=True`` (``Dense(activation="relu")``, the most common layer) applies max(., 0) in
  place on the product and masks g in backward: one node and no separate activation pass or
  array per step. (Not timed on its own; ``python -m benchmarks --workloads dense`` against
  ``--kernels reference`` shows what the kernel buys.)
- On a plain backward the gradients are computed on the arrays (no Tensor wrapping, no graph);
  with ``create_graph=True`` the same formulas run on Tensors, so second derivatives stay
  exact (the relu mask is a constant: relu'' = 0).
- Inference (no gradient recording) returns the product without building a closure or node.
- ``operator.matmul`` is the C function: no Python frame on the hot path.
"""

from __future__ import annotations

from operator import matmul as _matmul
from typing import Any

import numpy as np

from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.kernels.registry import replaces

_F16 = np.dtype("float16")


def _half_matmul(a: Any, b: Any) -> Any:
    """A float16 product through float32 BLAS, rounded once (mixed_float16 layers): NumPy's
    own float16 matmul has no BLAS (some 80 times slower) and rounds after every addition;
    XLA's CPU dot and a GPU's tensor cores accumulate in float32 as well."""
    return _matmul(a.astype("float32"), b.astype("float32")).astype(np.result_type(a, b))


def _wrap(a: Any) -> Any:
    return a if a is None or isinstance(a, Tensor) else wrap_array(a)


@replaces("linear")
def dense(x: Tensor, kernel: Tensor, bias: Tensor | None, relu: bool = False) -> Tensor:
    """linear on checked Tensors (x of any rank >= 1, kernel (in, out)), relu fused."""
    xd, kd = x.data, kernel.data
    n_in, n_out = kd.shape
    x2d = xd if xd.ndim == 2 else xd.reshape(-1, n_in)  # one large product, not a batched one
    mm = _matmul if kd.dtype is not _F16 else _half_matmul
    out = mm(x2d, kd)
    if xd.ndim != 2:
        out = out.reshape(xd.shape[:-1] + (n_out,))
    if bias is not None:
        out += bias.data
        parents: tuple = (x, kernel, bias)
    else:
        parents = (x, kernel)
    if relu:
        xp_of(out).maximum(out, 0, out=out)
    if not STATE.enabled:  # inference: nothing to record (no closure, no node)
        return wrap_array(out)

    def backward(g: Tensor) -> tuple:
        if STATE.enabled:  # create_graph: the same formulas on Tensors, recorded
            gg, xx, kk, prod = g, x, kernel, _matmul
        else:
            gg, xx, kk, prod = g.data, xd, kd, mm
        if relu:  # the mask is a constant: relu'' = 0, so higher orders stay exact
            gg = gg * (out > 0)
        g2 = gg if gg.ndim == 2 else gg.reshape((-1, n_out))
        gx = None
        if x.requires_grad:
            gx = prod(g2, kk.T)
            if gg.ndim != 2:
                gx = gx.reshape(gg.shape[:-1] + (n_in,))
        gk = None
        if kernel.requires_grad:
            x2 = xx if xx.ndim == 2 else xx.reshape((-1, n_in))
            gk = prod(x2.T, g2)
        grads = [_wrap(gx), _wrap(gk)]
        if bias is not None:
            grads.append(_wrap(g2.sum(axis=0)) if bias.requires_grad else None)
        return tuple(grads)

    return record_op(out, parents, backward, "linear_relu" if relu else "linear", (x, kernel),
                keep_output=relu)
