"""Array kernels for whole-sequence recurrent layers: forward and hand-written BPTT backward.

These work on raw arrays (NumPy or CuPy through ``xp``), in processing order (reversed for
``go_backwards``); ``ember.ops.recurrent`` wraps them as recorded ops. This module holds what
the kernels share (recycled scratch buffers, activations and their derivatives, masks) and
the SimpleRNN kernel; ``lstm_kernel`` and ``gru_kernel`` hold the others. The SimpleRNN and
GRU kernels run batch-major (time, batch, units):

- the input projection of every timestep is ONE matrix product, ``(T*B, F) @ kernel``, done
  before the loop into a preallocated ``(T, B, gates*U)`` array that the loop then fills with
  the activated gates in place;
- each step does one product ``h @ recurrent_kernel`` and a few in-place elementwise ops;
- the backward pass walks the steps in reverse doing one product per step (the gradient
  reaching ``h[t-1]``) and stores every step's gate gradients, so that the weight gradients
  are ONE product over all steps at the end: ``dW = X^T dZ``, ``dR = H^T dZ``, ``db = sum dZ``.

A padding mask carries the previous state through a masked step (for the rows it masks); the
gradient of such a row then passes straight to the previous state.
"""

from __future__ import annotations

import sys
from typing import Any

from ember.backend import numpy_module, xp_of

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")

# ---------------------------------------------------------------------------- scratch buffers
# A fresh multi-megabyte NumPy array costs a page fault per 4 KiB page on first touch; for an
# LSTM's (T, B, 4U) buffers that was more time than the arithmetic. Buffers are therefore
# recycled across calls, but only once nothing refers to them any more (the reference count
# says so, views included): a pending backward pass keeps its buffers alive and untouched.
_NP = numpy_module()
_POOL: dict[tuple, list] = {}  # (shape, dtype) -> buffers; least recently used key first
_POOL_PER_SHAPE = 8
_POOL_LIMIT = 256 * 2**20  # bytes kept for reuse (sequence lengths vary: shapes come and go)
_pool_bytes = 0


def _free_refcount() -> int:
    probe = [_NP.empty(1)]
    for a in probe:
        return sys.getrefcount(a)  # held by the list, the loop variable and the call
    return 0  # pragma: no cover


_FREE = _free_refcount()


def scratch(shape: tuple, dtype: Any, xp: Any) -> Any:
    """An uninitialized array of ``shape``, reused from an earlier call when no one holds it."""
    global _pool_bytes
    if xp is not _NP:  # CuPy has its own memory pool
        return xp.empty(shape, dtype=dtype)
    key = (tuple(shape), _NP.dtype(dtype).str)
    entries = _POOL.pop(key, None)
    if entries is None:
        entries = []
    _POOL[key] = entries  # now the most recently used
    for a in entries:
        if sys.getrefcount(a) <= _FREE:
            return a
    a = _NP.empty(shape, dtype=dtype)
    if len(entries) < _POOL_PER_SHAPE:
        entries.append(a)
        _pool_bytes += a.nbytes
        while _pool_bytes > _POOL_LIMIT and len(_POOL) > 1:
            old = next(iter(_POOL))  # forget the least recently used shape
            _pool_bytes -= sum(b.nbytes for b in _POOL.pop(old))
    return a


def clear_scratch() -> None:
    """Forget the recycled buffers (each is freed once no pending backward pass holds it)."""
    global _pool_bytes
    _POOL.clear()
    _pool_bytes = 0


# ---------------------------------------------------------------------------- activations
def activate_(name: str, a: Any, xp: Any) -> None:
    """Apply the activation ``name`` to ``a`` in place."""
    if name == "tanh":
        xp.tanh(a, out=a)
    elif name == "sigmoid":  # 0.5 * tanh(x / 2) + 0.5: no overflow for large |x|
        a *= 0.5
        xp.tanh(a, out=a)
        a *= 0.5
        a += 0.5
    elif name == "relu":
        xp.maximum(a, 0, out=a)


def derivative_into(name: str, y: Any, out: Any, xp: Any) -> None:
    """``out`` = d act / d pre-activation, computed from the activation's output ``y``."""
    if name == "tanh":
        xp.multiply(y, y, out=out)
        xp.subtract(1, out, out=out)
    elif name == "sigmoid":
        xp.subtract(1, y, out=out)
        out *= y
    elif name == "relu":
        out[...] = y > 0
    else:
        out[...] = 1


# ---------------------------------------------------------------------------- shared steps
class Seq:
    """What a forward pass keeps for its backward pass (plain attributes)."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def time_major(x: Any, reverse: bool, xp: Any) -> Any:
    """(B, T, F) -> a contiguous (T, B, F) array in processing order."""
    xt = x.transpose(1, 0, 2)
    out = scratch(xt.shape, x.dtype, xp)
    out[...] = xt[::-1] if reverse else xt
    return out


def batch_major(a: Any, reverse: bool, xp: Any) -> Any:
    """(T, B, F) in processing order -> (B, T, F) in the input's time order."""
    if reverse:
        a = a[::-1]
    return xp.ascontiguousarray(a.transpose(1, 0, 2))


