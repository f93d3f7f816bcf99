"""Core layers against PyTorch (float32) and finite differences (float64): Dense and the
fused linear op, Activation, Flatten, Reshape, Permute, Dropout, Lambda."""

import contextlib

import numpy as np
import pytest

import ember as em
from ember.ops.linear import linear


@contextlib.contextmanager
def weights_as(layer, **tensors):
    """Let the layer compute with the given tensors in place of its weights (for gradcheck,
    which differentiates with respect to its own float64 copies)."""
    saved = {name: layer.__dict__[name] for name in tensors}
    try:
        for name, t in tensors.items():
            object.__setattr__(layer, name, t)
        yield layer
    finally:
        for name, t in saved.items():
            object.__setattr__(layer, name, t)


def _rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ Dense
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
@pytest.mark.parametrize("activation", [None, "relu", "tanh"])
def test_dense_matches_torch_linear(shape, activation):
    torch = pytest.importorskip("torch")
    x_np = _rng().standard_normal(shape).astype(np.float32)
    dense = em.layers.Dense(3, activation=activation)
    x = em.tensor(x_np, requires_grad=True)
    out = dense(x)
    lin = torch.nn.Linear(4, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(dense.kernel.numpy().T))  # Keras stores (in, out)
        lin.bias.copy_(torch.tensor(dense.bias.numpy()))
    tx = torch.tensor(x_np, requires_grad=True)
    tout = lin(tx)
    tout = {None: tout, "relu": torch.relu(tout), "tanh": torch.tanh(tout)}[activation]
    assert out.dtype == np.float32 and out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=1e-5, rtol=1e-4)
    w = _rng(1).standard_normal(out.shape).astype(np.float32)
    (out * em.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(dense.kernel.grad.numpy(), lin.weight.grad.numpy().T,
                               atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(dense.bias.grad.numpy(), lin.bias.grad.numpy(), atol=1e-4,
                               rtol=1e-4)


@pytest.mark.parametrize("shape", [(3, 4), (2, 2, 4), (4,)])
def test_dense_finite_differences_float64(shape):
    em.set_floatx("float64")
    dense = em.layers.Dense(2, activation="tanh")
    dense.build((None, 4))
    assert dense.kernel.dtype == np.float64

    def f(x, k, b):
        with weights_as(dense, kernel=k, bias=b):
            return dense.call(x)

    em.gradcheck(f, [_rng().standard_normal(shape), dense.kernel, dense.bias])


def test_linear_second_derivatives():
    x, k, b = (_rng(i).standard_normal(s) for i, s in enumerate([(3, 4), (4, 2), (2,)]))
    em.gradgradcheck(lambda x, k, b: linear(x, k, b).tanh(), [x, k, b])
    em.gradgradcheck(lambda x, k: linear(x, k) ** 2, [_rng().standard_normal((2, 3, 4)), k])


def test_linear_skips_the_input_gradient_for_data():
    k = em.randn(4, 3, requires_grad=True)
    out = linear(em.randn(5, 4), k, em.zeros(3))
    grads = out._node.backward(em.ones(out.shape))
    assert grads[0] is None and grads[1].shape == (4, 3) and grads[2] is None


def test_linear_shape_error():
    with pytest.raises(ValueError, match=r"linear: inputs of shape \(2, 5\) do not fit a kernel "
                                         r"of shape \(4, 3\)"):
        linear(em.ones((2, 5)), em.ones((4, 3)))


def test_dense_options_and_shapes():
    dense = em.layers.Dense(6, use_bias=False, kernel_initializer="zeros")
    y = dense(np.ones((2, 5, 4)))
    assert y.shape == (2, 5, 6) and [w.name for w in dense.weights] == ["kernel"]
    assert float(np.abs(y.numpy()).sum()) == 0.0
    assert dense.compute_output_shape((None, 5, 4)) == (None, 5, 6)
    for bad in (0, -3, 2.5, "8"):
        with pytest.raises(ValueError, match="units must be a positive integer"):
            em.layers.Dense(bad)
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        em.layers.Dense(3, activation="rleu")


# ------------------------------------------------------------------ Activation
def test_activation_layer():
    x = em.tensor([[-1.0, 0.5, 2.0]])
    np.testing.assert_allclose(em.layers.Activation("relu")(x).numpy(), [[0.0, 0.5, 2.0]])
    soft = em.layers.Activation("softmax")
    np.testing.assert_allclose(soft(x).numpy().sum(), 1.0, rtol=1e-6)
    clone = em.layers.deserialize(em.layers.serialize(soft))
    assert clone.activation is soft.activation
    assert soft.compute_output_shape((None, 3)) == (None, 3)


# ------------------------------------------------------------------ Flatten, Reshape, Permute
def test_flatten_keeps_the_batch_axis():
    x = _rng().standard_normal((2, 3, 4, 5)).astype(np.float32)
    flat = em.layers.Flatten()
    np.testing.assert_array_equal(flat(x).numpy(), x.reshape(2, -1))
    assert em.layers.Flatten()(np.ones(4)).shape == (4, 1)
    assert em.layers.Flatten()(np.ones((0, 3, 2))).shape == (0, 6)
    first = em.layers.Flatten(data_format="channels_first")
    np.testing.assert_array_equal(first(x).numpy(), x.transpose(0, 2, 3, 1).reshape(2, -1))
    assert flat.compute_output_shape((None, 28, 28)) == (None, 784)
    assert flat.compute_output_shape((None, None, 3)) == (None, None)
    with pytest.raises(ValueError, match="data_format"):
        em.layers.Flatten(data_format="nchw")


def test_reshape_layer():
    x = em.tensor(np.arange(24.0).reshape(2, 12), requires_grad=True)
    layer = em.layers.Reshape((3, -1))
    y = layer(x)
    assert y.shape == (2, 3, 4)
    assert layer.compute_output_shape((None, 12)) == (None, 3, 4)
    assert layer.compute_output_shape((None, None)) == (None, 3, None)
    y.sum().backward()
    assert x.grad.shape == (2, 12)
    with pytest.raises(ValueError, match=r"Reshape 'reshape.*': cannot reshape samples of shape "
                                         r"\(12,\)"):
        em.layers.Reshape((5, 5))(x)
    with pytest.raises(ValueError, match="at most one -1"):
        em.layers.Reshape((-1, -1))


def test_permute_is_one_based_and_differentiable():
    x = _rng().standard_normal((2, 3, 4, 5))
    layer = em.layers.Permute((3, 1, 2))
    np.testing.assert_array_equal(layer(x).numpy(), x.transpose(0, 3, 1, 2).astype(np.float32))
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 5, 3, 4)
    em.gradcheck(lambda t: em.layers.Permute((2, 1)).call(t), [_rng().standard_normal((2, 3, 4))])
    with pytest.raises(ValueError, match="permutation of 1..2"):
        em.layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"expects \(batch, axis1, axis2\); got \(2, 3, 4, 5\)"):
        em.layers.Permute((2, 1))(x)


