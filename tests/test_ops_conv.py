"""conv2d, conv1d and conv2d_transpose against PyTorch (NHWC <-> NCHW, kernels transposed) and
finite differences, plus Keras' "same" padding, gradient skipping and error messages."""

import numpy as np
import pytest

import ember as em
import ember.ops.conv as conv_mod
from ember.ops.conv import conv1d, conv2d, conv2d_transpose, pad_amounts
from oracle import check_op

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_conv2d(x, k, b=None, strides=1, pads=((0, 0), (0, 0)), dilation=1):
    """PyTorch's conv2d on NHWC data with a (kh, kw, Cin, Cout) kernel and explicit padding."""
    (t, bo), (le, r) = pads
    xt = F.pad(x.permute(0, 3, 1, 2), (le, r, t, bo))
    return F.conv2d(xt, k.permute(3, 2, 0, 1), b, stride=strides, dilation=dilation) \
        .permute(0, 2, 3, 1)


# (x shape, kernel shape, strides, padding, dilation, explicit pads for torch)
CASES = {
    "valid-s1": ((2, 6, 7, 3), (3, 3, 3, 4), 1, "valid", 1, ((0, 0), (0, 0))),
    "valid-s2-odd": ((2, 7, 9, 3), (3, 3, 3, 4), 2, "valid", 1, ((0, 0), (0, 0))),
    "same-s1": ((2, 5, 6, 2), (3, 3, 2, 3), 1, "same", 1, ((1, 1), (1, 1))),
    "same-s2-odd-total": ((2, 8, 7, 9), (3, 3, 9, 4), 2, "same", 1, ((0, 1), (1, 1))),
    "same-even-kernel": ((1, 5, 5, 2), (2, 2, 2, 3), 1, "same", 1, ((0, 1), (0, 1))),
    "valid-dilation2": ((2, 9, 8, 3), (3, 3, 3, 2), 1, "valid", 2, ((0, 0), (0, 0))),
    "same-dilation2": ((1, 7, 6, 10), (3, 2, 10, 2), 1, "same", 2, ((2, 2), (1, 1))),
    "strides-2-1": ((2, 7, 6, 3), (3, 2, 3, 2), (2, 1), ((1, 0), (2, 1)), 1, ((1, 0), (2, 1))),
    "int-padding": ((1, 4, 5, 12), (3, 3, 12, 5), 1, 1, 1, ((1, 1), (1, 1))),
    "channels-8-stride2-dil2": ((2, 9, 9, 8), (2, 3, 8, 3), 2, "valid", 2, ((0, 0), (0, 0))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv2d_matches_torch_and_finite_differences(name):
    xs, ks, s, padding, d, pads = CASES[name]
    check_op(lambda x, k, b: conv2d(x, k, b, strides=s, padding=padding, dilation=d),
             [xs, ks, ks[-1:]],
             torch_fn=lambda x, k, b: torch_conv2d(x, k, b, s, pads, d),
             atol=1e-4, grad_atol=1e-3)


def test_conv2d_without_bias():
    check_op(lambda x, k: conv2d(x, k, padding="same"), [(1, 4, 4, 2), (3, 3, 2, 2)],
             torch_fn=lambda x, k: torch_conv2d(x, k, pads=((1, 1), (1, 1))), atol=1e-4)


@pytest.mark.parametrize("size,k,s,expected", [
    (7, 3, 2, (1, 1)), (8, 3, 2, (0, 1)), (5, 2, 1, (0, 1)), (6, 3, 1, (1, 1)),
    (4, 2, 2, (0, 0)), (5, 1, 3, (0, 0)), (3, 5, 1, (2, 2))])
def test_same_padding_follows_tensorflow(size, k, s, expected):
    assert pad_amounts("same", (size, 1), (k, 1), (s, 1), (1, 1), "t")[0] == expected


def test_same_padding_puts_the_extra_cell_bottom_right():
    # 4x4 ones, 3x3 ones kernel, stride 2: TF pads 0 top, 1 bottom (not 1/0 like symmetric).
    out = conv2d(em.ones((1, 4, 4, 1)), em.ones((3, 3, 1, 1)), strides=2, padding="same")
    np.testing.assert_array_equal(out.numpy()[0, :, :, 0], [[9, 6], [6, 4]])


def test_first_layer_skips_the_input_gradient(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("dx was computed for an input that does not require grad")

    monkeypatch.setattr(conv_mod, "add_windows", fail)
    x = em.randn(2, 6, 6, 1)
    k = em.randn(3, 3, 1, 4, requires_grad=True)
    b = em.zeros(4, requires_grad=True)
    conv2d(x, k, b).sum().backward()
    assert x.grad is None and k.grad.shape == (3, 3, 1, 4) and b.grad.shape == (4,)
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 2 * 4 * 4.0))


def test_frozen_kernel_still_gives_input_gradient():
    x = em.randn(1, 5, 5, 2, requires_grad=True)
    k = em.randn(3, 3, 2, 3)
    conv2d(x, k).sum().backward()
    assert x.grad.shape == x.shape and k.grad is None


def test_double_backward_raises_clearly():
    x = em.randn(1, 4, 4, 1, requires_grad=True)
    k = em.randn(2, 2, 1, 1, requires_grad=True)
    (gx,) = em.autograd.grad(conv2d(x, k).sum(), [x], create_graph=False)
    assert gx.shape == x.shape
    with pytest.raises(RuntimeError, match="conv2d"):
        em.autograd.grad(conv2d(x, k).sum(), [x], create_graph=True)


def test_float32_stays_float32_and_integer_images_are_converted():
    x = em.tensor(np.arange(2 * 5 * 5 * 1, dtype=np.uint8).reshape(2, 5, 5, 1))
    out = conv2d(x, em.ones((3, 3, 1, 2)), em.zeros(2))
    assert out.dtype == np.float32 and out.shape == (2, 3, 3, 2)
    assert out.numpy()[0, 0, 0, 0] == (0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12)


@pytest.mark.parametrize("call,match", [
    (lambda: conv2d(em.ones((5, 5, 1)), em.ones((3, 3, 1, 2))), r"4-D .*got shape \(5, 5, 1\)"),
    (lambda: conv2d(em.ones((1, 5, 5, 3)), em.ones((3, 3, 1, 2))), r"3 channels.*expects 1"),
    (lambda: conv2d(em.ones((1, 5, 5, 1)), em.ones((3, 3, 2))), r"kernel must be 4-D"),
    (lambda: conv2d(em.ones((1, 2, 5, 1)), em.ones((3, 3, 1, 2))),
     r"window's height 3 .* larger than the padded input's height 2"),
    (lambda: conv2d(em.ones((1, 5, 5, 1)), em.ones((3, 3, 1, 2)), em.ones(3)),
     r"bias must have shape \(2,\)"),
    (lambda: conv2d(em.ones((1, 5, 5, 1)), em.ones((3, 3, 1, 2)), padding="full"), r"padding"),
    (lambda: conv2d(em.ones((1, 5, 5, 1)), em.ones((3, 3, 1, 2)), strides=0), r"strides"),
    (lambda: conv2d(em.ones((1, 5, 5, 1), dtype="float64"), em.ones((3, 3, 1, 2))),
     r"float64 but the kernel is float32"),
    (lambda: conv1d(em.ones((1, 5, 5, 1)), em.ones((3, 1, 2))), r"conv1d: x must be 3-D"),
])
def test_errors_name_the_op_shapes_and_layout(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def torch_conv1d(x, k, b, stride, pads, dilation):
    xt = F.pad(x.permute(0, 2, 1), pads)
    return F.conv1d(xt, k.permute(2, 1, 0), b, stride=stride, dilation=dilation).permute(0, 2, 1)


@pytest.mark.parametrize("padding,stride,dilation,pads", [
    ("valid", 1, 1, (0, 0)), ("same", 2, 1, (1, 1)), ("causal", 1, 2, (4, 0)),
    ("same", 1, 1, (1, 1)), (2, 3, 1, (2, 2))])
def test_conv1d_matches_torch(padding, stride, dilation, pads):
    check_op(lambda x, k, b: conv1d(x, k, b, stride, padding, dilation),
             [(2, 9, 3), (3, 3, 4), (4,)],
             torch_fn=lambda x, k, b: torch_conv1d(x, k, b, stride, pads, dilation), atol=1e-4)


def test_conv1d_causal_output_sees_only_the_past():
    x = em.zeros((1, 6, 1))
    x.data[0, 3, 0] = 1.0
    out = conv1d(x, em.ones((3, 1, 1)), padding="causal").numpy()[0, :, 0]
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 1, 1])


