"""em.ops.batch_norm and em.ops.layer_norm, public ops: against torch.nn.functional (values
and every gradient) and against finite differences in float64, second derivatives included."""

import numpy as np
import pytest

import ember as em
from oracle import check_op

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _torch_batch_norm_channels_last(x, gamma, beta, eps):
    # PyTorch's channels are axis 1; ember's (like Keras') are the last axis.
    moved = torch.movedim(x, -1, 1)
    out = F.batch_norm(moved, None, None, gamma, beta, training=True, eps=eps)
    return torch.movedim(out, 1, -1)


@pytest.mark.parametrize("shape", [(8, 3), (4, 5, 5, 3), (6, 4, 3)], ids=str)
def test_batch_norm_matches_pytorch_and_finite_differences(shape):
    c = shape[-1]
    check_op(lambda x, g, b: em.ops.batch_norm(x, g, b, axis=-1, epsilon=1e-3),
             shapes=[shape, (c,), (c,)],
             torch_fn=lambda x, g, b: _torch_batch_norm_channels_last(x, g, b, 1e-3))


def test_batch_norm_without_gamma_beta_and_on_another_axis():
    check_op(lambda x: em.ops.batch_norm(x, axis=1, epsilon=1e-5), shapes=[(5, 3, 4)],
             torch_fn=lambda x: F.batch_norm(x, None, None, training=True, eps=1e-5))


@pytest.mark.parametrize("shape, axes", [((4, 6), (-1,)), ((2, 3, 4), (-2, -1)),
                                         ((3, 5, 2), (-1,))], ids=str)
def test_layer_norm_matches_pytorch_and_finite_differences(shape, axes):
    normalized = tuple(shape[a] for a in axes)
    check_op(lambda x, g, b: em.ops.layer_norm(x, g, b, axis=axes, epsilon=1e-5),
             shapes=[shape, normalized, normalized],
             torch_fn=lambda x, g, b: F.layer_norm(x, normalized, g, b, eps=1e-5))


@pytest.mark.parametrize("op", ["batch_norm", "layer_norm"])
def test_second_derivatives_match_finite_differences(op):
    fn = getattr(em.ops, op)
    x, g, b = (np.random.default_rng(3).uniform(-2, 2, s) for s in [(5, 4), (4,), (4,)])
    assert em.gradgradcheck(lambda x, g, b: fn(x, g, b, epsilon=1e-3), [x, g, b])


def test_float32_stays_float32_and_the_ops_are_in_the_top_namespace():
    x = em.randn(4, 3)
    assert em.ops.batch_norm(x).dtype == np.float32
    assert em.ops.layer_norm(x).dtype == np.float32
    assert em.batch_norm is em.ops.batch_norm and em.layer_norm is em.ops.layer_norm


def test_a_bad_axis_names_the_op():
    with pytest.raises(ValueError, match="batch_norm: axis 3 is out of range"):
        em.ops.batch_norm(em.ones((2, 3)), axis=3)
    with pytest.raises(ValueError, match="layer_norm: axis -3 is out of range"):
        em.ops.layer_norm(em.ones((2, 3)), axis=-3)