# ------------------------------------------------------------------ Dropout
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5"])
def test_dropout_rate_is_validated(rate):
    with pytest.raises(ValueError, match=r"Dropout: rate .* must be in \[0, 1\)"):
        em.layers.Dropout(rate)


def test_dropout_statistics_and_gradient():
    layer = em.layers.Dropout(0.3)
    x = em.ones((200, 100), requires_grad=True)
    y = layer(x, training=True)
    values = y.numpy()
    dropped = (values == 0).mean()
    assert abs(dropped - 0.3) < 0.02
    np.testing.assert_allclose(values[values != 0], 1 / 0.7, rtol=1e-6)
    assert abs(values.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)


def test_dropout_is_the_identity_at_inference():
    layer = em.layers.Dropout(0.5)
    x = em.randn(4, 5)
    assert layer(x) is x and layer(x, training=False) is x
    assert em.layers.Dropout(0.0)(x, training=True) is x


def test_dropout_noise_shape_and_seed():
    x = em.ones((4, 6, 3))
    y = em.layers.Dropout(0.5, noise_shape=(None, 1, 3))(x, training=True).numpy()
    assert (y == y[:, :1, :]).all()  # one draw shared along the time axis
    a = em.layers.Dropout(0.5, seed=7)(x, training=True).numpy()
    b = em.layers.Dropout(0.5, seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="noise_shape"):
        em.layers.Dropout(0.5, noise_shape=(1, 3))(x, training=True)


# ------------------------------------------------------------------ Lambda
def test_lambda_layer_runs_but_does_not_save():
    layer = em.layers.Lambda(lambda t, power: t ** power, arguments={"power": 2})
    np.testing.assert_allclose(layer(em.tensor([[3.0]])).numpy(), [[9.0]])
    assert layer.compute_output_shape((None, 4)) == (None, 4)
    with pytest.raises(NotImplementedError, match="does not save"):
        layer.get_config()


# ------------------------------------------------------------------ config round trips
@pytest.mark.parametrize("layer", [
    lambda: em.layers.Dense(4, activation="softmax", name="probs"),
    lambda: em.layers.Activation("gelu"),
    lambda: em.layers.Flatten(input_shape=(28, 28)),
    lambda: em.layers.Reshape((7, -1)),
    lambda: em.layers.Permute((2, 1)),
    lambda: em.layers.Dropout(0.25, noise_shape=(None, 1), seed=3),
], ids=["dense", "activation", "flatten", "reshape", "permute", "dropout"])
def test_core_config_round_trip(layer):
    import json

    original = layer()
    config = json.loads(json.dumps(em.layers.serialize(original)))  # survives JSON
    clone = em.layers.deserialize(config)
    assert type(clone) is type(original)
    assert clone.get_config() == original.get_config()


def test_dense_relu_is_one_fused_node_with_exact_first_and_second_derivatives():

    layer = em.layers.Dense(5, activation="relu")
    out = layer(em.randn(4, 3, requires_grad=True))
    assert out.grad_fn == "linear_relu"
    x = np.random.default_rng(0).standard_normal((4, 3))
    w = np.random.default_rng(1).standard_normal((3, 5))
    b = np.random.default_rng(2).standard_normal(5)
    em.gradcheck(lambda x, w, b: linear(x, w, b, relu=True), [x, w, b])
    em.gradgradcheck(lambda x, w, b: linear(x, w, b, relu=True) ** 2, [x, w, b])
    ref = np.maximum(x @ w + b, 0)
    np.testing.assert_allclose(linear(em.tensor(x), em.tensor(w), em.tensor(b), relu=True)
                               .numpy(), ref, rtol=1e-12)
