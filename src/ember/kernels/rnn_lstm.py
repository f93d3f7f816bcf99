"""Fast LSTM: the whole-sequence forward and BPTT backward on raw arrays (see ``rnn_common``;
the reference is ``ember.ops.recurrent``).

Everything inside runs feature-major: a state is (units, batch), so each gate of a step is a
contiguous block of rows and every elementwise op runs on contiguous memory (NumPy's strided
loops over column slices of (batch, 4 units) rows were 3-4 times slower). Each step is ONE
product of the stacked weights ``M = [kernel^T | bias | recurrent_kernel^T]`` (4U, F+1+U) with
the stacked input ``[x[t]; 1; h[t-1]]`` (F+1+U, B): the input projection, the bias and the
recurrent product in a single call. The backward pass does one product per step for the
gradient reaching h[t-1] and ONE product at the end for every weight: ``dM = dZ [X; 1; H]^T``.

The gate order is Keras' i, f, c (called g here), o. For the default activations,
sigmoid(a) = 0.5 tanh(a / 2) + 0.5 with the sigmoid rows of M halved once, so ONE tanh call
activates all four gates.
"""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.kernels import lstm_gates
from ember.kernels.registry import replaces
from ember.kernels.rnn_common import Scratch, Seq, StepMask, activate_, derivative_into


def _keep_mask(mask: Any, reverse: bool, xp: Any) -> StepMask | None:
    """The StepMask of a (B, T) mask in this kernel's layout: ``keep`` (T, 1, B), True where
    step t keeps the old state of a row; None if no step masks anything."""
    if mask is None:
        return None
    m = mask.T[::-1] if reverse else mask.T
    keep = ~m[:, None, :]
    any_at = [bool(v) for v in keep.any(axis=(1, 2)).tolist()]
    return StepMask(keep, any_at) if any(any_at) else None


@replaces("lstm")
def lstm_forward(x: Any, W: Any, R: Any, b: Any, h0: Any, c0: Any, mask: Any, rmask: Any,
                 reverse: bool, act: str, ract: str) -> Seq:
    """i, f, o = ract(.), g = act(.); c[t] = f c[t-1] + i g; h[t] = o act(c[t]).

    Arrays: x (B, T, F), W (F, 4U), R (U, 4U), b (4U,) or None, h0 and c0 (B, U), mask
    (B, T) bool or None, rmask (B, U) or None (recurrent dropout).
    """
    xp = xp_of(x)
    own = Scratch(xp)
    B, T, F = x.shape
    U = R.shape[0]
    G, u2, u3, K = 4 * U, 2 * U, 3 * U, F + 1 + U
    dt = W.dtype
    M = xp.empty((G, K), dtype=dt)
    M[:, :F] = W.T
    M[:, F] = 0 if b is None else b
    M[:, F + 1:] = R.T
    fast = act == "tanh" and ract == "sigmoid"
    if fast:
        M[:u2] *= 0.5
        M[u3:] *= 0.5
    # XH[:, t] = [x[t]; 1; h[t-1]] (recurrent dropout applied to h), one column per sample.
    XH = own((K, T + 1, B), dt)
    xs = x.transpose(2, 1, 0)
    XH[:F, :T] = xs[:, ::-1] if reverse else xs
    XH[F] = 1
    rmT = None if rmask is None else xp.ascontiguousarray(rmask.T)
    # Without recurrent dropout the states live in XH's h rows (HT is a view: no copies);
    # with it, XH holds the dropped states and HT the real ones, in a block shaped like XH's.
    hbuf, row0 = (XH, F + 1) if rmT is None else (own((U, T + 1, B), dt), 0)
    HT = hbuf[row0:row0 + U].transpose(1, 0, 2)
    CT = own((T + 1, U, B), dt)
    HT[0] = h0.T
    CT[0] = c0.T
    if rmT is not None:
        XH[F + 1:, 0] = HT[0] * rmT
    ZT = own((T, G, B), dt)  # the activated gates
    TCT = own((T, U, B), dt)  # act(c)
    ig = xp.empty((U, B), dtype=dt)
    keep = _keep_mask(mask, reverse, xp)
    compiled = fast and lstm_gates.usable(M)
    fused = compiled and lstm_gates.fused_usable(M)
    for t in range(T):
        z = ZT[t]
        xp.matmul(M, XH[:, t], out=z)
        c = CT[t + 1]
        h = HT[t + 1]
        if fused:  # float32: the whole step after the product in one loop, tanh included
            lstm_gates.forward_fused(z, CT[t], c, TCT[t], hbuf, row0, t + 1)
        else:
            _gates_numpy(z, CT[t], c, TCT[t], h, ig, act, ract, fast, compiled, xp)
        if keep is not None and keep.any_at[t]:
            xp.copyto(h, HT[t], where=keep.keep[t])
            xp.copyto(c, CT[t], where=keep.keep[t])
        if rmT is not None and t + 1 < T:
            xp.multiply(h, rmT, out=XH[F + 1:, t + 1])
    s = Seq(XH=XH, ZT=ZT, HT=HT, CT=CT, TCT=TCT, R=R, W=W, rmT=rmT, keep=keep, act=act,
            ract=ract, reverse=reverse, seq=HT[1:].transpose(0, 2, 1),
            last=[HT[T].T, CT[T].T], backward=lstm_backward)
    own.belong_to(s)
    return s


