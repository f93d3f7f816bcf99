"""Fast GRU: the whole-sequence forward and BPTT backward on raw arrays (see ``rnn_common``;
the reference is ``ember.ops.recurrent``).

Keras' gate order z, r, h. With ``reset_after`` (Keras 3's default, cuDNN's and PyTorch's
convention) the reset gate multiplies the recurrent product, which has its own bias:
``hh = act(x Wh + b_in_h + r * (h Rh + b_rec_h))``; without it, it multiplies the state
before the product: ``hh = act(x Wh + b_h + (r * h) Rh)``. Then ``h = z h_prev + (1 - z) hh``.
"""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.kernels import gru_gates
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


@replaces("gru")
def gru_forward(x: Any, W: Any, R: Any, b_in: Any, b_rec: Any, h0: Any, mask: Any,
                rmask: Any, reverse: bool, act: str, ract: str, reset_after: bool) -> Seq:
    xp = xp_of(x)
    own = Scratch(xp)
    U = R.shape[0]
    u2 = 2 * U
    X = time_major(x, reverse, own)
    T, B, _ = X.shape
    XZ = project(X, W, b_in, xp, own)  # overwritten with the activated z, r, hh
    dt = W.dtype
    H = own((T + 1, B, U), dt)
    H[0] = h0
    # reset_after: the recurrent h-part before r multiplies it; else r * h[t-1] (dropped)
    AUX = own((T, B, U), dt)
    tmpU = xp.empty((B, U), dtype=dt)
    Rzr = Rh = None
    if reset_after:
        tmp = xp.empty((B, 3 * U), dtype=dt)
    else:
        tmp = xp.empty((B, u2), dtype=dt)
        Rzr, Rh = xp.ascontiguousarray(R[:, :u2]), xp.ascontiguousarray(R[:, u2:])
    minfo = mask_info(mask, reverse, dt, xp)
    # Keras 3's default GRU: the gate arithmetic in compiled loops (kernels/gru_gates.py)
    compiled = reset_after and act == "tanh" and ract == "sigmoid" and gru_gates.usable(XZ)
    for t in range(T):
        hm = H[t] if rmask is None else H[t] * rmask
        xz = XZ[t]
        if compiled:
            xp.matmul(hm, R, out=tmp)
            gru_gates.forward_step(xz, tmp, b_rec, AUX[t], H[t], H[t + 1], xp.tanh)
            carry_(H[t + 1], H[t], minfo, t, xp)
            continue
        zr, r, hh = xz[:, :u2], xz[:, U:u2], xz[:, u2:]
        if reset_after:
            xp.matmul(hm, R, out=tmp)
            if b_rec is not None:
                tmp += b_rec
            zr += tmp[:, :u2]
            activate_(ract, zr, xp)
            AUX[t] = tmp[:, u2:]
            xp.multiply(r, AUX[t], out=tmpU)
        else:
            xp.matmul(hm, Rzr, out=tmp)
            zr += tmp
            activate_(ract, zr, xp)
            xp.multiply(r, hm, out=AUX[t])
            xp.matmul(AUX[t], Rh, out=tmpU)
        hh += tmpU
        activate_(act, hh, xp)
        h = H[t + 1]
        xp.subtract(H[t], hh, out=h)  # h = z (h_prev - hh) + hh
        h *= xz[:, :U]
        h += hh
        carry_(h, H[t], minfo, t, xp)
    s = Seq(X=X, XZ=XZ, H=H, AUX=AUX, W=W, R=R, Rzr=Rzr, Rh=Rh, rmask=rmask, minfo=minfo,
            act=act, ract=ract, reverse=reverse, reset_after=reset_after, compiled=compiled,
            seq=H[1:],
            last=[H[T]], backward=gru_backward)
    own.belong_to(s)
    return s