def torch_conv_transpose(x, k, b, s, d, top_left, out_hw):
    """PyTorch's full transposed conv, then the window Keras keeps (F.pad crops when < 0)."""
    y = F.conv_transpose2d(x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1), stride=s, dilation=d)
    (t, le), (ho, wo) = top_left, out_hw
    y = F.pad(y, (-le, le + wo - y.shape[3], -t, t + ho - y.shape[2]))
    return y.permute(0, 2, 3, 1) + b  # the bias reaches the zero-padded rows too


@pytest.mark.parametrize("xs,ks,s,padding,op,d,top_left,out_hw", [
    ((2, 4, 3, 3), (3, 3, 2, 3), 2, "same", None, 1, (0, 0), (8, 6)),
    ((2, 4, 3, 3), (3, 3, 2, 3), 2, "valid", None, 1, (0, 0), (9, 7)),
    ((1, 3, 3, 2), (2, 2, 3, 2), 3, "valid", None, 1, (0, 0), (9, 9)),
    ((1, 3, 4, 2), (3, 3, 2, 2), 1, "same", None, 1, (1, 1), (3, 4)),
    ((1, 3, 3, 2), (3, 3, 2, 2), 2, "same", 1, 1, (0, 0), (6, 6)),
    ((1, 3, 3, 9), (3, 2, 2, 9), (2, 1), "valid", None, 2, (0, 0), (9, 5)),
])
def test_conv2d_transpose_matches_torch(xs, ks, s, padding, op, d, top_left, out_hw):
    check_op(lambda x, k, b: conv2d_transpose(x, k, b, s, padding, op, d), [xs, ks, ks[2:3]],
             torch_fn=lambda x, k, b: torch_conv_transpose(x, k, b, s, d, top_left, out_hw),
             atol=1e-4)