def project(X: Any, W: Any, b: Any, xp: Any) -> Any:
    """The input projection of every step at once: (T, B, F) @ (F, G) + b -> (T, B, G)."""
    T, B, F = X.shape
    Z = scratch((T, B, W.shape[1]), W.dtype, xp)
    xp.matmul(X.reshape(T * B, F), W, out=Z.reshape(T * B, W.shape[1]))
    if b is not None:
        Z += b
    return Z


def mask_info(mask: Any, reverse: bool, dtype: Any, xp: Any) -> Any:
    """From a (B, T) boolean mask: (keep: (T, B, 1) bool, True where the old state is kept;
    keep as floats; use as floats; a host list of the steps that mask anything), or None
    when nothing is masked."""
    if mask is None:
        return None
    m = mask.T[::-1] if reverse else mask.T
    keep = ~m[:, :, None]
    partial = [bool(v) for v in keep.any(axis=(1, 2)).tolist()]
    if not any(partial):
        return None
    return keep, keep.astype(dtype), (~keep).astype(dtype), partial


def carry_(new: Any, old: Any, minfo: Any, t: int, xp: Any) -> None:
    """Masked rows of step t keep the previous state."""
    if minfo is not None and minfo[3][t]:
        xp.copyto(new, old, where=minfo[0][t])


def split_mask_grad(d: Any, minfo: Any, t: int) -> Any:
    """Zero the rows of ``d`` that step t did not update; return what passes to step t-1
    (None when step t masks nothing)."""
    if minfo is None or not minfo[3][t]:
        return None
    passed = d * minfo[1][t]
    d *= minfo[2][t]
    return passed


def dropped(H: Any, rmask: Any) -> Any:
    """The states as they enter the recurrent products (recurrent dropout applied)."""
    return H if rmask is None else H * rmask


def weight_grads(X: Any, Hm: Any, dZ: Any, W: Any, need: dict, reverse: bool, xp: Any) -> dict:
    """dW = X^T dZ, dR = Hm^T dZ, db = sum dZ and dx = dZ W^T, each ONE product over all
    steps (only those in ``need``); dx comes back as (B, T, F) in the input's time order."""
    T, B, G = dZ.shape
    dZ2 = dZ.reshape(T * B, G)
    out = {}
    if need.get("W"):
        out["W"] = X.reshape(T * B, -1).T @ dZ2
    if need.get("R"):
        out["R"] = Hm.reshape(T * B, -1).T @ dZ2
    if need.get("b"):
        out["b"] = dZ2.sum(axis=0)
    if need.get("x"):
        out["x"] = batch_major((dZ2 @ W.T).reshape(T, B, -1), reverse, xp)
    return out


# ---------------------------------------------------------------------------- SimpleRNN
def simple_rnn_forward(x: Any, W: Any, R: Any, b: Any, h0: Any, mask: Any, rmask: Any,
                       reverse: bool, act: str) -> Seq:
    """h[t] = act(x[t] W + b + h[t-1] R)."""
    xp = xp_of(x)
    X = time_major(x, reverse, xp)
    T, B, _ = X.shape
    U = R.shape[0]
    XZ = project(X, W, b, xp)
    H = scratch((T + 1, B, U), W.dtype, xp)
    H[0] = h0
    tmp = scratch((B, U), W.dtype, xp)
    minfo = mask_info(mask, reverse, W.dtype, xp)
    for t in range(T):
        xp.matmul(H[t] if rmask is None else H[t] * rmask, R, out=tmp)
        h = H[t + 1]
        xp.add(XZ[t], tmp, out=h)
        activate_(act, h, xp)
        carry_(h, H[t], minfo, t, xp)
    return Seq(X=X, H=H, W=W, R=R, rmask=rmask, minfo=minfo, act=act, reverse=reverse,
               seq=H[1:], last=[H[T]])


def simple_rnn_backward(s: Seq, dseq: Any, dstates: list, need: dict) -> dict:
    """Gradients for the keys of ``need`` that are True (x, W, R, b) and h0."""
    xp = xp_of(s.H)
    H, minfo = s.H, s.minfo
    T = H.shape[0] - 1
    # Masked rows hold the carried state, whose derivative is then multiplied by zero.
    D = scratch((T,) + H.shape[1:], H.dtype, xp)
    derivative_into(s.act, H[1:], D, xp)
    dZ = scratch(D.shape, H.dtype, xp)
    dh = dstates[0].copy()
    RT = s.R.T
    for t in range(T - 1, -1, -1):
        if dseq is not None:
            dh += dseq[t]
        passed = split_mask_grad(dh, minfo, t)
        dz = dZ[t]
        xp.multiply(dh, D[t], out=dz)
        xp.matmul(dz, RT, out=dh)
        if s.rmask is not None:
            dh *= s.rmask
        if passed is not None:
            dh += passed
    out = weight_grads(s.X, dropped(H[:-1], s.rmask), dZ, s.W, need, s.reverse, xp)
    out["h0"] = dh
    return out
