"""Pooling and upsampling against PyTorch (NHWC <-> NCHW) and finite differences; Keras'
"valid"/"same" output sizes, ties going to the first maximum, and error messages."""

import numpy as np
import pytest

import ember as em
from ember.ops.pool import (
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    upsample1d,
    upsample2d,
)
from oracle import check_op

torch = pytest.importorskip("torch")
F = torch.nn.functional


def nchw(fn):
    """A torch function of NCHW tensors as a function of NHWC tensors."""
    return lambda x: fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


# (x shape, pool size, strides) with "valid" padding
VALID = {
    "2x2": ((2, 8, 6, 3), 2, None),
    "2x2-odd-13": ((1, 13, 13, 2), 2, None),
    "3x3-s2": ((2, 7, 9, 2), 3, 2),
    "3x3-s1-overlap": ((1, 6, 6, 3), 3, 1),
    "2x3-s1x2": ((2, 7, 7, 2), (2, 3), (1, 2)),
    "3x3-s3-remainder": ((1, 8, 7, 2), 3, None),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_max_pool2d_valid_matches_torch(name):
    xs, k, s = VALID[name]
    check_op(lambda x: max_pool2d(x, k, s), [xs],
             torch_fn=nchw(lambda t: F.max_pool2d(t, k, s if s is not None else k)))


@pytest.mark.parametrize("name", sorted(VALID))
def test_avg_pool2d_valid_matches_torch(name):
    xs, k, s = VALID[name]
    check_op(lambda x: avg_pool2d(x, k, s), [xs],
             torch_fn=nchw(lambda t: F.avg_pool2d(t, k, s if s is not None else k)))


def test_valid_drops_the_remainder_like_keras():
    assert max_pool2d(em.ones((1, 13, 13, 1))).shape == (1, 6, 6, 1)
    assert avg_pool2d(em.ones((1, 13, 11, 1)), 3, 2).shape == (1, 6, 5, 1)


@pytest.mark.parametrize("xs,k,s,pads", [
    ((1, 5, 5, 2), 2, 2, (0, 1, 0, 1)),     # odd size: one padded row/column bottom/right
    ((2, 6, 7, 2), 3, 1, (1, 1, 1, 1)),
    ((1, 7, 6, 2), 3, 2, (1, 1, 0, 1)),
])
def test_max_pool2d_same_matches_torch_on_minus_inf_padding(xs, k, s, pads):
    t, b, le, r = pads
    check_op(lambda x: max_pool2d(x, k, s, "same"), [xs],
             torch_fn=nchw(lambda x: F.max_pool2d(F.pad(x, (le, r, t, b), value=-np.inf), k, s)))


def test_avg_pool2d_same_excludes_padding_like_keras():
    # symmetric padding: torch's count_include_pad=False is the same rule
    check_op(lambda x: avg_pool2d(x, 3, 1, "same"), [(2, 5, 6, 2)],
             torch_fn=nchw(lambda x: F.avg_pool2d(x, 3, 1, padding=1, count_include_pad=False)))
    # odd size, 2x2 stride 2: the last row/column averages 2 real cells (the corner 1)
    x = np.arange(25.0, dtype=np.float32).reshape(1, 5, 5, 1)
    out = avg_pool2d(em.tensor(x), 2, 2, "same").numpy()[0, :, :, 0]
    expected = [[x[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2, 0].mean() for j in range(3)]
                for i in range(3)]
    np.testing.assert_allclose(out, expected)
    assert out[2, 2] == 24.0


def test_avg_pool2d_same_gradients_finite_differences():
    em.gradcheck(lambda x: avg_pool2d(x, 3, 2, "same"), [np.random.default_rng(0).random(
        (1, 6, 5, 2))])


@pytest.mark.parametrize("k,s", [(2, None), (3, 1), (2, 1)])
def test_max_pool2d_ties_go_to_the_first_position_like_torch(k, s):
    x = np.random.default_rng(3).integers(0, 2, (2, 6, 6, 3)).astype(np.float32)
    ex = em.tensor(x, requires_grad=True)
    max_pool2d(ex, k, s).sum().backward()
    tx = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_()
    F.max_pool2d(tx, k, s if s is not None else k).sum().backward()
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.permute(0, 2, 3, 1).numpy())


def test_max_pool2d_gradient_goes_only_to_the_max():
    x = em.tensor([[1.0, 5.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    x.requires_grad_()
    max_pool2d(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().reshape(2, 2), [[0, 1], [0, 0]])


@pytest.mark.parametrize("k,s,padding", [(2, None, "valid"), (3, 2, "valid"), (3, 1, "same")])
def test_pool1d_matches_torch(k, s, padding):
    pad = 1 if padding == "same" else 0
    tk = s if s is not None else k
    check_op(lambda x: max_pool1d(x, k, s, padding), [(2, 9, 3)],
             torch_fn=lambda x: F.max_pool1d(F.pad(x.permute(0, 2, 1), (pad, pad),
                                                   value=-np.inf), k, tk).permute(0, 2, 1))
    check_op(lambda x: avg_pool1d(x, k, s, padding), [(2, 9, 3)],
             torch_fn=lambda x: F.avg_pool1d(x.permute(0, 2, 1), k, tk, padding=pad,
                                             count_include_pad=False).permute(0, 2, 1))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, (2, 3)])
def test_upsample2d_matches_torch_interpolate(mode, size):
    sf = (size, size) if isinstance(size, int) else size
    kw = {} if mode == "nearest" else {"align_corners": False}
    check_op(lambda x: upsample2d(x, size, mode), [(2, 3, 4, 2)],
             torch_fn=nchw(lambda t: F.interpolate(t, scale_factor=sf, mode=mode, **kw)))


def test_upsampling_supports_second_derivatives():
    em.gradgradcheck(lambda x: (upsample2d(x, 2, "bilinear") ** 2).sum(),
                     [np.random.default_rng(1).random((1, 2, 3, 1))])


def test_upsample1d_repeats_steps():
    check_op(lambda x: upsample1d(x, 3), [(2, 4, 2)],
             torch_fn=lambda x: x.repeat_interleave(3, dim=1))


def test_pooling_keeps_float32_and_refuses_double_backward():
    x = em.randn(1, 4, 4, 2, requires_grad=True)
    for fn in (max_pool2d, avg_pool2d):
        assert fn(x).dtype == np.float32
        with pytest.raises(RuntimeError, match="pool2d"):
            em.autograd.grad(fn(x).sum(), [x], create_graph=True)


@pytest.mark.parametrize("call,match", [
    (lambda: max_pool2d(em.ones((4, 4, 1))), r"max_pool2d: x must be 4-D .*\(4, 4, 1\)"),
    (lambda: avg_pool2d(em.ones((1, 4, 4, 1)), padding="full"), r"avg_pool2d: padding"),
    (lambda: max_pool2d(em.ones((1, 1, 4, 1))), r"height 2 .* padded input's height 1"),
    (lambda: max_pool2d(em.ones((1, 4, 4, 1)), 0), r"pool_size"),
    (lambda: max_pool1d(em.ones((1, 4, 4, 1))), r"max_pool1d: x must be 3-D"),
    (lambda: upsample2d(em.ones((1, 2, 2, 1)), 2, "cubic"), r"interpolation"),
])
def test_errors_name_the_op_and_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()
