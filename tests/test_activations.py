"""Activations against PyTorch and finite differences; get / serialize by name."""

import numpy as np
import pytest

import ember as em
from ember import activations as A
from oracle import check_op, make_inputs

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _away(a, kinks, gap=0.1):
    """Move values closer than ``gap`` to a kink (finite differences need smoothness)."""
    for k in kinks:
        close = np.abs(a - k) < gap
        a[close] = k + 2 * gap
    return a


SMOOTH = {
    "elu": (A.elu, TF.elu),
    "selu": (A.selu, TF.selu),
    "gelu": (A.gelu, TF.gelu),
    "gelu_tanh": (lambda x: A.gelu(x, approximate=True),
                  lambda x: TF.gelu(x, approximate="tanh")),
    "sigmoid": (A.sigmoid, torch.sigmoid),
    "tanh": (A.tanh, torch.tanh),
    "softplus": (A.softplus, TF.softplus),
    "softsign": (A.softsign, TF.softsign),
    "silu": (A.silu, TF.silu),
    "swish": (A.swish, TF.silu),
    "mish": (A.mish, TF.mish),
    "exponential": (A.exponential, torch.exp),
    "softmax": (A.softmax, lambda x: torch.softmax(x, -1)),
    "softmax_axis0": (lambda x: A.softmax(x, axis=0), lambda x: torch.softmax(x, 0)),
    "log_softmax": (A.log_softmax, lambda x: torch.log_softmax(x, -1)),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_smooth_activation_matches_torch_and_finite_differences(name):
    fn, tfn = SMOOTH[name]
    inputs = [_away(make_inputs([(4, 5)], low=-4, high=4)[0], [0.0])]
    check_op(fn, torch_fn=tfn, inputs=inputs)


KINKED = {
    "relu": (A.relu, TF.relu, [0.0]),
    "leaky_relu": (A.leaky_relu, lambda x: TF.leaky_relu(x, 0.2), [0.0]),
    "relu6": (A.relu6, TF.relu6, [0.0, 6.0]),
    "hard_sigmoid": (A.hard_sigmoid, TF.hardsigmoid, [-3.0, 3.0]),
    "hard_silu": (A.hard_silu, TF.hardswish, [-3.0, 3.0]),
    "hard_swish": (A.hard_swish, TF.hardswish, [-3.0, 3.0]),
}


@pytest.mark.parametrize("name", sorted(KINKED))
def test_piecewise_activation_matches_torch_and_finite_differences(name):
    fn, tfn, kinks = KINKED[name]
    inputs = [_away(make_inputs([(6, 7)], low=-8, high=8)[0], kinks)]
    check_op(fn, torch_fn=tfn, inputs=inputs)


def test_linear_is_identity_and_default():
    x = em.randn(3)
    assert A.linear(x) is x
    assert A.get(None) is A.linear


def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's formula, in NumPy."""
    y = np.where(x > threshold, x, 0.0) if threshold != 0 else np.maximum(x, 0)
    if max_value is not None:
        y = np.clip(y, 0, max_value)
    if negative_slope:
        y = y - negative_slope * np.maximum(threshold - x, 0)
    return y


@pytest.mark.parametrize("kw", [{}, {"negative_slope": 0.3}, {"max_value": 2.5},
                                {"threshold": 1.0}, {"threshold": -1.0},
                                {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.5}])
def test_relu_options_follow_keras(kw):
    x = _away(make_inputs([(50,)], low=-8, high=8)[0], [0.0, 1.0, -1.0, 0.5, 2.5, 6.0])
    out = A.relu(em.tensor(x), **kw)
    np.testing.assert_allclose(out.numpy(), _keras_relu(x, **kw), rtol=1e-6, atol=1e-6)
    em.gradcheck(lambda t: A.relu(t, **kw), [x])


def test_relu_keras_docstring_examples():
    x = em.tensor([-10.0, -5.0, 0.0, 5.0, 10.0])
    assert A.relu(x).tolist() == [0, 0, 0, 5, 10]
    assert A.relu(x, negative_slope=0.5).tolist() == [-5, -2.5, 0, 5, 10]
    assert A.relu(x, max_value=5.0).tolist() == [0, 0, 0, 5, 5]
    assert A.relu(x, threshold=5.0).tolist() == [0, 0, 0, 0, 10]


def test_hard_sigmoid_is_keras3_formula():
    x = np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0], dtype=np.float32)
    np.testing.assert_allclose(A.hard_sigmoid(em.tensor(x)).numpy(),
                               np.clip(x / 6 + 0.5, 0, 1), atol=1e-7)


def test_softsign_and_hard_sigmoid_keep_float32_and_softsign_has_second_derivative():
    x = em.randn(5)
    for fn in (A.softsign, A.hard_sigmoid, A.relu6, A.mish):
        assert fn(x).dtype == np.float32
    em.gradgradcheck(lambda t: A.softsign(t).sum(), [np.array([-2.0, -0.3, 0.4, 3.0])])


def test_softmax_and_sigmoid_outputs_carry_no_side_channel():
    """A loss gets logits from compile's (activation, loss) pair, not from a Tensor slot."""
    z = em.randn(2, 3)
    assert "_logits" not in em.Tensor.__slots__
    for out in (A.softmax(z), A.sigmoid(z)):
        assert not hasattr(out, "_logits")


def test_extreme_inputs_stay_finite():
    x = em.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    for fn in (A.sigmoid, A.softplus, A.elu, A.selu, A.silu, A.mish, A.softsign, A.gelu,
               A.tanh, A.hard_sigmoid, A.softmax, A.log_softmax):
        x.grad = None
        y = fn(x)
        y.sum().backward()
        assert np.isfinite(y.numpy()).all(), fn.__name__
        assert np.isfinite(x.grad.numpy()).all(), fn.__name__


@pytest.mark.parametrize("name", A.names())
def test_get_by_name_and_serialize_round_trip(name):
    fn = A.get(name)
    assert callable(fn)
    assert A.deserialize(A.serialize(fn)) is fn
    x = em.tensor([[0.5, -1.0]])
    kwargs = {"threshold": 0.0, "default_value": 0.0} if name == "threshold" else {}
    # glu halves the last axis (and says so); the others keep the shape
    expect = fn.output_shape(x.shape) if hasattr(fn, "output_shape") else x.shape
    assert fn(x, **kwargs).shape == expect


def test_get_aliases_case_and_callables():
    assert A.get("swish") is A.silu and A.get("hard_swish") is A.hard_silu
    assert A.get("ReLU") is A.relu
    assert A.serialize(A.get("swish")) == "silu"

    def custom(x):
        return x * 2

    assert A.get(custom) is custom


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Did you mean 'relu'.*Valid names:.*sigmoid"):
        A.get("reluu")
    with pytest.raises(TypeError, match="activation must be"):
        A.get(3)


def test_serialize_unregistered_function_says_how_to_register():
    with pytest.raises(ValueError, match="register_serializable"):
        A.serialize(lambda x: x)


def test_registered_custom_activation_round_trips():
    @em.serialization.register_serializable(package="test_act")
    def doubled(x):
        return x * 2

    name = A.serialize(doubled)
    assert name == "test_act>doubled"
    assert A.get(name) is doubled


def test_get_from_a_serialized_dict():
    assert A.get({"class_name": "function", "config": "tanh"}) is A.tanh
    assert A.get({"class_name": "gelu", "config": {}}) is A.gelu
