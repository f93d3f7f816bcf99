"""Elementwise ops against PyTorch and finite differences (one line per case)."""

import numpy as np
import pytest

import ember as em
from oracle import check_op, make_inputs, non_contiguous

torch = pytest.importorskip("torch")
F = torch.nn.functional

BROADCAST = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 4), (3, 1)], [(1,), (5,)], [(), (2, 3)],
             [(0, 3), (3,)], [(2, 0), (1, 1)], [(4, 1), (1, 3)]]


@pytest.mark.parametrize("shapes", BROADCAST)
@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b],
                         ids=["add", "sub", "mul"])
def test_arithmetic(fn, shapes):
    check_op(fn, shapes)


@pytest.mark.parametrize("fn", [em.add, em.sub, em.mul, em.div, em.maximum, em.minimum],
                         ids=lambda f: f.__name__)
def test_binary_functions_on_non_contiguous_inputs(fn):
    tfn = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
           "maximum": torch.maximum, "minimum": torch.minimum}[fn.__name__]
    check_op(fn, [(3, 4), (3, 4)], torch_fn=tfn, noncontig=True, positive=True)


@pytest.mark.parametrize("shapes", BROADCAST)
def test_div(shapes):
    check_op(lambda a, b: a / b, shapes, positive=True)


@pytest.mark.parametrize("fn", [lambda x: 2.0 - x, lambda x: 2.0 / x, lambda x: 2.0 ** x,
                                lambda x: 1.5 + x, lambda x: 3 * x, lambda x: x / 4,
                                lambda x: x ** 2, lambda x: x ** 0.5, lambda x: x ** -1.5,
                                lambda x: +x],
                         ids=["rsub", "rdiv", "rpow", "radd", "rmul", "div_int", "sq", "sqrt",
                              "negpow", "pos"])
def test_python_scalars_on_either_side(fn):
    check_op(fn, [(2, 3)], positive=True)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 3), ()]])
def test_pow_both_differentiable(shapes):
    check_op(lambda a, b: a ** b, shapes, positive=True)


def test_pow_special_points_match_torch():
    # x ** 0 has gradient 0 at x = 0; d/db is 0 at a = 0 (b >= 0) and NaN for a < 0
    a, b = np.array([0.0, 0.0, -2.0, 3.0]), np.array([0.0, 2.0, 2.0, 0.5])
    check_op(lambda x, y: x ** y, inputs=[a, b], fd=False)
    check_op(lambda x: x ** 0, inputs=[np.array([0.0, 1.5])], fd=False)


def test_pow_scalar_exponent():
    check_op(lambda a: a ** 3, [(5,)])


def _away(shape, points, low=-2.0, high=2.0, seed=0):
    """Uniform values kept at least 0.1 from each of ``points`` (kinks of the function)."""
    a = make_inputs([shape], low=low, high=high, seed=seed)[0]
    for p in points:
        a[np.abs(a - p) < 0.1] = p + 0.15
    return a


