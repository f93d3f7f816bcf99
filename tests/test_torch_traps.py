"""The idioms a PyTorch user writes by hand, which used to do the wrong thing silently:
in-place updates, transpose(0, 1), optimizers without parameters (eigh: test_linalg_torch)."""

import numpy as np
import pytest

import ember as em

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------ in-place operators
@pytest.mark.parametrize("op,ref", [("+=", np.add), ("-=", np.subtract), ("*=", np.multiply),
                                    ("/=", np.divide)])
def test_in_place_operator_changes_the_same_tensor_and_bumps_its_version(op, ref):
    t = em.tensor([1.0, 2.0, 4.0])
    alias, before = t, t._version
    namespace = {"t": t, "o": em.tensor([2.0, 2.0, 2.0])}
    exec(f"t {op} o", namespace)
    assert namespace["t"] is alias  # not a new tensor bound to the name
    np.testing.assert_allclose(alias.numpy(), ref([1.0, 2.0, 4.0], 2.0))
    assert alias._version == before + 1 and alias.dtype == np.float32


def test_hand_written_sgd_step_under_no_grad_changes_the_parameter():
    w = em.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with em.no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), [0.8, -1.6], rtol=1e-6)
    with em.no_grad():
        w.grad.zero_()
    assert w.grad.numpy().tolist() == [0.0, 0.0]


def test_in_place_on_a_leaf_requiring_grad_raises_as_pytorch():
    w, tw = em.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError) as torch_err:
        tw += 1
    with pytest.raises(RuntimeError) as err:
        w += 1
    assert str(torch_err.value).rstrip(".") in str(err.value)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w *= em.ones(3, requires_grad=True)  # an operand needing grad: still PyTorch's error
    for method in ("add_", "sub_", "mul_", "div_"):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            getattr(w, method)(2.0)
    assert w.numpy().tolist() == [1.0, 1.0, 1.0]


def test_in_place_operator_on_a_graph_tensor_records_it_out_of_place():
    x = em.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss += (3 * x).sum()  # the common accumulation; the gradient must include both terms
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
    plain = em.zeros(2)
    plain += x  # the operand needs a gradient: recorded, not lost
    assert plain.requires_grad
    with pytest.raises(RuntimeError, match="part of a recorded graph"):
        (x * 2).add_(1.0)
    with pytest.raises(RuntimeError, match="operand requires grad"):
        em.zeros(2).add_(x)


def test_in_place_change_of_a_tensor_saved_for_backward_raises():
    x, w = em.randn(3, requires_grad=True), em.randn(3)
    y = (x * w).sum()  # mul saved w
    w *= 2.0
    with pytest.raises(RuntimeError, match=r"mul: .* modified in place"):
        y.backward()


def test_matmul_in_place_and_errors():
    a = em.tensor([[1.0, 2.0], [3.0, 4.0]])
    same = a
    a @= em.eye(2) * 2
    assert a is same and a.numpy().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    with pytest.raises(ValueError, match="keep the shape"):
        a @= em.ones(2, 3)
    ints = em.tensor([1, 2])
    with pytest.raises(TypeError, match="int64 tensor"):
        ints /= 2
    with pytest.raises(ValueError, match="does not broadcast"):
        em.zeros(2, 3).add_(em.ones(3, 3))


def test_underscore_methods_match_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    steps = [("add_", (1.5,), {}), ("sub_", (0.5,), {"alpha": 2.0}), ("mul_", (3.0,), {}),
             ("div_", (2.0,), {}), ("clamp_", (-1.0, 1.0), {}), ("pow_", (2,), {}),
             ("neg_", (), {}), ("fill_", (7.0,), {}), ("zero_", (), {})]
    e, t = em.tensor(a.copy()), torch.tensor(a.copy())
    for name, args, kw in steps:
        assert getattr(e, name)(*args, **kw) is e
        getattr(t, name)(*args, **kw)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    assert e._version == len(steps)
    e.copy_(em.tensor(a))
    e.masked_fill_(e > 0, 0.0)
    np.testing.assert_allclose(e.numpy(), np.where(a > 0, 0, a))


def test_random_fills_use_the_seeded_generator():
    em.manual_seed(3)
    a = em.empty(1000).uniform_(-2.0, 2.0)
    b = em.empty(1000).normal_(1.0, 0.5)
    em.manual_seed(3)
    assert em.empty(1000).uniform_(-2.0, 2.0).tolist() == a.tolist()
    assert -2 <= a.min().item() and a.max().item() < 2 and abs(a.mean().item()) < 0.2
    assert abs(b.mean().item() - 1) < 0.1 and abs(b.std().item() - 0.5) < 0.05
    assert b.dtype == np.float32