def test_conv2d_transpose_is_the_input_gradient_of_conv2d():
    x = em.randn(2, 7, 8, 3, requires_grad=True)
    k = em.randn(3, 3, 3, 5)
    y = conv2d(x, k, strides=2, padding="same")
    g = em.randn(*y.shape)
    y.backward(g)
    np.testing.assert_allclose(conv2d_transpose(g, k, strides=2, padding="same",
                                                output_padding=(0, 1)).numpy(),
                               x.grad.numpy(), atol=1e-4)


def test_pointwise_1x1_conv_matches_torch_and_guards_in_place_changes():
    check_op(lambda x, k, b: conv2d(x, k, b), [(2, 3, 4, 9), (1, 1, 9, 5), (5,)],
             torch_fn=lambda x, k, b: torch_conv2d(x, k, b), atol=1e-4)
    x = em.randn(1, 3, 3, 8)
    k = em.randn(1, 1, 8, 2, requires_grad=True)
    y = conv2d(x, k)
    x.add_(1.0)  # the patches of a 1x1 conv are x's own memory: the change must be caught
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, False), (False, False, True),
                                   (True, False, True)])
def test_bias_folded_into_the_product_gives_each_requested_gradient(relu, needs):
    # Few input channels: the bias is a row of the kernel matrix times a ones row of the
    # patches, and [dkernel; dbias] is one product. Every mix of what requires grad.
    rx, rk, rb = needs
    rng = np.random.default_rng(3)
    x, k, b = rng.standard_normal((3, 7, 6, 2)), rng.standard_normal((3, 2, 2, 4)), \
        rng.standard_normal(4)
    xs, ks, bs = (em.tensor(a, requires_grad=r) for a, r in ((x, rx), (k, rk), (b, rb)))
    out = conv2d(xs, ks, bs, strides=2, padding=1, relu=relu)
    weights = (np.arange(out.data.size).reshape(out.shape) % 5 - 2.0)
    (out * em.tensor(weights)).sum().backward()
    xt, kt, bt = (torch.tensor(a, requires_grad=r) for a, r in ((x, rx), (k, rk), (b, rb)))
    ref = torch_conv2d(xt, kt, bt, strides=2, pads=((1, 1), (1, 1)))
    ref = torch.relu(ref) if relu else ref
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-12)
    for ours, theirs in ((xs, xt), (ks, kt), (bs, bt)):
        if theirs.requires_grad:
            np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), atol=1e-10)
        else:
            assert ours.grad is None