UNARY = {
    "neg": (lambda x: -x, None, {}),
    "neg_fn": (em.neg, torch.neg, {}),
    "abs": (lambda x: x.abs(), None, {"away": [0.0]}),
    "sign": (em.sign, torch.sign, {"away": [0.0]}),
    "exp": (lambda x: x.exp(), None, {}),
    "log": (lambda x: x.log(), None, {"positive": True}),
    "log1p": (em.log1p, torch.log1p, {"low": -0.8, "high": 2.0}),
    "expm1": (em.expm1, torch.expm1, {}),
    "sqrt": (lambda x: x.sqrt(), None, {"positive": True}),
    "square": (lambda x: x.square(), None, {}),
    "sin": (lambda x: x.sin(), None, {}),
    "cos": (lambda x: x.cos(), None, {}),
    "tan": (lambda x: x.tan(), None, {"low": -1, "high": 1}),
    "tanh": (lambda x: x.tanh(), None, {}),
    "sigmoid": (lambda x: x.sigmoid(), None, {}),
    "relu": (lambda x: x.relu(), None, {"away": [0.0]}),
    "leaky_relu": (lambda x: em.leaky_relu(x, 0.1), lambda t: F.leaky_relu(t, 0.1),
                   {"away": [0.0]}),
    "leaky_relu_default": (em.leaky_relu, lambda t: F.leaky_relu(t, 0.2), {"away": [0.0]}),
    "elu": (em.elu, F.elu, {}),
    "elu_alpha": (lambda x: em.elu(x, 0.5), lambda t: F.elu(t, 0.5), {"away": [0.0]}),
    "selu": (em.selu, F.selu, {"away": [0.0]}),
    "gelu": (em.gelu, F.gelu, {}),
    "gelu_tanh": (lambda x: em.gelu(x, approximate="tanh"),
                  lambda t: F.gelu(t, approximate="tanh"), {}),
    "gelu_true": (lambda x: em.gelu(x, approximate=True),
                  lambda t: F.gelu(t, approximate="tanh"), {}),
    "softplus": (em.softplus, F.softplus, {}),
    "silu": (em.silu, F.silu, {}),
    "clip": (lambda x: x.clip(-0.5, 0.8), lambda t: t.clamp(-0.5, 0.8), {"away": [-0.5, 0.8]}),
    "clip_min": (lambda x: em.clip(x, min=0.3), lambda t: t.clamp(min=0.3), {"away": [0.3]}),
    "clip_max": (lambda x: em.clip(x, max=0.3), lambda t: t.clamp(max=0.3), {"away": [0.3]}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("layout", ["plain", "scalar", "empty", "noncontig"])
def test_unary(name, layout):
    fn, tfn, kw = UNARY[name]
    kw = dict(kw)
    shape = {"plain": (3, 4), "scalar": (), "empty": (0, 2), "noncontig": (3, 4)}[layout]
    if "away" in kw:
        inputs = [_away(shape, kw.pop("away"))]
        check_op(fn, torch_fn=tfn, inputs=inputs, noncontig=layout == "noncontig")
    else:
        check_op(fn, [shape], torch_fn=tfn, noncontig=layout == "noncontig", **kw)


@pytest.mark.parametrize("fn, tfn", [
    (em.relu, torch.relu), (em.abs, torch.abs), (em.sign, torch.sign),
    (lambda x: em.leaky_relu(x, 0.1), lambda t: F.leaky_relu(t, 0.1)),
    (em.elu, F.elu), (lambda x: em.clip(x, 0.0, 1.0), lambda t: t.clamp(0.0, 1.0)),
], ids=["relu", "abs", "sign", "leaky_relu", "elu", "clip"])
def test_gradient_at_the_kink_matches_torch(fn, tfn):
    check_op(fn, torch_fn=tfn, inputs=[np.array([-1.0, 0.0, 0.0, 1.0, 2.0])], fd=False)


def test_activations_are_stable_for_extreme_inputs():
    x = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4])
    for fn, tfn in [(em.sigmoid, torch.sigmoid), (em.softplus, F.softplus), (em.silu, F.silu),
                    (em.tanh, torch.tanh), (em.elu, F.elu), (em.gelu, F.gelu)]:
        check_op(fn, torch_fn=tfn, inputs=[x], fd=False)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)]])
def test_maximum_minimum(op, shapes):
    check_op(getattr(em, op), shapes, torch_fn=getattr(torch, op))


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_the_gradient_evenly(op):
    a, b = np.array([1.0, 2.0, 3.0, 3.0]), np.array([1.0, 1.0, 3.0, 4.0])
    check_op(getattr(em, op), torch_fn=getattr(torch, op), inputs=[a, b], fd=False)
    x = em.tensor([2.0], requires_grad=True)
    getattr(em, op)(x, x).sum().backward()  # both arguments are x: 0.5 + 0.5
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (3, 4), (4,)],
                                    [(2, 1, 4), (3, 1), (4,)], [(3, 1), (), (1, 5)]])
