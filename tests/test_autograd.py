"""The autograd engine: accumulation, graph retention, grad modes, higher-order gradients,
functional transforms, the in-place version check and the Tensor's Python protocol."""

import math

import numpy as np
import pytest

import ember as em
from ember.autograd import record_op
from oracle import make_inputs


def test_backward_accumulates_into_grad():
    x = em.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_a_tensor_used_twice_gets_both_contributions():
    # y = x * f(x): x is reached directly and through f; the walk must visit f(x) before x
    x = em.tensor([0.5, -1.0], requires_grad=True)
    y = x * em.sin(x * 3)
    y.sum().backward()
    xs = x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.sin(3 * xs) + 3 * xs * np.cos(3 * xs),
                               rtol=1e-6)


def test_broadcast_gradients_are_summed_to_each_input_shape():
    a = em.ones((3, 1), requires_grad=True)
    b = em.ones((4,), requires_grad=True)
    c = em.tensor(2.0, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.shape == (3, 1) and a.grad.tolist() == [[8.0]] * 3
    assert b.grad.shape == (4,) and b.grad.tolist() == [6.0] * 4
    assert c.grad.shape == () and c.grad.item() == 12.0


def test_leaf_gradients_never_alias():
    a, b = em.ones(3, requires_grad=True), em.ones(3, requires_grad=True)
    g = em.tensor([1.0, 2.0, 3.0])
    (a + b).backward(g)
    a.grad.data[...] = 0  # an optimizer clipping in place must not touch b.grad or g
    assert b.grad.tolist() == [1.0, 2.0, 3.0] and g.tolist() == [1.0, 2.0, 3.0]
    x = em.ones(2, requires_grad=True)
    x.backward(em.tensor([4.0, 5.0]))  # a leaf's own backward
    assert x.grad.tolist() == [4.0, 5.0] and x.grad.data.flags.writeable


def test_retain_graph_and_a_clear_error_without_it():
    x = em.tensor(3.0, requires_grad=True)
    y = x.exp() * 2
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 4 * math.exp(3.0), rtol=1e-6)
    with pytest.raises(RuntimeError, match="a second time.*retain_graph=True"):
        y.backward()


def test_backward_on_non_scalar_says_what_to_pass():
    y = em.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(3,\) needs `grad`.*ones_like.*sum\(\)"):
        y.backward()
    y.backward(em.ones(3))
    with pytest.raises(RuntimeError, match=r"grad has shape \(2,\); the tensor has \(3,\)"):
        (em.ones(3, requires_grad=True) * 2).backward(em.ones(2))


def test_backward_without_any_graph_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (em.ones(2) * 2).sum().backward()


def test_grad_modes_as_context_managers():
    x = em.ones(2, requires_grad=True)
    with em.no_grad():
        assert not em.is_grad_enabled() and not (x * 2).requires_grad
        with em.enable_grad():
            assert (x * 2).requires_grad
        with em.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert em.is_grad_enabled()
    with em.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert em.is_grad_enabled()
    with pytest.raises(ZeroDivisionError), em.no_grad():
        1 / 0
    assert em.is_grad_enabled()  # restored after an exception


def test_grad_modes_as_decorators_and_calls():
    x = em.ones(2, requires_grad=True)

    @em.no_grad()
    def infer(t):
        return t * 2

    @em.set_grad_enabled(False)
    def infer2(t):
        return t * 2

    @em.enable_grad()
    def train(t):
        return t * 2

    assert em.is_grad_enabled()  # decorating changes nothing by itself
    assert not infer(x).requires_grad and not infer2(x).requires_grad
    with em.no_grad():
        assert train(x).requires_grad
    em.set_grad_enabled(False)
    try:
        assert not em.is_grad_enabled()
    finally:
        em.set_grad_enabled(True)
    assert em.is_grad_enabled()