def _gates_numpy(z: Any, c_prev: Any, c: Any, tc: Any, h: Any, ig: Any, act: str, ract: str,
                 fast: bool, compiled: bool, xp: Any) -> None:
    """One step's gates, c, act(c) and h in NumPy calls (``compiled``: the gate arithmetic
    and c in ``lstm_gates.forward_step``, the tanh calls in NumPy)."""
    U = c.shape[0]
    u2, u3 = 2 * U, 3 * U
    i, f, g, o = z[:U], z[U:u2], z[u2:u3], z[u3:]
    if compiled:  # the gates and c in one loop (kernels/lstm_gates.py)
        xp.tanh(z, out=z)
        lstm_gates.forward_step(z, c_prev, c)
    else:
        if fast:
            xp.tanh(z, out=z)
            for sig in (z[:u2], o):
                sig *= 0.5
                sig += 0.5
        else:
            activate_(ract, z[:u2], xp)
            activate_(ract, o, xp)
            activate_(act, g, xp)
        xp.multiply(f, c_prev, out=c)
        xp.multiply(i, g, out=ig)
        c += ig
    if act == "tanh":
        xp.tanh(c, out=tc)
    else:
        tc[...] = c
        activate_(act, tc, xp)
    xp.multiply(o, tc, out=h)


def lstm_backward(s: Seq, dseq: Any, dstates: list, need: dict) -> dict:
    """Gradients (Keras layouts) for the keys of ``need`` that are True: x, W, R, b, h0, c0.

    ``dseq`` (T, B, U) in processing order or None; ``dstates`` [dh_T, dc_T], each (B, U).
    Every step's dz is kept so that the weight gradient ``dM = dZ [X; 1; H]^T`` and the input
    gradient ``dX = kernel dZ`` are one product each over all steps (large products use the
    BLAS threads far better than one small product per step).
    """
    xp = xp_of(s.HT)
    own = Scratch(xp)
    ZT, CT, TCT, XH, keep, rmT = s.ZT, s.CT, s.TCT, s.XH, s.keep, s.rmT
    T, G, B = ZT.shape
    U = G // 4
    u2, u3 = 2 * U, 3 * U
    K = XH.shape[0]
    F = K - 1 - U
    dt = ZT.dtype
    dh = dstates[0].T.copy()
    dc = dstates[1].T.copy()
    dseqT = None if dseq is None else dseq.transpose(0, 2, 1)
    dZ = own((G, T, B), dt)
    dz = own((G, B), dt)
    dD = own((G, B), dt)
    tmp = own((U, B), dt)
    R = s.R
    # the product at step 0 only feeds h0's gradient: skip it when no one asks for that
    first = 0 if need.get("h0") else 1
    compiled = s.act == "tanh" and s.ract == "sigmoid" and lstm_gates.usable(dz)
    for t in range(T - 1, -1, -1):
        if dseqT is not None:
            dh += dseqT[t]
        masked = keep is not None and keep.any_at[t]
        if masked:  # rows that kept the old state pass their gradient straight through
            k = keep.keep[t]
            h_pass = xp.where(k, dh, 0)
            c_pass = xp.where(k, dc, 0)
            xp.copyto(dh, 0, where=k)
            xp.copyto(dc, 0, where=k)
        z = ZT[t]
        tc = TCT[t]
        if compiled:  # the lines below in one loop (kernels/lstm_gates.py)
            lstm_gates.backward_step(z, tc, CT[t], dh, dc, dz)
        else:
            i, f, g, o = z[:U], z[U:u2], z[u2:u3], z[u3:]
            derivative_into(s.act, tc, tmp, xp)           # dc += dh * o * act'(c)
            tmp *= o
            tmp *= dh
            dc += tmp
            xp.multiply(dc, g, out=dz[:U])                # d i
            xp.multiply(dc, CT[t], out=dz[U:u2])          # d f
            xp.multiply(dc, i, out=dz[u2:u3])             # d g
            xp.multiply(dh, tc, out=dz[u3:])              # d o
            # the gates' derivatives: ract' for i, f, o, act' for g (written over its rows)
            derivative_into(s.ract, z, dD, xp)
            derivative_into(s.act, g, dD[u2:u3], xp)
            dz *= dD
            dc *= f
        dZ[:, t] = dz
        if t >= first:
            xp.matmul(R, dz, out=dh)
            if rmT is not None:
                dh *= rmT
        if masked:
            dh += h_pass
            dc += c_pass
    out: dict = {}
    dZ2 = dZ.reshape(G, T * B)
    if need.get("W") or need.get("R") or need.get("b"):
        dM = dZ2 @ XH.reshape(K, (T + 1) * B)[:, :T * B].T  # (4U, F + 1 + U)
        out["W"] = xp.ascontiguousarray(dM[:, :F].T)
        out["b"] = dM[:, F].copy()
        out["R"] = xp.ascontiguousarray(dM[:, F + 1:].T)
    if need.get("x"):
        dX = (s.W @ dZ2).reshape(F, T, B)
        out["x"] = xp.ascontiguousarray((dX[:, ::-1] if s.reverse else dX).transpose(2, 1, 0))
    if need.get("h0"):
        out["h0"] = xp.ascontiguousarray(dh.T)
    out["c0"] = xp.ascontiguousarray(dc.T)
    own.give_back()
    return out
