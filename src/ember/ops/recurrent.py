"""Recurrent sequence ops: SimpleRNN, LSTM and GRU over a whole (batch, timesteps, features)
sequence.

The reference ops here are the cells' equations, step after step, written with tensor ops
(autograd derives the backward pass through time, and second derivatives work). By default
the fast kernels replace them (``ember.kernels.rnn_simple``, ``rnn_lstm``, ``rnn_gru``): the
whole sequence as ONE recorded op with hand-written backpropagation through time on raw
arrays, which refuses double backward (``create_graph=True``). Weights use Keras' layouts, so
they can be exchanged with Keras:

- SimpleRNN: kernel (F, U), recurrent_kernel (U, U), bias (U,)
- LSTM: kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U,); gate order i, f, c, o
- GRU: kernel (F, 3U), recurrent_kernel (U, 3U); gate order z, r, h; bias (2, 3U) (input and
  recurrent biases) with ``reset_after=True`` (Keras 3's default), (3U,) otherwise

Inputs are (batch, timesteps, features). ``mask`` (batch, timesteps), True for real steps:
a masked step keeps the previous state (and output). ``go_backwards`` reads the sequence
from the end and returns the outputs in that processing order, as Keras does. The
activations are given by name ("tanh", "sigmoid", "relu", "linear"); the layers use a
step-by-step composition of their own for any other activation.

Example:
    >>> import ember as em
    >>> x = em.randn(2, 5, 3)
    >>> W, R, b = em.randn(3, 16), em.randn(4, 16), em.zeros(16)
    >>> from ember.ops.recurrent import lstm
    >>> out, h, c = lstm(x, W, R, b, return_sequences=True, return_state=True)
    >>> out.shape, h.shape, c.shape
    ((2, 5, 4), (2, 4), (2, 4))
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.kernels import registry as kernels
from ember.ops.activation_ops import relu
from ember.ops.elementwise import sigmoid, tanh, where
from ember.ops.shape import stack

__all__ = ["simple_rnn", "lstm", "gru", "ACTIVATIONS"]

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
_ACT = {"tanh": tanh, "sigmoid": sigmoid, "relu": relu, "linear": lambda z: z}



def _check_inputs(who: str, x: Any, kernel: Any, recurrent_kernel: Any, gates: int,
                  activations: tuple) -> tuple:
    kernel = as_tensor(kernel)
    recurrent_kernel = as_tensor(recurrent_kernel, kernel)
    x = as_tensor(x, kernel)
    if x.ndim != 3:
        raise ValueError(f"{who}: inputs must be (batch, timesteps, features); got shape "
                         f"{tuple(x.shape)}")
    B, T, F = x.shape
    if T == 0:
        raise ValueError(f"{who}: the input has no timesteps (shape {tuple(x.shape)})")
    U = recurrent_kernel.shape[0] if recurrent_kernel.ndim == 2 else -1
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != gates * U:
        raise ValueError(f"{who}: recurrent_kernel must be (units, {gates} * units); got shape "
                         f"{tuple(recurrent_kernel.shape)}")
    if kernel.shape != (F, gates * U):
        raise ValueError(f"{who}: kernel must be (features, {gates} * units) = "
                         f"{(F, gates * U)} for inputs of shape {tuple(x.shape)}; got "
                         f"{tuple(kernel.shape)}")
    if x.data.dtype != kernel.data.dtype:
        x = x.astype(kernel.data.dtype)
    for name in activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"{who}: activation {name!r} has no fused kernel; expected one of "
                             f"{ACTIVATIONS}")
    return x, kernel, recurrent_kernel, B, T, U


def _states(who: str, initial_state: Any, count: int, B: int, U: int, like: Tensor) -> list:
    xp = xp_of(like.data)
    if initial_state is None:
        return [wrap_array(xp.zeros((B, U), dtype=like.data.dtype)) for _ in range(count)]
    states = [initial_state] if isinstance(initial_state, Tensor) or hasattr(
        initial_state, "shape") else list(initial_state)
    if len(states) != count:
        raise ValueError(f"{who}: initial_state must hold {count} tensor(s) of shape "
                         f"(batch, units) = {(B, U)}; got {len(states)}")
    out = []
    for s in states:
        s = as_tensor(s, like)
        if s.data.dtype != like.data.dtype:
            s = s.astype(like.data.dtype)
        if tuple(s.shape) != (B, U):
            raise ValueError(f"{who}: each initial state must be (batch, units) = {(B, U)}; "
                             f"got {tuple(s.shape)}")
        out.append(s)
    return out


def _array_mask(who: str, mask: Any, B: int, T: int, xp: Any) -> Any:
    if mask is None:
        return None
    m = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
    if tuple(m.shape) != (B, T):
        raise ValueError(f"{who}: mask must be (batch, timesteps) = {(B, T)}; got "
                         f"{tuple(m.shape)}")
    return m if m.dtype == bool else m != 0


def _array_rmask(who: str, rmask: Any, B: int, U: int, like: Tensor) -> Any:
    if rmask is None:
        return None
    m = as_tensor(rmask, like).data.astype(like.data.dtype, copy=False)
    if tuple(m.shape) != (B, U):
        raise ValueError(f"{who}: recurrent_dropout_mask must be (batch, units) = {(B, U)}; "
                         f"got {tuple(m.shape)}")
    return m


def _run(who: str, s: Any, mask: Any, parents: list, backward_kernel: Any,
         return_sequences: bool, return_state: bool, zero_output_for_mask: bool) -> Any:
    """Wrap a kernel's forward pass as one recorded op; split a packed output into tensors.

    ``s.seq`` is (T, B, U) in processing order and ``s.last`` the final states (B, U).
    """
    seq, states = s.seq, s.last
    xp = xp_of(seq)
    T, B, U = seq.shape
    use = None
    if zero_output_for_mask and mask is not None and return_sequences:
        m = mask.T[::-1] if s.reverse else mask.T
        use = m[:, :, None].astype(seq.dtype)
        seq = seq * use
    first = seq.transpose(1, 0, 2) if return_sequences else states[0][:, None]
    n_out = T if return_sequences else 1
    if return_state:
        data = xp.concatenate([first] + [a[:, None] for a in states], axis=1)
    else:
        # a copy: the kernels' state buffers are recycled once the graph is freed
        data = first.copy() if return_sequences else states[0].copy()

    def backward(g: Tensor) -> tuple:
        gd = g.data
        if not return_state and not return_sequences:
            gd = gd[:, None]
        dseq = None
        if return_sequences:
            dseq = gd[:, :n_out].transpose(1, 0, 2)
            if use is not None:
                dseq = dseq * use
        dstates = [gd[:, n_out + k] if return_state else None for k in range(len(states))]
        if not return_sequences:  # the output is the last h: its gradient joins h's
            d_last = gd[:, 0]
            dstates[0] = d_last if dstates[0] is None else dstates[0] + d_last
        dstates = [xp.zeros((B, U), dtype=seq.dtype) if d is None else d for d in dstates]
        need = {key: p.requires_grad for key, p in parents}
        grads = backward_kernel(s, dseq, dstates, need)
        return tuple(wrap_array(grads[key]) if p.requires_grad else None for key, p in parents)

    # x and the initial states were copied by the forward pass; the weights are read again.
    saved = tuple(p for key, p in parents if key in ("W", "R", "b"))
    out = record_op(data, tuple(p for _, p in parents), backward, who, saved, fused=True)
    if not return_state:
        return out
    result = [_piece(out, slice(0, T) if return_sequences else 0, who)]
    result += [_piece(out, n_out + k, who) for k in range(len(states))]
    return tuple(result)


def _piece(packed: Tensor, index: Any, who: str) -> Tensor:
    """``packed[:, index]`` as its own tensor (one output of a multi-output op)."""

    def backward(g: Tensor) -> tuple:
        full = xp_of(g.data).zeros(packed.shape, dtype=g.data.dtype)
        full[:, index] = g.data
        return (wrap_array(full),)

    return record_op(packed.data[:, index], (packed,), backward, f"{who}_output", fused=True)


def simple_rnn(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None,
               initial_state: Any = None, mask: Any = None, *, go_backwards: bool = False,
               return_sequences: bool = False, return_state: bool = False,
               activation: str = "tanh", recurrent_dropout_mask: Any = None,
               zero_output_for_mask: bool = False) -> Any:
    """Fully connected recurrence ``h[t] = act(x[t] @ kernel + h[t-1] @ recurrent_kernel +
    bias)`` over (batch, timesteps, features). Returns the output (all steps with
    ``return_sequences``, else the last), and with ``return_state`` the tuple (output, h)."""
    who = "simple_rnn"
    x, W, R, B, T, U = _check_inputs(who, x, kernel, recurrent_kernel, 1, (activation,))
    b = _bias(who, bias, (U,), W)
    (h0,) = _states(who, initial_state, 1, B, U, W)
    xp = xp_of(W.data)
    m = _array_mask(who, mask, B, T, xp)
    rm = _array_rmask(who, recurrent_dropout_mask, B, U, W)
    fast = kernels.fast("simple_rnn")
    if fast is None:
        act = _ACT[activation]

        def cell(xt: Tensor, states: list) -> list:
            (h,) = states
            z = xt @ W + (h if rm is None else h * rm) @ R
            return [act(z if b is None else z + b)]

        return _reference(cell, x, [h0], m, go_backwards, return_sequences, return_state,
                          zero_output_for_mask)
    s = fast(x.data, W.data, R.data, None if b is None else b.data, h0.data, m, rm,
             go_backwards, activation)
    parents = [("x", x), ("W", W), ("R", R)] + ([("b", b)] if b is not None else []) + \
        [("h0", h0)]
    return _run(who, s, m, parents, s.backward, return_sequences, return_state,
                zero_output_for_mask)


def lstm(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None,
         initial_state: Any = None, mask: Any = None, *, go_backwards: bool = False,
         return_sequences: bool = False, return_state: bool = False,
         activation: str = "tanh", recurrent_activation: str = "sigmoid",
         recurrent_dropout_mask: Any = None, zero_output_for_mask: bool = False) -> Any:
    """Long short-term memory over (batch, timesteps, features), Keras' gate order i, f, c, o.

    ``initial_state`` is [h0, c0]; with ``return_state`` the result is (output, h, c).
    """
    who = "lstm"
    x, W, R, B, T, U = _check_inputs(who, x, kernel, recurrent_kernel, 4,
                                     (activation, recurrent_activation))
    b = _bias(who, bias, (4 * U,), W)
    h0, c0 = _states(who, initial_state, 2, B, U, W)
    xp = xp_of(W.data)
    m = _array_mask(who, mask, B, T, xp)
    rm = _array_rmask(who, recurrent_dropout_mask, B, U, W)
    fast = kernels.fast("lstm")
    if fast is None:
        act, ract = _ACT[activation], _ACT[recurrent_activation]

        def cell(xt: Tensor, states: list) -> list:
            h, c = states
            z = xt @ W + (h if rm is None else h * rm) @ R
            if b is not None:
                z = z + b
            i, f = ract(z[:, :U]), ract(z[:, U:2 * U])
            g, o = act(z[:, 2 * U:3 * U]), ract(z[:, 3 * U:])
            c = f * c + i * g
            return [o * act(c), c]

        return _reference(cell, x, [h0, c0], m, go_backwards, return_sequences, return_state,
                          zero_output_for_mask)
    s = fast(x.data, W.data, R.data, None if b is None else b.data, h0.data, c0.data, m, rm,
             go_backwards, activation, recurrent_activation)
    parents = [("x", x), ("W", W), ("R", R)] + ([("b", b)] if b is not None else []) + \
        [("h0", h0), ("c0", c0)]
    return _run(who, s, m, parents, s.backward, return_sequences, return_state,
                zero_output_for_mask)


def gru(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None,
        initial_state: Any = None, mask: Any = None, *, reset_after: bool = True,
        go_backwards: bool = False, return_sequences: bool = False, return_state: bool = False,
        activation: str = "tanh", recurrent_activation: str = "sigmoid",
        recurrent_dropout_mask: Any = None, zero_output_for_mask: bool = False) -> Any:
    """Gated recurrent unit over (batch, timesteps, features), Keras' gate order z, r, h.

    ``reset_after=True`` (Keras 3's default, cuDNN's and PyTorch's convention) applies the
    reset gate after the recurrent product and takes a (2, 3 * units) bias (input row,
    recurrent row); ``reset_after=False`` applies it before and takes a (3 * units,) bias.
    With ``return_state`` the result is (output, h).
    """
    who = "gru"
    x, W, R, B, T, U = _check_inputs(who, x, kernel, recurrent_kernel, 3,
                                     (activation, recurrent_activation))
    b = _bias(who, bias, (2, 3 * U) if reset_after else (3 * U,), W)
    (h0,) = _states(who, initial_state, 1, B, U, W)
    xp = xp_of(W.data)
    b_in = b_rec = None
    if b is not None:
        b_in, b_rec = (b.data[0], b.data[1]) if reset_after else (b.data, None)
    m = _array_mask(who, mask, B, T, xp)
    rm = _array_rmask(who, recurrent_dropout_mask, B, U, W)
    fast = kernels.fast("gru")
    if fast is None:
        act, ract = _ACT[activation], _ACT[recurrent_activation]
        bi, br = (None, None) if b is None else (b[0], b[1]) if reset_after else (b, None)

        def cell(xt: Tensor, states: list) -> list:
            (h,) = states
            hm = h if rm is None else h * rm
            xz = xt @ W if bi is None else xt @ W + bi
            if reset_after:  # r multiplies the recurrent product (with its own bias)
                hz = hm @ R if br is None else hm @ R + br
                z, r = ract(xz[:, :U] + hz[:, :U]), ract(xz[:, U:2 * U] + hz[:, U:2 * U])
                hh = act(xz[:, 2 * U:] + r * hz[:, 2 * U:])
            else:  # r multiplies the state before the product
                hz = hm @ R[:, :2 * U]
                z, r = ract(xz[:, :U] + hz[:, :U]), ract(xz[:, U:2 * U] + hz[:, U:])
                hh = act(xz[:, 2 * U:] + (r * hm) @ R[:, 2 * U:])
            return [z * h + (1 - z) * hh]

        return _reference(cell, x, [h0], m, go_backwards, return_sequences, return_state,
                          zero_output_for_mask)
    s = fast(x.data, W.data, R.data, b_in, b_rec, h0.data, m, rm, go_backwards, activation,
             recurrent_activation, reset_after)

    def kernel_backward(s: Any, dseq: Any, dstates: list, need: dict) -> dict:
        grads = s.backward(s, dseq, dstates, need)
        if "b_in" in grads:
            grads["b"] = xp.stack([grads["b_in"], grads["b_rec"]]) if reset_after \
                else grads["b_in"]
        return grads

    parents = [("x", x), ("W", W), ("R", R)] + ([("b", b)] if b is not None else []) + \
        [("h0", h0)]
    return _run(who, s, m, parents, kernel_backward, return_sequences, return_state,
                zero_output_for_mask)


def _reference(cell: Any, x: Tensor, states: list, mask: Any, go_backwards: bool,
               return_sequences: bool, return_state: bool, zero_output_for_mask: bool) -> Any:
    """Run ``cell`` (new states from one step's input and the states; h first) over the
    sequence, in processing order; a masked row keeps its previous states (and output)."""
    T = x.shape[1]
    outputs = []
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        new = cell(x[:, t], states)
        if mask is not None:
            real = mask[:, t:t + 1]  # (batch, 1): True where step t is real
            new = [where(real, n, s) for n, s in zip(new, states)]
        states = new
        out = states[0]
        if zero_output_for_mask and mask is not None:
            out = where(mask[:, t:t + 1], out, 0.0)
        outputs.append(out)
    output = stack(outputs, axis=1) if return_sequences else states[0]
    return (output, *states) if return_state else output


def _bias(who: str, bias: Any, shape: tuple, like: Tensor) -> Tensor | None:
    if bias is None:
        return None
    b = as_tensor(bias, like)
    if tuple(b.shape) != shape:
        raise ValueError(f"{who}: bias must have shape {shape}; got {tuple(b.shape)}")
    return b