def test_third_derivative_of_cube_is_six():
    d3 = em.grad(em.grad(em.grad(lambda t: t ** 3)))
    assert d3(em.tensor(2.0)).item() == 6.0
    assert em.grad(em.grad(lambda t: t ** 3))(em.tensor(2.0)).item() == 12.0


def test_chain_rule_sin_of_square_and_its_derivative():
    x0 = 1.3
    x = em.tensor(x0, dtype="float64", requires_grad=True)
    y = em.sin(x ** 2)
    (g,) = em.autograd.grad(y, x, create_graph=True)
    assert g.item() == pytest.approx(math.cos(x0 ** 2) * 2 * x0, rel=1e-14)
    (g2,) = em.autograd.grad(g, x)
    exact = -math.sin(x0 ** 2) * 4 * x0 ** 2 + 2 * math.cos(x0 ** 2)
    assert g2.item() == pytest.approx(exact, rel=1e-14)
    assert em.grad(em.grad(lambda t: em.sin(t ** 2)))(x0).item() == pytest.approx(exact, rel=1e-6)


GRADGRAD = {
    "mul_div": (lambda a, b: a * b / (b * b + 1), [(2, 3), (3,)], {}),
    "pow": (lambda a, b: a ** b, [(2, 3), (2, 3)], {"positive": True}),
    "exp_log_sqrt": (lambda a: (a.exp() + a.log() + a.sqrt()), [(4,)], {"positive": True}),
    "trig": (lambda a: a.sin() * a.cos() + a.tan() + a.tanh(), [(4,)], {"low": -1, "high": 1}),
    "sigmoid_softplus": (lambda a: a.sigmoid() + em.softplus(a) + em.silu(a), [(5,)], {}),
    "gelu_elu": (lambda a: em.gelu(a) + em.gelu(a, approximate="tanh") + em.elu(a), [(5,)], {}),
    "log1p_expm1": (lambda a: em.log1p(a) * em.expm1(a), [(4,)], {"positive": True}),
    "abs_relu_clip": (lambda a: a.abs() * a + a.relu() * a + a.clip(-1, 1) * a, [(5,)],
                      {"away_from": 0.0}),
    "maximum_where": (lambda a, b: em.maximum(a, b) * a + em.where(a.data > 0, a * b, b),
                      [(2, 3), (3,)], {}),
    "sum_mean": (lambda a: a.sum(axis=0) * a.mean(axis=1, keepdims=True), [(3, 4)], {}),
    "var_std": (lambda a: a.var(axis=1) + a.std(ddof=1), [(3, 4)], {}),
    "max_min": (lambda a: a.max(axis=1) * a.min(), [(3, 4)], {}),
    "prod_logsumexp": (lambda a: a.prod(axis=0) + em.logsumexp(a, axis=0), [(3, 2)], {}),
    "shape_ops": (lambda a: em.concatenate([a.T, a[::-1].T], axis=1).reshape(2, -1) ** 2,
                  [(3, 2)], {}),
    "index_pad": (lambda a: em.pad(a[[0, 0, 2]], 1) ** 2 + em.take(a, [1, 1], axis=0).sum(),
                  [(3, 2)], {}),
    "stack_split": (lambda a: em.stack(em.split(a, 2, axis=1), axis=0) ** 3, [(2, 4)], {}),
    "broadcast_expand": (lambda a: em.broadcast_to(em.expand_dims(a, 0), (2, 3)) ** 2 *
                         a.squeeze(), [(3,)], {}),
    "matmul": (lambda a, b: (a @ b) ** 2, [(2, 3), (3, 2)], {}),
    "matmul_batched": (lambda a, b: (a @ b).sin(), [(2, 2, 3), (3,)], {}),
    "softmax": (lambda a: em.softmax(a, axis=-1) * a, [(2, 4)], {}),
    "log_softmax": (lambda a: em.log_softmax(a, axis=0) ** 2, [(3, 2)], {}),
}


@pytest.mark.parametrize("name", sorted(GRADGRAD))
def test_gradgradcheck(name):
    fn, shapes, kw = GRADGRAD[name]
    assert em.gradgradcheck(fn, make_inputs(shapes, **kw))