def gru_backward(s: Seq, dseq: Any, dstates: list, need: dict) -> dict:
    """Gradients for x, W, R, the biases ("b_in", "b_rec") and h0, as ``need`` asks."""
    xp = xp_of(s.H)
    own = Scratch(xp)
    XZ, H, AUX, minfo, rmask = s.XZ, s.H, s.AUX, s.minfo, s.rmask
    T, B, G = XZ.shape
    U = G // 3
    u2 = 2 * U
    dt = XZ.dtype
    D = own(XZ.shape, dt)
    derivative_into(s.ract, XZ[..., :u2], D[..., :u2], xp)
    derivative_into(s.act, XZ[..., u2:], D[..., u2:], xp)
    dXZ = own(XZ.shape, dt)
    dRH = own(XZ.shape, dt) if s.reset_after else None
    dh = dstates[0].copy()
    dh_new = xp.empty_like(dh)
    dhz = own((B, U), dt)
    drh = own((B, U), dt)
    if s.reset_after:
        RT = s.R.T
    else:
        RzrT, RhT = s.Rzr.T, s.Rh.T
    for t in range(T - 1, -1, -1):
        if dseq is not None:
            dh += dseq[t]
        passed = split_mask_grad(dh, minfo, t)
        xz, dx = XZ[t], dXZ[t]
        if s.compiled:  # the else branch for reset_after, in one loop (kernels/gru_gates.py)
            gru_gates.backward_step(xz, H[t], AUX[t], D[t], dh, dx, dRH[t], dhz)
            xp.matmul(dRH[t], RT, out=dh_new)
        else:
            z, r, hh = xz[:, :U], xz[:, U:u2], xz[:, u2:]
            xp.subtract(H[t], hh, out=dx[:, :U])
            dx[:, :U] *= dh                              # d z (before ract')
            xp.multiply(dh, z, out=dhz)                  # the direct path to h[t-1]
            xp.subtract(dh, dhz, out=dx[:, u2:])         # dh * (1 - z)
            if s.reset_after:
                dx[:, u2:] *= D[t][:, u2:]               # d (hh pre-activation)
                xp.multiply(dx[:, u2:], AUX[t], out=dx[:, U:u2])
                dx[:, :u2] *= D[t][:, :u2]
                dr = dRH[t]
                dr[:, :u2] = dx[:, :u2]
                xp.multiply(dx[:, u2:], r, out=dr[:, u2:])
                xp.matmul(dr, RT, out=dh_new)
            else:
                dx[:, u2:] *= D[t][:, u2:]
                xp.matmul(dx[:, u2:], RhT, out=drh)      # d (r * h[t-1])
                xp.multiply(drh, H[t] if rmask is None else H[t] * rmask, out=dx[:, U:u2])
                dx[:, :u2] *= D[t][:, :u2]
                xp.matmul(dx[:, :u2], RzrT, out=dh_new)
                drh *= r
                dh_new += drh
        if rmask is not None:
            dh_new *= rmask
        dh_new += dhz
        if passed is not None:
            dh_new += passed
        dh, dh_new = dh_new, dh
    Hm = dropped(H[:-1], rmask)
    out = weight_grads(s.X, Hm, dXZ, s.W, {k: need.get(k) for k in ("W", "x")},
                       s.reverse, xp)
    dX2 = dXZ.reshape(T * B, G)
    if need.get("b"):
        out["b_in"] = dX2.sum(axis=0)
        if s.reset_after:
            out["b_rec"] = dRH.reshape(T * B, G).sum(axis=0)
    if need.get("R"):
        if s.reset_after:
            out["R"] = Hm.reshape(T * B, U).T @ dRH.reshape(T * B, G)
        else:
            dR = xp.empty(s.R.shape, dtype=s.R.dtype)
            dR[:, :u2] = Hm.reshape(T * B, U).T @ dX2[:, :u2]
            dR[:, u2:] = AUX.reshape(T * B, U).T @ dX2[:, u2:]
            out["R"] = dR
    out["h0"] = dh
    own.give_back()
    return out