# ------------------------------------------------------------------ transpose
def test_transpose_of_two_axes_swaps_them_as_pytorch():
    a = np.arange(6.0).reshape(2, 3)
    assert em.tensor(a).transpose(0, 1).numpy().tolist() == a.T.tolist()
    assert em.transpose(em.tensor(a), 0, 1).shape == (3, 2)
    b = np.arange(24.0).reshape(2, 3, 4)
    for dims in [(0, 1), (0, 2), (1, -1)]:
        np.testing.assert_array_equal(em.tensor(b).transpose(*dims).numpy(),
                                      torch.tensor(b).transpose(*dims).numpy())
    np.testing.assert_array_equal(em.tensor(b).transpose(dim0=0, dim1=2).numpy(),
                                  b.swapaxes(0, 2))
    # a full permutation (all axes, or one tuple) permutes, as NumPy
    np.testing.assert_array_equal(em.tensor(b).transpose(2, 0, 1).numpy(), b.transpose(2, 0, 1))
    np.testing.assert_array_equal(em.tensor(a).transpose((0, 1)).numpy(), a)
    np.testing.assert_array_equal(em.tensor(b).permute(1, 2, 0).numpy(), b.transpose(1, 2, 0))
    np.testing.assert_array_equal(em.moveaxis(em.tensor(b), 0, -1).numpy(),
                                  np.moveaxis(b, 0, -1))
    np.testing.assert_array_equal(em.tensor(b).swapaxes(0, 2).numpy(), b.swapaxes(0, 2))
    with pytest.raises(ValueError, match="one axis"):
        em.transpose(em.tensor(b), 1)


def test_transpose_gradient():
    x = em.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x.transpose(0, 1) * em.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    assert x.grad.numpy().tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]


# ------------------------------------------------------------------ optimizers
def test_optimizer_without_parameters_refuses_to_step_or_zero():
    opt = em.optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match=r"SGD.step\(\): this optimizer has no parameters"):
        opt.step()
    with pytest.raises(ValueError, match=r"zero_grad\(\): this optimizer has no parameters"):
        opt.zero_grad()
    with pytest.raises(ValueError, match="empty parameter list"):
        em.optimizers.Adam([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        em.optimizers.SGD(em.ones(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="not both"):
        em.optimizers.SGD(lr=0.1, learning_rate=0.2)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "Nadam"])
def test_every_optimizer_takes_parameters_in_the_constructor(name):
    cls = getattr(em.optimizers, name)
    w1, w2 = em.tensor([1.0, -1.0], requires_grad=True), em.tensor([2.0], requires_grad=True)
    keras_w = [em.tensor([1.0, -1.0], requires_grad=True), em.tensor([2.0], requires_grad=True)]
    torch_style = cls((w for w in (w1, w2)), lr=0.1)  # a generator, as model.parameters()
    keras_style = cls(learning_rate=0.1)
    for _ in range(3):
        torch_style.zero_grad()
        ((w1 * w1).sum() + (w2 * w2 * w2).sum()).backward()
        torch_style.step()
        keras_style.zero_grad(keras_w)
        ((keras_w[0] * keras_w[0]).sum() + (keras_w[1] ** 3).sum()).backward()
        keras_style.apply(keras_w)
    assert torch_style.iterations == 3 and torch_style.learning_rate == pytest.approx(0.1)
    np.testing.assert_allclose(w1.numpy(), keras_w[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(w2.numpy(), keras_w[1].numpy(), rtol=1e-6)
    assert w1.numpy().tolist() != [1.0, -1.0]


def test_sgd_with_parameters_matches_torch_sgd():
    a = np.array([[0.5, -1.0], [2.0, 0.3]], dtype=np.float32)
    w = em.tensor(a.copy(), requires_grad=True)
    tw = torch.tensor(a.copy(), requires_grad=True)
    opt = em.optimizers.SGD([w], lr=0.05, momentum=0.9)
    topt = torch.optim.SGD([tw], lr=0.05, momentum=0.9)
    for _ in range(4):
        opt.zero_grad()
        topt.zero_grad()
        (w.sin() * w).sum().backward()
        (tw.sin() * tw).sum().backward()
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_parameter_groups_without_options_are_accepted():
    w = em.ones(2, requires_grad=True)
    opt = em.optimizers.SGD([{"params": [w]}], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    assert w.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="per-group options"):
        em.optimizers.SGD([{"params": [w], "lr": 0.1}], lr=0.5)


def test_param_groups_read_and_set_the_learning_rate_as_pytorch_schedulers_do():
    w = em.ones(2, requires_grad=True)
    opt = em.optimizers.SGD([w], lr=0.5)
    (group,) = opt.param_groups
    assert group["params"][0] is w and group["lr"] == 0.5
    for g in opt.param_groups:
        g["lr"] *= 0.1
    assert opt.learning_rate == pytest.approx(0.05)
    with pytest.raises(KeyError, match="only 'lr' can be set"):
        group["momentum"] = 0.9