def test_fused_cross_entropy_refuses_create_graph_clearly():
    z = em.randn(2, 3, requires_grad=True)
    loss = em.softmax_cross_entropy(z, [0, 2]).sum()
    with pytest.raises(RuntimeError, match="softmax_cross_entropy: its backward is a fused"):
        em.autograd.grad(loss, z, create_graph=True)
    loss = em.sigmoid_cross_entropy(z, np.ones((2, 3))).sum()
    with pytest.raises(RuntimeError, match="sigmoid_cross_entropy.*create_graph=True"):
        loss.backward(create_graph=True)


def test_grad_with_argnums_tuple_and_value_and_grad():
    def f(a, b, c):
        return (a * b).sum() + c

    ga, gb = em.grad(f, argnums=(0, 1))(em.tensor([1.0, 2.0]), em.tensor([3.0, 4.0]), 5.0)
    assert ga.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]
    gc = em.grad(f, argnums=2)(em.ones(2), em.ones(2), 5.0)
    assert gc.item() == 1.0 and gc.dtype == np.float32
    value, grad = em.value_and_grad(lambda x: (x ** 2).sum())(em.tensor([1.0, 2.0]))
    assert value.item() == 5.0 and grad.tolist() == [2.0, 4.0]
    assert not value.requires_grad
    (g0,) = em.grad(lambda a, b: (a * 0).sum() + b.sum(), argnums=(0,))(em.ones(2), em.ones(2))
    assert g0.tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="one-element tensor"):
        em.grad(lambda x: x * 2)(em.ones(3))


def test_autograd_grad_with_non_leaf_inputs():
    x = em.tensor([0.5, 1.5], requires_grad=True)
    h = x * 2
    y = (h.sin() * h).sum()
    gh, gx = em.autograd.grad(y, [h, x])
    hs = h.numpy()
    np.testing.assert_allclose(gh.numpy(), np.cos(hs) * hs + np.sin(hs), rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), 2 * gh.numpy(), rtol=1e-6)
    assert x.grad is None  # autograd.grad leaves .grad alone
    with pytest.raises(RuntimeError, match="input 0 was not used"):
        em.autograd.grad((x * 2).sum(), [em.ones(1, requires_grad=True)])
    (unused,) = em.autograd.grad((x * 2).sum(), [em.ones(1, requires_grad=True)],
                                 allow_unused=True)
    assert unused is None


def test_autograd_grad_runs_only_the_backward_rules_it_needs():
    def refuse(g):
        raise AssertionError("this branch does not lead to x")

    x, w = em.ones(2, requires_grad=True), em.ones(2, requires_grad=True)
    side = record_op(w.data * 2, (w,), refuse, "side")
    (gx,) = em.autograd.grad((x * 3).sum() + side.sum(), x)
    assert gx.tolist() == [3.0, 3.0] and w.grad is None


@pytest.mark.parametrize("change", ["setitem", "add_", "mul_", "fill_", "copy_", "zero_"])
def test_in_place_change_of_a_saved_tensor_makes_backward_raise(change):
    x = em.randn(3, requires_grad=True)
    w = em.randn(3)
    y = (x * w).sum()  # mul saved w
    with em.no_grad():
        if change == "setitem":
            w[0] = 5.0
        elif change == "copy_":
            w.copy_(np.ones(3))
        else:
            getattr(w, change)(*(() if change == "zero_" else (2.0,)))
    with pytest.raises(RuntimeError, match=r"mul: a tensor of shape \(3,\) that it saved for "
                                           r"backward was modified in place"):
        y.backward()


def test_in_place_change_of_a_saved_leaf_names_the_op():
    x = em.randn(3, requires_grad=True)
    y = x.sin().sum()
    with em.no_grad():
        x.add_(1.0)  # as an optimizer step would between forward and backward
    with pytest.raises(RuntimeError, match="sin: .* modified in place"):
        y.backward()