def test_where(shapes):
    cond = make_inputs([shapes[0]], seed=3)[0] > 0
    x, y = make_inputs(shapes[1:])
    check_op(em.where, torch_fn=torch.where, inputs=[cond, x, y])


def test_clip_accepts_tensor_bounds():
    x = em.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = em.clip(x, em.tensor(-1.0), em.tensor(1.0))
    y.sum().backward()
    assert y.tolist() == [-1.0, 0.5, 1.0] and x.grad.tolist() == [0.0, 1.0, 0.0]


def test_where_with_tensor_condition_and_scalars():
    x = em.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = em.where(x > 0, x, 0.0)
    y.sum().backward()
    assert y.tolist() == [0.0, 2.0, 0.0] and x.grad.tolist() == [0.0, 1.0, 0.0]
    assert em.where(x > 0, 1.0, -1.0).tolist() == [-1.0, 1.0, -1.0]


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 3), ()]])
def test_remainder(shapes):
    a = make_inputs([shapes[0]], low=-5, high=5)[0]
    b = make_inputs([shapes[1]], positive=True, seed=1)[0] * np.where(
        make_inputs([shapes[1]], seed=2)[0] > 0, 1, -1)  # both signs of the divisor
    check_op(lambda x, y: x % y, torch_fn=torch.remainder, inputs=[a, b])
    check_op(em.remainder, torch_fn=torch.remainder, inputs=[a, b])


def test_floordiv_values_and_not_differentiable():
    a, b = make_inputs([(3, 4), (4,)], low=-5, high=5)
    out = em.floordiv(em.tensor(a, requires_grad=True), em.tensor(b))
    np.testing.assert_array_equal(out.numpy(), torch.floor_divide(torch.tensor(a),
                                                                  torch.tensor(b)).numpy())
    assert not out.requires_grad
    assert (em.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (em.tensor([7.0]) // 2).dtype == np.float32


@pytest.mark.parametrize("fn", [em.exp, em.expm1, em.log, em.log1p, em.sqrt, em.sin, em.cos,
                                em.tan, em.tanh, em.sigmoid, em.softplus, em.silu, em.gelu,
                                em.elu, em.selu, em.leaky_relu, em.erf, em.softmax,
                                em.log_softmax, em.logsumexp], ids=lambda f: f.__name__)
def test_float_functions_of_integers_give_the_default_float(fn):
    x = np.array([1, 2, 3])
    out = fn(em.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), fn(em.tensor(x, dtype="float32")).numpy())


def test_integer_division_gives_the_default_float():
    out = em.tensor([1, 2]) / em.tensor([2, 2])
    assert out.dtype == np.float32 and out.tolist() == [0.5, 1.0]
    em.set_floatx("float64")
    assert (em.tensor([1]) / 2).dtype == np.float64


def test_unary_on_non_contiguous_input():
    a = non_contiguous(make_inputs([(4, 5)])[0])
    assert not a.flags.c_contiguous
    check_op(lambda x: x.exp() * x, inputs=[a])


def test_float32_stays_float32_with_python_and_numpy_scalars():
    x = em.ones(3)
    for y in (x * 2.0, x * np.float64(2), x + np.array(1.0), 2.0 ** x, x / 3, x - 1e-300,
              x + np.ones(3), np.ones(3) * x, x ** 2.5, em.maximum(x, 0.5), em.where(x > 0, x, 1.0),
              em.clip(x, 0.0, 0.5), x % 0.7, em.tensor([1, 2]) * 2.5, em.gelu(x), em.selu(x)):
        assert y.dtype == np.float32


def test_broadcast_error_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        em.ones((2, 3)) + em.ones(4)
    with pytest.raises(ValueError, match="gelu: approximate"):
        em.gelu(em.ones(2), approximate="fast")
