"""SimpleRNN, LSTM, GRU and Bidirectional: values and gradients against PyTorch (weights mapped
from Keras' layouts), masks against a NumPy reference, the fused ops against finite
differences and against the step-by-step path, plus dropout, config and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.ops.recurrent import gru, lstm, simple_rnn

torch = pytest.importorskip("torch")

B, T, F, U = 3, 5, 4, 6
KINDS = ("simple_rnn", "lstm", "gru")
LAYERS = {"simple_rnn": em.layers.SimpleRNN, "lstm": em.layers.LSTM, "gru": em.layers.GRU}


# ---------------------------------------------------------------------------- helpers
def _gru_perm(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Keras' GRU gate order z, r, h <-> PyTorch's r, z, n (the swap is its own inverse)."""
    z, r, h = np.split(a, 3, axis=axis)
    return np.concatenate([r, z, h], axis=axis)


def _to_torch(kind: str, weights: list, module: torch.nn.Module, suffix: str = "") -> None:
    """Copy Keras-layout weights [kernel, recurrent_kernel, bias] into a torch RNN module."""
    kernel, rec, bias = (np.asarray(w, dtype=np.float64) for w in weights)
    b_ih, b_hh = bias, np.zeros_like(bias)
    if kind == "gru":
        kernel, rec = _gru_perm(kernel), _gru_perm(rec)
        b_ih, b_hh = _gru_perm(bias[0]), _gru_perm(bias[1])
    with torch.no_grad():
        getattr(module, "weight_ih_l0" + suffix).copy_(torch.tensor(kernel.T))
        getattr(module, "weight_hh_l0" + suffix).copy_(torch.tensor(rec.T))
        getattr(module, "bias_ih_l0" + suffix).copy_(torch.tensor(b_ih))
        getattr(module, "bias_hh_l0" + suffix).copy_(torch.tensor(b_hh))


def _torch_grads(kind: str, module: torch.nn.Module, suffix: str = "") -> list:
    """The torch module's gradients in Keras layouts [kernel, recurrent_kernel, bias]."""
    gk = getattr(module, "weight_ih_l0" + suffix).grad.numpy().T
    gr = getattr(module, "weight_hh_l0" + suffix).grad.numpy().T
    gb_ih = getattr(module, "bias_ih_l0" + suffix).grad.numpy()
    gb_hh = getattr(module, "bias_hh_l0" + suffix).grad.numpy()
    if kind == "gru":
        return [_gru_perm(gk), _gru_perm(gr), np.stack([_gru_perm(gb_ih), _gru_perm(gb_hh)])]
    return [gk, gr, gb_ih]


def _torch_module(kind: str, bidirectional: bool = False) -> torch.nn.Module:
    cls = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    return cls(F, U, batch_first=True, bidirectional=bidirectional).double()