@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt", "softmax", "log_softmax"])
def test_in_place_change_of_an_output_that_backward_reads_raises(op):
    x = em.rand(2, 3, requires_grad=True)
    y = getattr(x, op)()
    loss = (y + 1).sum()  # add saves nothing: only the op that made y reads it
    with em.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=f"{op}: .* modified in place"):
        loss.backward()


def test_in_place_on_a_leaf_requiring_grad_or_a_graph_tensor_raises():
    x = em.randn(3, requires_grad=True)
    for change in (lambda: x.add_(1.0), lambda: x.__setitem__(0, 1.0), lambda: x.mul_(2.0),
                   lambda: x.zero_()):
        with pytest.raises(RuntimeError, match="in-place change of a leaf tensor that requires "
                                               "grad.*no_grad"):
            change()
    with pytest.raises(RuntimeError, match="part of a recorded graph"):
        (x * 2).add_(1.0)
    with em.no_grad():
        x.add_(1.0)
        x.sub_(1.0)
    assert x._version == 2


def test_setitem_refuses_a_value_that_requires_grad():
    buf, w = em.zeros(3), em.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="__setitem__: the assigned value requires grad"):
        buf[0:1] = w * 2
    buf[em.tensor([0, 2])] = em.tensor([5.0, 6.0])  # plain values and tensor indices are fine
    buf[1:] += 1.0
    assert buf.tolist() == [5.0, 1.0, 7.0] and buf._version == 2


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients; "
                                        "this one is int64"):
        em.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bool"):
        em.tensor([True]).requires_grad_()


def test_detach_shares_data_and_cuts_the_graph():
    x = em.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.data, y.data)
    assert y.grad_fn == "mul" and x.is_leaf and x.grad_fn is None
    with pytest.raises(RuntimeError, match="use .detach"):
        y.requires_grad_(False)


def test_numpy_array_item_len_iter():
    t = em.tensor([[1.0, 2.0], [3.0, 4.0]])
    n = t.numpy()
    n[0, 0] = 10.0
    assert t[0, 0].item() == 10.0  # .numpy() shares memory
    arr = np.asarray(t)
    assert arr.dtype == np.float32 and np.array(t, dtype=np.float64).dtype == np.float64
    assert len(t) == 2 and [r.tolist() for r in t] == [[10.0, 2.0], [3.0, 4.0]]
    assert isinstance(t.sum().item(), float) and em.tensor(3).item() == 3
    assert float(em.tensor(2.5)) == 2.5 and int(em.tensor(7)) == 7
    with pytest.raises(ValueError, match="item\\(\\): the tensor has 4 elements, not 1"):
        t.item()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(em.tensor(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    assert list(range(5))[em.tensor(2)] == 2  # __index__


def test_repr_is_readable():
    assert repr(em.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(em.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(em.tensor([1.0], dtype="float64")) == "tensor([1.], dtype=float64)"
    assert repr(em.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(em.ones(2, requires_grad=True) * 2) == "tensor([2., 2.], grad_fn=mul)"
    assert repr(em.tensor(2.5)) == "tensor(2.5)"


def test_gradient_dtype_follows_the_input():
    x = em.ones(3, dtype="float64", requires_grad=True)
    (x.astype("float32") * 2).sum().backward()
    assert x.grad.dtype == np.float64
    y = em.ones(3, requires_grad=True)
    (y * em.ones(3, dtype="float64")).sum().backward()
    assert y.grad.dtype == np.float32


def test_gradcheck_reports_a_wrong_gradient():
    def bad(x):
        return record_op(x.data ** 2, (x,), lambda g: (g * 3 * x,), "bad_square", (x,))

    with pytest.raises(em.GradcheckError, match=r"gradcheck: input 0 \(shape \(3,\)\)"):
        em.gradcheck(bad, [np.ones(3)])
    assert em.gradcheck(bad, [np.ones(3)], raise_exception=False) is False
