"""Every fast kernel of ``ember.kernels`` gives its reference op's values and gradients.

The cases are keyed by the op each kernel replaces, and the test iterates the registry: a new
kernel without cases here fails ``test_every_registered_kernel_has_cases``. Each case runs
the op on the fast path and on the reference path over float32 and float64 and over memory
layouts (contiguous, strided views, transposed views), and compares the outputs and the
gradient of every input.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.kernels import registry
from ember.ops import conv as conv_ops
from ember.ops import pool as pool_ops
from ember.ops import recurrent as rnn_ops
from ember.ops.linear import linear

LAYOUTS = ("contiguous", "strided", "transposed")
DTYPES = (np.float32, np.float64)


def _array(rng: np.random.Generator, shape: tuple, dtype, layout: str, scale: float = 1.0):
    """A float array of ``shape`` laid out as asked (same values whatever the layout)."""
    a = (rng.standard_normal(shape) * scale).astype(dtype)
    if layout == "strided" and a.ndim:
        wide = np.zeros(shape[:-1] + (2 * shape[-1],), dtype)
        wide[..., ::2] = a
        return wide[..., ::2]
    if layout == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    return a


def _tensor(a, grad: bool = True) -> em.Tensor:
    return em.from_numpy(a).requires_grad_(grad) if grad else em.from_numpy(a)


# --------------------------------------------------------------------------- the cases
# Each case: (id, build) where build(rng, dtype, layout) -> (fn, inputs); fn(*inputs) returns a
# Tensor or a tuple of Tensors. Gradients are compared for every input that requires one.

def _conv2d(x_shape, k_shape, bias=True, activation=None, **kw):
    def build(rng, dtype, layout):
        x = _tensor(_array(rng, x_shape, dtype, layout))
        k = _tensor(_array(rng, k_shape, dtype, layout, 0.3))
        inputs = [x, k] + ([_tensor(_array(rng, k_shape[-1:], dtype, "contiguous"))]
                           if bias else [])
        return (lambda x, k, b=None: conv_ops.conv2d(x, k, b, activation=activation, **kw)), \
            inputs
    return build


def _conv1d(x_shape, k_shape, activation=None, **kw):
    def build(rng, dtype, layout):
        x = _tensor(_array(rng, x_shape, dtype, layout))
        k = _tensor(_array(rng, k_shape, dtype, layout, 0.3))
        b = _tensor(_array(rng, k_shape[-1:], dtype, "contiguous"))
        return (lambda x, k, b: conv_ops.conv1d(x, k, b, activation=activation, **kw)), \
            [x, k, b]
    return build


def _linear(x_shape, n_out, activation=None, bias=True):
    def build(rng, dtype, layout):
        x = _tensor(_array(rng, x_shape, dtype, layout))
        k = _tensor(_array(rng, (x_shape[-1], n_out), dtype, layout))
        inputs = [x, k] + ([_tensor(_array(rng, (n_out,), dtype, "contiguous"))]
                           if bias else [])
        return (lambda x, k, b=None: linear(x, k, b, activation=activation)), inputs
    return build


def _pool(fn, x_shape, ties=False, **kw):
    def build(rng, dtype, layout):
        a = _array(rng, x_shape, dtype, layout)
        if ties:  # a relu'd input: whole windows of zeros, ties everywhere
            a = np.maximum(a, 0) if layout == "contiguous" else np.maximum(a, 0, out=a)
            a[..., : x_shape[-1] // 2] = 0
        return (lambda x: fn(x, **kw)), [_tensor(a)]
    return build


def _rnn(kind, mask=False, initial=False, rdrop=False, **kw):
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    fn = getattr(rnn_ops, kind)

    def build(rng, dtype, layout):
        B, T, F, U = 3, 5, 4, 6
        x = _tensor(_array(rng, (B, T, F), dtype, layout))
        W = _tensor(_array(rng, (F, gates * U), dtype, layout, 0.4))
        R = _tensor(_array(rng, (U, gates * U), dtype, layout, 0.4))
        bshape = (2, 3 * U) if kind == "gru" and kw.get("reset_after", True) else (gates * U,)
        b = _tensor(_array(rng, bshape, dtype, "contiguous", 0.2))
        inputs = [x, W, R, b]
        n_states = 2 if kind == "lstm" else 1
        if initial:
            inputs += [_tensor(_array(rng, (B, U), dtype, "contiguous"))
                       for _ in range(n_states)]
        m = None
        if mask:
            m = np.ones((B, T), bool)
            m[0, 3:] = False
            m[1, 0] = False
        rm = (rng.random((B, U)) > 0.3).astype(dtype) / 0.7 if rdrop else None

        def run(x, W, R, b, *states):
            return fn(x, W, R, b, initial_state=list(states) or None, mask=m,
                      recurrent_dropout_mask=rm, return_state=True, **kw)
        return run, inputs
    return build


CASES = {
    "conv2d": [
        ("3x3 same, 3 channels", _conv2d((2, 7, 7, 3), (3, 3, 3, 4), padding="same")),
        ("3x3 valid, 9 channels", _conv2d((2, 6, 6, 9), (3, 3, 9, 5))),
        ("1 channel, relu", _conv2d((2, 8, 8, 1), (3, 3, 1, 4), activation="relu")),
        ("10 channels, relu, no bias", _conv2d((2, 6, 6, 10), (3, 3, 10, 3), bias=False,
                                               activation=em.activations.relu)),
        ("stride 2, dilation 1", _conv2d((2, 9, 9, 2), (3, 3, 2, 3), strides=2)),
        ("dilation 2, sigmoid", _conv2d((1, 9, 9, 4), (2, 2, 4, 3), dilation=2,
                                        activation="sigmoid")),
        ("1x1 kernel (patches are x)", _conv2d((2, 4, 4, 8), (1, 1, 8, 3))),
        ("1x1 kernel, few channels", _conv2d((2, 4, 4, 3), (1, 1, 3, 2), activation="relu")),
        ("conv1d causal", _conv1d((2, 9, 3), (3, 3, 5), padding="causal")),
        ("conv1d same relu, 12 channels", _conv1d((2, 8, 12), (2, 12, 4), padding="same",
                                                  activation="relu")),
    ],
    "linear": [
        ("2-D", _linear((5, 4), 3)),
        ("2-D relu", _linear((6, 7), 5, "relu")),
        ("3-D relu, no bias", _linear((2, 3, 4), 6, em.relu, bias=False)),
        ("1-D input", _linear((4,), 3, em.nn.functional.relu)),
        ("tanh (not fused)", _linear((5, 4), 3, "tanh")),
    ],
    "max_pool2d": [
        ("2x2 tiling", _pool(pool_ops.max_pool2d, (2, 6, 6, 3))),
        ("2x2 tiling with ties", _pool(pool_ops.max_pool2d, (2, 6, 6, 4), ties=True)),
        ("2x2 on 7x7 (a row left out)", _pool(pool_ops.max_pool2d, (2, 7, 7, 3), ties=True)),
        ("3x3 stride 2 (overlap)", _pool(pool_ops.max_pool2d, (2, 9, 9, 2), pool_size=3,
                                         strides=2)),
        ("3x3 stride 2 with ties", _pool(pool_ops.max_pool2d, (2, 9, 9, 4), ties=True,
                                         pool_size=3, strides=2)),
        ("2x2 same padding", _pool(pool_ops.max_pool2d, (2, 5, 5, 3), padding="same")),
        ("stride 3 > pool 2 (gaps)", _pool(pool_ops.max_pool2d, (1, 8, 8, 2), strides=3)),
        ("1-D", _pool(pool_ops.max_pool1d, (2, 9, 3), ties=True)),
    ],
    "simple_rnn": [
        ("plain", _rnn("simple_rnn", return_sequences=True)),
        ("mask, backwards, initial state", _rnn("simple_rnn", mask=True, initial=True,
                                                go_backwards=True)),
        ("relu, recurrent dropout", _rnn("simple_rnn", rdrop=True, activation="relu",
                                         return_sequences=True)),
        ("zero output for mask", _rnn("simple_rnn", mask=True, return_sequences=True,
                                      zero_output_for_mask=True)),
    ],
    "lstm": [
        ("plain", _rnn("lstm", return_sequences=True)),
        ("mask, backwards, initial state", _rnn("lstm", mask=True, initial=True,
                                                go_backwards=True, return_sequences=True)),
        ("recurrent dropout", _rnn("lstm", rdrop=True)),
        ("relu / linear activations", _rnn("lstm", activation="relu",
                                           recurrent_activation="linear", mask=True)),
    ],
    "gru": [
        ("reset after", _rnn("gru", return_sequences=True)),
        ("reset before", _rnn("gru", reset_after=False, return_sequences=True)),
        ("mask, backwards, initial state", _rnn("gru", mask=True, initial=True,
                                                go_backwards=True)),
        ("reset before, dropout, mask", _rnn("gru", reset_after=False, rdrop=True,
                                             mask=True, return_sequences=True)),
        ("relu", _rnn("gru", activation="relu", zero_output_for_mask=True, mask=True,
                      return_sequences=True)),
    ],
}


def _optimizer_steps(shape, make):
    """Three steps of the optimizer ``make()`` on a parameter laid out as asked."""
    def build(rng, dtype, layout):
        w = _tensor(_array(rng, shape, dtype, layout))
        grads = [_array(rng, shape, dtype, "contiguous") for _ in range(3)]

        def fn(w):
            opt = make()
            for g in grads:
                w.grad = em.from_numpy(g.copy())
                opt.step([w])
            w.grad = None
            return w * 1.0
        return fn, [w]
    return build


def _adam(shape, **kw):
    """Three Adam steps on a parameter laid out as asked (a strided one takes the reference)."""
    return _optimizer_steps(shape, lambda: em.optimizers.Adam(0.01, **kw))


def _dense_stack(hidden_act="relu", last="softmax", loss="sparse_categorical_crossentropy"):
    """A Dense stack trained for a few steps (the captured step, or the layers), then its
    output and input gradient through the layers."""
    def build(rng, dtype, layout):
        x = _tensor(_array(rng, (40, 3, 4), dtype, layout))
        y = rng.integers(0, 5, 40)

        def fn(x):
            em.utils.set_random_seed(0)
            layers = [em.layers.Input(shape=(3, 4)), em.layers.Flatten(),
                      em.layers.Dense(6, activation=hidden_act, dtype=np.dtype(dtype).name),
                      em.layers.Dense(5, activation=last, dtype=np.dtype(dtype).name)]
            model = em.Sequential(layers)
            model.compile(optimizer="adam", loss=loss)
            model.fit(x.numpy(), y, batch_size=16, epochs=2, verbose=0)
            return model(x)
        return fn, [x]
    return build


CASES["dense_chain"] = [
    ("relu + softmax, sparse labels", _dense_stack()),
    ("linear layers, from logits", _dense_stack(
        None, None, em.losses.SparseCategoricalCrossentropy(from_logits=True))),
]

# A kernel that needs an optional library (numba) is registered only where it is installed.
CASES["adam_update"] = [
    ("matrix", _adam((7, 5))),
    ("vector, epsilon 1e-3", _adam((11,), epsilon=1e-3)),
    ("large beta_1", _adam((3, 4, 2), beta_1=0.99, beta_2=0.9)),
]
CASES["sgd_update"] = [
    ("momentum", _optimizer_steps((7, 5), lambda: em.optimizers.SGD(0.1, momentum=0.9))),
    ("nesterov", _optimizer_steps((11,), lambda: em.optimizers.SGD(0.1, 0.5, nesterov=True))),
    ("plain", _optimizer_steps((3, 4, 2), lambda: em.optimizers.SGD(0.05))),
]
CASES["rmsprop_update"] = [
    ("plain", _optimizer_steps((7, 5), lambda: em.optimizers.RMSprop(0.01))),
    ("centered, momentum", _optimizer_steps(
        (11,), lambda: em.optimizers.RMSprop(0.01, momentum=0.9, centered=True))),
]
CASES["max_pool2d_tiles"] = [
    ("2x2 after relu (ties)", _pool(pool_ops.max_pool2d, (2, 8, 8, 3), ties=True)),
    ("3x3 tiles, cells left over", _pool(pool_ops.max_pool2d, (2, 10, 10, 2), pool_size=3)),
]
_OPTIONAL = {"adam_update": "numba", "max_pool2d_tiles": "numba", "sgd_update": "numba",
             "rmsprop_update": "numba"}


def _needs(op: str) -> None:
    if op in _OPTIONAL and op not in registry.registered():
        pytest.skip(f"the {op} kernel needs {_OPTIONAL[op]} (pip install 'ember[fast]')")


_PARAMS = [pytest.param(op, build, dtype, layout,
                        id=f"{op}-{name}-{np.dtype(dtype).name}-{layout}")
           for op, cases in CASES.items() for name, build in cases
           for dtype in DTYPES for layout in LAYOUTS]


def _run(op: str, build, dtype, layout, reference: bool) -> list:
    fn, inputs = build(np.random.default_rng(7), dtype, layout)
    with registry.reference(op if reference else []):
        assert registry.selected(op) == ("reference" if reference else "fast")
        out = fn(*inputs)
        outs = list(out) if isinstance(out, tuple) else [out]
        rng = np.random.default_rng(3)
        loss = None
        for o in outs:
            term = (o * em.tensor(rng.standard_normal(o.shape).astype(dtype))).sum()
            loss = term if loss is None else loss + term
        loss.backward()
    results = [o.numpy().copy() for o in outs]
    for i, t in enumerate(inputs):
        assert t.grad is not None, f"input {i} got no gradient"
        results.append(t.grad.numpy().copy())
    assert all(o.dtype == dtype for o in outs), "the output's dtype changed"
    return results


def test_every_registered_kernel_has_cases():
    missing = sorted(set(registry.registered()) - set(CASES))
    assert not missing, f"no fast == reference cases for the kernels of {missing}: add some"


@pytest.mark.parametrize("op, build, dtype, layout", _PARAMS)
def test_fast_kernel_matches_the_reference(op, build, dtype, layout):
    _needs(op)
    fast = _run(op, build, dtype, layout, reference=False)
    ref = _run(op, build, dtype, layout, reference=True)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert len(fast) == len(ref)
    for i, (a, b) in enumerate(zip(fast, ref)):
        assert a.shape == b.shape, f"result {i}: shape {a.shape} vs {b.shape}"
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"result {i}")


# --------------------------------------------------------------------------- the switch
@pytest.mark.parametrize("op", sorted(CASES))
def test_the_fast_kernel_is_what_the_op_runs_by_default(op, monkeypatch):
    """The registry selects the kernel and the op really calls it (and not under reference)."""
    _needs(op)
    kernel = registry.registered()[op]
    calls = []

    def spy(*args, **kwargs):
        calls.append(op)
        return kernel.fn(*args, **kwargs)

    monkeypatch.setitem(registry._TABLE, op, registry.Kernel(op, spy, kernel.module))
    assert registry.selected(op) == "fast"
    fn, inputs = CASES[op][0][1](np.random.default_rng(0), np.float64, "contiguous")
    out = fn(*inputs)
    (out[0] if isinstance(out, tuple) else out).sum().backward()
    assert calls, f"{op} did not run its fast kernel by default"
    calls.clear()
    with em.kernels.reference():
        fn(*inputs)
    assert not calls
