"""Property: for random mutually broadcastable shapes (size-0 and size-1 axes included), each
input's gradient has that input's shape and equals PyTorch's."""

import numpy as np
import pytest

import ember as em

hypothesis = pytest.importorskip("hypothesis")
torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402

OPS = {
    "add": (lambda a, b: a + b, torch.add),
    "sub": (lambda a, b: a - b, torch.sub),
    "mul": (lambda a, b: a * b, torch.mul),
    "div": (lambda a, b: a / b, torch.div),
    "maximum": (em.maximum, torch.maximum),
    "minimum": (em.minimum, torch.minimum),
}

SETTINGS = settings(max_examples=25, deadline=None, database=None, derandomize=True)


def _values(shape, rng, positive=False):
    a = rng.uniform(0.5, 2.0, size=shape) * (1 if positive else rng.choice([-1, 1], size=shape))
    return a.astype(np.float32)


def _compare(ember_fn, torch_fn, arrays, grad_idx):
    xs = [em.tensor(a, requires_grad=i in grad_idx) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i in grad_idx) for i, a in enumerate(arrays)]
    out, tout = ember_fn(*xs), torch_fn(*ts)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-6, atol=1e-6)
    w = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    (out * em.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for i in grad_idx:
        assert xs[i].grad.shape == arrays[i].shape and xs[i].grad.dtype == np.float32
        np.testing.assert_allclose(xs[i].grad.numpy(), ts[i].grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPS))
@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0,
                                            max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_broadcast_gradients_match_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    arrays = [_values(a_shape, rng), _values(b_shape, rng, positive=name == "div")]
    _compare(*OPS[name], arrays, grad_idx=[0, 1])


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=0,
                                            max_side=3),
       seed=st.integers(0, 2**16))
def test_where_broadcast_gradients_match_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    c_shape, x_shape, y_shape = shapes.input_shapes
    cond = rng.random(c_shape) > 0.5
    arrays = [cond, _values(x_shape, rng), _values(y_shape, rng)]
    _compare(em.where, torch.where, arrays, grad_idx=[1, 2])


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_one_side_constant_gets_no_gradient(shapes, seed):
    rng = np.random.default_rng(seed)
    a = em.tensor(_values(shapes.input_shapes[0], rng), requires_grad=True)
    b = em.tensor(_values(shapes.input_shapes[1], rng))
    (a * b + b).sum().backward()
    assert b.grad is None and a.grad.shape == a.shape
