"""What the whole-sequence recurrent kernels share: scratch buffers owned explicitly,
activations and their derivatives, masks, the input projection and the weight gradients.

The kernels (``rnn_simple``, ``rnn_lstm``, ``rnn_gru``) work on raw arrays (NumPy or CuPy
through ``xp``), in processing order (reversed for ``go_backwards``), and replace the
step-by-step reference ops of ``ember.ops.recurrent``, which record several small ops per
step (and Python calls in both directions); time them with ``python -m benchmarks lstm`` and
``--kernels reference``. The SimpleRNN and GRU kernels run batch-major (time, batch, units):

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

import threading
import weakref
from typing import Any, NamedTuple

from ember.backend import numpy_module

# ---------------------------------------------------------------------------- scratch buffers
# A fresh multi-megabyte NumPy array costs a page fault per 4 KiB page on first touch; for an
# LSTM's (T, B, 4U) buffers that was more time than the arithmetic. Buffers are therefore
# recycled across calls. Ownership is explicit: a pass takes its buffers through a
# ``Scratch``; those a pending backward pass reads belong to the forward pass's ``Seq`` and
# return to the pool only when that ``Seq`` is gone (its graph freed); a backward pass gives
# its own back when it ends. A buffer in use is never in the pool.
_NP = numpy_module()
_FREE: dict[tuple, list] = {}  # (shape, dtype) -> free buffers; least recently used key first
_FREE_PER_SHAPE = 8
_FREE_LIMIT = 256 * 2**20  # bytes kept for reuse (sequence lengths vary: shapes come and go)
_free_bytes = 0
_lock = threading.Lock()


def _take(shape: tuple, dtype: Any) -> Any:
    key = (tuple(shape), _NP.dtype(dtype).str)
    global _free_bytes
    with _lock:
        free = _FREE.pop(key, None)
        if free:
            _FREE[key] = free  # now the most recently used
            a = free.pop()
            _free_bytes -= a.nbytes
            return a
    return _NP.empty(shape, dtype=dtype)


def _give_back(buffers: list) -> None:
    global _free_bytes
    with _lock:
        for a in buffers:
            key = (a.shape, a.dtype.str)
            free = _FREE.setdefault(key, [])
            if len(free) < _FREE_PER_SHAPE:
                free.append(a)
                _free_bytes += a.nbytes
        while _free_bytes > _FREE_LIMIT and _FREE:
            old = next(iter(_FREE))  # forget the least recently used shape
            _free_bytes -= sum(b.nbytes for b in _FREE.pop(old))


class Scratch:
    """The buffers one pass took from the pool; ``give_back`` returns them all."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.taken: list = []

    def __call__(self, shape: tuple, dtype: Any) -> Any:
        """An uninitialized array of ``shape``, owned by this pass until it is given back."""
        if self.xp is not _NP:  # CuPy has its own memory pool
            return self.xp.empty(shape, dtype=dtype)
        a = _take(shape, dtype)
        self.taken.append(a)
        return a

    def give_back(self) -> None:
        taken, self.taken = self.taken, []
        _give_back(taken)

    def belong_to(self, owner: Any) -> None:
        """Give the buffers back when ``owner`` (a forward pass's ``Seq``) is collected."""
        taken, self.taken = self.taken, []
        weakref.finalize(owner, _give_back, taken)


def clear_scratch() -> None:
    """Forget the free buffers (those in use stay with their owners)."""
    global _free_bytes
    with _lock:
        _FREE.clear()
        _free_bytes = 0


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


def time_major(x: Any, reverse: bool, own: Scratch) -> Any:
    """(B, T, F) -> a contiguous (T, B, F) array in processing order."""
    xt = x.transpose(1, 0, 2)
    out = own(xt.shape, x.dtype)
    out[...] = xt[::-1] if reverse else xt
    return out


def batch_major(a: Any, reverse: bool, xp: Any) -> Any:
    """(T, B, F) in processing order -> (B, T, F) in the input's time order."""
    if reverse:
        a = a[::-1]
    return xp.ascontiguousarray(a.transpose(1, 0, 2))


def project(X: Any, W: Any, b: Any, xp: Any, own: Scratch) -> Any:
    """The input projection of every step at once: (T, B, F) @ (F, G) + b -> (T, B, G)."""
    T, B, F = X.shape
    Z = own((T, B, W.shape[1]), W.dtype)
    xp.matmul(X.reshape(T * B, F), W, out=Z.reshape(T * B, W.shape[1]))
    if b is not None:
        Z += b
    return Z


class StepMask(NamedTuple):
    """Which state rows each time step keeps unchanged (a padding mask, in processing order).

    ``keep``: True where step t keeps the previous state (one boolean array per step);
    ``any_at``: a host list, per step, of whether that step masks anything (the loop skips
    the copies where it does not); ``keep_f`` / ``use_f``: ``keep`` and its complement as
    floats, which split a state's gradient in the backward pass (None where unused).
    """

    keep: Any
    any_at: list
    keep_f: Any = None
    use_f: Any = None


def mask_info(mask: Any, reverse: bool, dtype: Any, xp: Any) -> StepMask | None:
    """The StepMask of a (B, T) boolean mask, ``keep`` of shape (T, B, 1); None when nothing
    is masked."""
    if mask is None:
        return None
    m = mask.T[::-1] if reverse else mask.T
    keep = ~m[:, :, None]
    any_at = [bool(v) for v in keep.any(axis=(1, 2)).tolist()]
    if not any(any_at):
        return None
    return StepMask(keep, any_at, keep.astype(dtype), (~keep).astype(dtype))


def carry_(new: Any, old: Any, minfo: StepMask | None, t: int, xp: Any) -> None:
    """Masked rows of step t keep the previous state."""
    if minfo is not None and minfo.any_at[t]:
        xp.copyto(new, old, where=minfo.keep[t])


def split_mask_grad(d: Any, minfo: StepMask | None, t: int) -> Any:
    """Zero the rows of ``d`` that step t did not update; return what passes to step t-1
    (None when step t masks nothing)."""
    if minfo is None or not minfo.any_at[t]:
        return None
    passed = d * minfo.keep_f[t]
    d *= minfo.use_f[t]
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
