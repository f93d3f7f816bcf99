"""Fast SimpleRNN: the whole sequence forward and its BPTT backward on raw arrays (see
``rnn_common`` for the layout and buffers; the reference is ``ember.ops.recurrent``).

``h[t] = act(x[t] W + b + h[t-1] R)``: one product for every step's input projection, one
``h @ R`` per step, and the weight gradients as one product each over all steps.
"""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.kernels import simple_rnn_step
from ember.kernels.registry import replaces
from ember.kernels.rnn_common import (
    Scratch,
    Seq,
    activate_,
    carry_,
    derivative_into,
    dropped,
    mask_info,
    project,
    split_mask_grad,
    time_major,
    weight_grads,
)


@replaces("simple_rnn")
def simple_rnn_forward(x: Any, W: Any, R: Any, b: Any, h0: Any, mask: Any, rmask: Any,
                       reverse: bool, act: str) -> Seq:
    """h[t] = act(x[t] W + b + h[t-1] R); the Seq's ``backward`` gives the gradients."""
    xp = xp_of(x)
    own = Scratch(xp)
    X = time_major(x, reverse, own)
    T, B, _ = X.shape
    U = R.shape[0]
    XZ = project(X, W, b, xp, own)
    H = own((T + 1, B, U), W.dtype)
    H[0] = h0
    tmp = xp.empty((B, U), dtype=W.dtype)
    minfo = mask_info(mask, reverse, W.dtype, xp)
    compiled = simple_rnn_step.usable(XZ, act)  # float32 tanh: add and tanh in one loop
    for t in range(T):
        xp.matmul(H[t] if rmask is None else H[t] * rmask, R, out=tmp)
        h = H[t + 1]
        if compiled:
            simple_rnn_step.step(XZ[t], tmp, h)
        else:
            xp.add(XZ[t], tmp, out=h)
            activate_(act, h, xp)
        carry_(h, H[t], minfo, t, xp)
    s = Seq(X=X, H=H, W=W, R=R, rmask=rmask, minfo=minfo, act=act, reverse=reverse,
            seq=H[1:], last=[H[T]], backward=simple_rnn_backward)
    own.belong_to(s)
    return s


def simple_rnn_backward(s: Seq, dseq: Any, dstates: list, need: dict) -> dict:
    """Gradients for the keys of ``need`` that are True (x, W, R, b) and h0."""
    xp = xp_of(s.H)
    own = Scratch(xp)
    H, minfo = s.H, s.minfo
    T = H.shape[0] - 1
    # Masked rows hold the carried state, whose derivative is then multiplied by zero.
    D = own((T,) + H.shape[1:], H.dtype)
    derivative_into(s.act, H[1:], D, xp)
    dZ = own(D.shape, H.dtype)
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
    own.give_back()
    return out