def _layer(kind: str, **kw) -> em.layers.Layer:
    layer = LAYERS[kind](U, dtype="float64", **kw)
    layer.build((None, T, F))
    rng = np.random.default_rng(1)
    layer.set_weights([rng.uniform(-0.6, 0.6, w.shape) for w in layer.get_weights()])
    return layer


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_matches_torch_values_and_gradients(kind, return_sequences, go_backwards, rng):
    layer = _layer(kind, return_sequences=return_sequences, go_backwards=go_backwards)
    module = _torch_module(kind)
    _to_torch(kind, layer.get_weights(), module)
    x = rng.standard_normal((B, T, F))
    # Keras' go_backwards = reading the reversed sequence, outputs in that processing order
    xt = torch.tensor(x[:, ::-1].copy() if go_backwards else x, requires_grad=True)
    seq, _ = module(xt)
    ref = seq if return_sequences else seq[:, -1]
    g = rng.standard_normal(tuple(ref.shape))
    (ref * torch.tensor(g)).sum().backward()

    xe = em.tensor(x, requires_grad=True)
    out = layer(xe)
    (out * em.tensor(g)).sum().backward()
    _close(out.numpy(), ref.detach().numpy())
    gx = xt.grad.numpy()
    _close(xe.grad.numpy(), gx[:, ::-1] if go_backwards else gx)
    for w, gt in zip(layer.weights, _torch_grads(kind, module)):
        _close(w.grad.numpy(), gt)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_default_path_matches_torch(kind, rng):
    layer = LAYERS[kind](U, return_sequences=True)
    x = rng.standard_normal((B, T, F)).astype(np.float32)
    out = layer(x)
    module = _torch_module(kind).float()
    _to_torch(kind, layer.get_weights(), module.double())
    module = module.float()
    ref, _ = module(torch.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_return_state_and_initial_state_match_torch(kind, rng):
    layer = _layer(kind, return_sequences=True, return_state=True)
    module = _torch_module(kind)
    _to_torch(kind, layer.get_weights(), module)
    x = rng.standard_normal((B, T, F))
    n = 2 if kind == "lstm" else 1
    init = [rng.standard_normal((B, U)) for _ in range(n)]
    init_t = [torch.tensor(s[None], requires_grad=True) for s in init]
    seq, st = module(torch.tensor(x), tuple(init_t) if n == 2 else init_t[0])
    states = list(st) if n == 2 else [st]
    gs = [rng.standard_normal((B, T, U))] + [rng.standard_normal((B, U)) for _ in range(n)]
    total = (seq * torch.tensor(gs[0])).sum()
    for s, g in zip(states, gs[1:]):
        total = total + (s[0] * torch.tensor(g)).sum()
    total.backward()

    init_e = [em.tensor(s, requires_grad=True) for s in init]
    result = layer(x, initial_state=init_e)
    assert isinstance(result, list) and len(result) == 1 + n
    total = sum((r * em.tensor(g)).sum() for r, g in zip(result, gs))
    total.backward()
    _close(result[0].numpy(), seq.detach().numpy())
    for r, s in zip(result[1:], states):
        _close(r.numpy(), s[0].detach().numpy())
    for e, t_ in zip(init_e, init_t):
        _close(e.grad.numpy(), t_.grad[0].numpy())
    for w, gt in zip(layer.weights, _torch_grads(kind, module)):
        _close(w.grad.numpy(), gt)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_matches_torch(kind, merge_mode, rng):
    bi = em.layers.Bidirectional(LAYERS[kind](U, return_sequences=True, dtype="float64"),
                                 merge_mode=merge_mode, dtype="float64")
    bi.build((None, T, F))
    ws = [rng.uniform(-0.6, 0.6, w.shape) for w in bi.get_weights()]
    bi.set_weights(ws)
    module = _torch_module(kind, bidirectional=True)
    _to_torch(kind, ws[:3], module)
    _to_torch(kind, ws[3:], module, "_reverse")
    x = rng.standard_normal((B, T, F))
    seq, _ = module(torch.tensor(x))
    fw, bw = seq[..., :U], seq[..., U:]
    ref = {"concat": seq, "sum": fw + bw, "mul": fw * bw, "ave": (fw + bw) / 2,
           None: None}[merge_mode]
    g = rng.standard_normal((B, T, U))
    out = bi(x)
    if merge_mode is None:
        assert isinstance(out, list) and len(out) == 2
        _close(out[0].numpy(), fw.detach().numpy())
        _close(out[1].numpy(), bw.detach().numpy())
        ref_loss = (fw * torch.tensor(g)).sum() + (bw * torch.tensor(g)).sum()
        loss = (out[0] * em.tensor(g)).sum() + (out[1] * em.tensor(g)).sum()
    else:
        _close(out.numpy(), ref.detach().numpy())
        g = rng.standard_normal(tuple(ref.shape))
        ref_loss, loss = (ref * torch.tensor(g)).sum(), (out * em.tensor(g)).sum()
    ref_loss.backward()
    loss.backward()
    grads = _torch_grads(kind, module) + _torch_grads(kind, module, "_reverse")
    for w, gt in zip(bi.weights, grads):
        _close(w.grad.numpy(), gt)


def test_bidirectional_return_state_order_and_config(rng):
    bi = em.layers.Bidirectional(em.layers.LSTM(U, return_state=True), merge_mode="sum")
    out = bi(rng.standard_normal((B, T, F)).astype(np.float32))
    assert [tuple(o.shape) for o in out] == [(B, U)] * 5
    fh = bi.forward_layer(rng.standard_normal((1, 2, F)))  # the forward layer alone works
    assert [tuple(o.shape) for o in fh] == [(1, U)] * 3
    assert bi.forward_layer.name.startswith("forward_")
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards
    again = em.layers.Bidirectional.from_config(bi.get_config())
    assert again.merge_mode == "sum" and again.backward_layer.go_backwards
    with pytest.raises(ValueError, match="merge_mode"):
        em.layers.Bidirectional(em.layers.LSTM(2), merge_mode="max")


# ---------------------------------------------------------------------------- masks
def _np_act(name, a):
    return {"tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[name](a)


def _reference(kind, x, weights, mask, go_backwards, reset_after=True):
    """A plain NumPy loop with Keras' masking: a masked step keeps the previous state."""
    kernel, rec, bias = weights
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    h, c, outs = np.zeros((B, U)), np.zeros((B, U)), []
    for t in order:
        xw, m = x[:, t] @ kernel, mask[:, t][:, None]
        if kind == "simple_rnn":
            new = [np.tanh(xw + bias + h @ rec)]
        elif kind == "lstm":
            z = xw + h @ rec + bias
            i, f, g, o = np.split(z, 4, axis=1)
            cn = _np_act("sigmoid", f) * c + _np_act("sigmoid", i) * np.tanh(g)
            new = [_np_act("sigmoid", o) * np.tanh(cn), cn]
        else:
            b_in = bias[0] if reset_after else bias
            xz, xr, xh = np.split(xw + b_in, 3, axis=1)
            if reset_after:
                rz, rr, rh = np.split(h @ rec + bias[1], 3, axis=1)
                z, r = _np_act("sigmoid", xz + rz), _np_act("sigmoid", xr + rr)
                hh = np.tanh(xh + r * rh)
            else:
                rz, rr = np.split(h @ rec[:, :2 * U], 2, axis=1)
                z, r = _np_act("sigmoid", xz + rz), _np_act("sigmoid", xr + rr)
                hh = np.tanh(xh + (r * h) @ rec[:, 2 * U:])
            new = [z * h + (1 - z) * hh]
        h = np.where(m, new[0], h)
        if kind == "lstm":
            c = np.where(m, new[1], c)
        outs.append(h)
    return np.stack(outs, axis=1)


def _mask(rng):
    m = rng.random((B, T)) > 0.35
    m[0] = [True, True, False, False, False]  # right padding
    m[1, 0] = False                            # a masked first step
    return m


@pytest.mark.parametrize("kind,reset_after", [("simple_rnn", True), ("lstm", True),
                                              ("gru", True), ("gru", False)])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_steps_carry_the_state(kind, reset_after, go_backwards, rng):
    kw = {"reset_after": reset_after} if kind == "gru" else {}
    layer = _layer(kind, return_sequences=True, go_backwards=go_backwards, **kw)
    x, mask = rng.standard_normal((B, T, F)), _mask(rng)
    out = layer(x, mask=mask)
    ref = _reference(kind, x, layer.get_weights(), mask, go_backwards, reset_after)
    _close(out.numpy(), ref)
    np.testing.assert_array_equal(em.backend.to_numpy(out._mask), mask)
    # the last output (return_sequences=False) is the final state
    layer.return_sequences = False
    _close(layer(x, mask=mask).numpy(), ref[:, -1])


def test_mask_zero_embedding_feeds_lstm_like_trimmed_sequences(rng):
    em.utils.set_random_seed(3)
    emb = em.layers.Embedding(20, F, mask_zero=True)
    rnn = em.layers.LSTM(U)
    tokens = np.array([[3, 5, 7, 0, 0], [1, 2, 3, 4, 5], [9, 0, 0, 0, 0]])
    out = rnn(emb(tokens)).numpy()
    for row, length in zip(range(3), (3, 5, 1)):
        alone = rnn(emb(tokens[row:row + 1, :length])).numpy()
        np.testing.assert_allclose(out[row], alone[0], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- gradients
OPS = {"simple_rnn": (simple_rnn, 1, 1), "lstm": (lstm, 4, 2), "gru": (gru, 3, 1)}


@pytest.mark.parametrize("kind,reset_after", [("simple_rnn", True), ("lstm", True),
                                              ("gru", True), ("gru", False)])
def test_fused_ops_match_finite_differences(kind, reset_after, rng):
    op, gates, n_states = OPS[kind]
    b, t, f, u = 2, 4, 3, 2
    mask = np.array([[True, False, True, True], [False, True, True, False]])
    rmask = rng.random((b, u)) * 2
    bias_shape = (2, 3 * u) if kind == "gru" and reset_after else (gates * u,)
    arrays = [rng.standard_normal((b, t, f)), rng.standard_normal((f, gates * u)),
              rng.standard_normal((u, gates * u)), rng.standard_normal(bias_shape)]
    arrays += [rng.standard_normal((b, u)) for _ in range(n_states)]
    extra = {"reset_after": reset_after} if kind == "gru" else {}

    def fn(x, k, r, bias, *states):
        return op(x, k, r, bias, list(states), mask, go_backwards=True, return_sequences=True,
                  return_state=True, recurrent_dropout_mask=rmask, **extra)

    assert em.gradcheck(fn, arrays)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_output", [False, True])
def test_step_by_step_path_matches_fused(kind, zero_output, rng):
    x, mask = rng.standard_normal((B, T, F)), _mask(rng)
    rmask_seed = 5
    results = []
    for fused in (True, False):
        layer = _layer(kind, return_sequences=True, return_state=True, recurrent_dropout=0.3,
                       zero_output_for_mask=zero_output, seed=rmask_seed)
        layer._use_fused = fused
        xe = em.tensor(x, requires_grad=True)
        outs = layer(xe, mask=mask, training=True)
        sum((o * o).sum() for o in outs).backward()
        results.append([o.numpy() for o in outs] + [xe.grad.numpy()] +
                       [w.grad.numpy() for w in layer.weights])
    for a, b_ in zip(*results):
        _close(a, b_)


def test_other_activations_run_step_by_step_and_differentiate_twice(rng):
    layer = em.layers.SimpleRNN(3, activation="softsign", dtype="float64")
    assert layer._fused_names() is None
    x = em.tensor(rng.standard_normal((2, 4, F)), requires_grad=True)
    (g,) = em.autograd.grad(layer(x).sum(), [x], create_graph=True)
    g.sum().backward()  # second order through the composed path
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
    fused = em.layers.SimpleRNN(3)
    y = em.tensor(rng.standard_normal((2, 4, F)).astype(np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="simple_rnn: its backward is a fused"):
        em.autograd.grad(fused(y).sum(), [y], create_graph=True)


# ---------------------------------------------------------------------------- behaviour
def test_dropout_masks_are_fixed_over_time_and_only_in_training(rng):
    layer = em.layers.SimpleRNN(F, activation="linear", use_bias=False, dropout=0.5,
                                kernel_initializer="identity", recurrent_initializer="zeros",
                                return_sequences=True, seed=0)
    x = rng.uniform(1, 2, (B, T, F)).astype(np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x, rtol=1e-6)  # inference: no dropout
    ratio = layer(x, training=True).numpy() / x
    assert set(np.unique(np.round(ratio, 5))) <= {0.0, 2.0} and (ratio == 0).any()
    np.testing.assert_array_equal(ratio, np.broadcast_to(ratio[:, :1], ratio.shape))


def test_lstm_weights_follow_keras_layout():
    layer = em.layers.LSTM(4)
    layer(np.zeros((1, 2, 3), dtype=np.float32))
    assert [w.path for w in layer.weights] == ["lstm/kernel", "lstm/recurrent_kernel",
                                               "lstm/bias"]
    assert [w.shape for w in layer.weights] == [(3, 16), (4, 16), (16,)]
    np.testing.assert_array_equal(layer.bias.numpy(), [0] * 4 + [1] * 4 + [0] * 8)
    gru_ = em.layers.GRU(4)
    gru_(np.zeros((1, 2, 3), dtype=np.float32))
    assert gru_.bias.shape == (2, 12)
    old = em.layers.GRU(4, reset_after=False)
    old(np.zeros((1, 2, 3), dtype=np.float32))
    assert old.bias.shape == (12,)
    r = layer.recurrent_kernel.numpy()  # Keras' orthogonal init: orthonormal rows
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_config_round_trip_and_output_shapes(kind):
    layer = LAYERS[kind](5, return_sequences=True, go_backwards=True, dropout=0.1)
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 5)
    layer.return_state = True
    n = 2 if kind == "lstm" else 1
    assert layer.compute_output_shape((8, None, 3)) == [(8, None, 5)] + [(8, 5)] * n
    out = em.layers.deserialize(em.layers.serialize(again))
    assert type(out) is type(layer) and out.units == 5


def test_time_axis_may_change_between_calls(rng):
    layer = em.layers.GRU(3)
    assert layer(rng.standard_normal((2, 4, F))).shape == (2, 3)
    assert layer(rng.standard_normal((2, 9, F))).shape == (2, 3)


def test_clear_errors():
    layer = em.layers.LSTM(8, name="lstm")
    with pytest.raises(ValueError, match=r"LSTM 'lstm' expects \(batch, timesteps, features\); "
                                         r"got \(32, 28\)"):
        layer(np.zeros((32, 28), dtype=np.float32))
    layer(np.zeros((2, 3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"LSTM 'lstm' expects \(batch, timesteps, features\); "
                                         r"got \(32, 28\)"):
        layer(np.zeros((32, 28), dtype=np.float32))
    with pytest.raises(ValueError, match="built for inputs with 4 features; got 5"):
        layer(np.zeros((2, 3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        em.layers.GRU(0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        em.layers.SimpleRNN(3, dropout=1.5)
    stateful = em.layers.LSTM(3, stateful=True)  # supported: test_layers_rnn_cells.py
    stateful(np.zeros((2, 3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="stateful and carries states for batches of 2"):
        stateful(np.zeros((3, 3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="initial_state must hold 2"):
        layer(np.zeros((2, 3, 4), dtype=np.float32), initial_state=[np.zeros((2, 8))])
    with pytest.raises(ValueError, match="kernel must be"):
        lstm(np.zeros((2, 3, 4)), np.zeros((5, 8)), np.zeros((2, 8)))
