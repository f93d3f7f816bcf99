"""softmax, log_softmax, the fused cross-entropies and dropout against PyTorch."""

import numpy as np
import pytest

import ember as em
from oracle import check_op, make_inputs

torch = pytest.importorskip("torch")
F = torch.nn.functional

SOFTMAX = [((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((5,), 0), ((0, 3), -1), ((3, 1), -1)]


@pytest.mark.parametrize("shape, axis", SOFTMAX, ids=str)
def test_softmax_log_softmax(shape, axis):
    check_op(lambda x: em.softmax(x, axis), shapes=[shape], noncontig=True,
             torch_fn=lambda t: F.softmax(t, dim=axis))
    check_op(lambda x: em.log_softmax(x, axis=axis), shapes=[shape],
             torch_fn=lambda t: F.log_softmax(t, dim=axis))
    check_op(lambda x: x.softmax(axis), shapes=[shape], torch_fn=lambda t: t.softmax(axis))
    check_op(lambda x: x.log_softmax(axis), shapes=[shape],
             torch_fn=lambda t: t.log_softmax(axis))


def test_softmax_extreme_logits_are_finite():
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [88.0, 89.0, 90.0]])
    check_op(em.softmax, inputs=[x], fd=False, torch_fn=lambda t: F.softmax(t, -1))
    check_op(em.log_softmax, inputs=[x], fd=False, torch_fn=lambda t: F.log_softmax(t, -1))


def _labels(shape, n, seed=0):
    return np.random.default_rng(seed).integers(0, n, size=shape)


def _probs(shape, seed=0):
    p = np.random.default_rng(seed).uniform(0.1, 1, size=shape)
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (1, 2), (0, 3)])
def test_softmax_cross_entropy_integer_labels(shape, smoothing):
    logits, labels = make_inputs([shape])[0], _labels(shape[:-1], shape[-1])

    def tfn(z, y):  # torch puts classes on dim 1
        return F.cross_entropy(z.movedim(-1, 1), y, reduction="none", label_smoothing=smoothing)

    check_op(lambda z, y: em.softmax_cross_entropy(z, y, label_smoothing=smoothing),
             inputs=[logits, labels], torch_fn=tfn)


def test_softmax_cross_entropy_class_axis_1():
    logits, labels = make_inputs([(2, 4, 3)])[0], _labels((2, 3), 4)
    check_op(lambda z, y: em.softmax_cross_entropy(z, y, axis=1), inputs=[logits, labels],
             torch_fn=lambda z, y: F.cross_entropy(z, y, reduction="none"))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("kind", ["one_hot", "soft"])
def test_softmax_cross_entropy_probability_targets(kind, smoothing):
    logits = make_inputs([(4, 5)])[0]
    target = np.eye(5)[_labels(4, 5)] if kind == "one_hot" else _probs((4, 5))
    # the soft target is differentiable too (distillation), as in PyTorch
    check_op(lambda z, t: em.softmax_cross_entropy(z, t, label_smoothing=smoothing),
             inputs=[logits, target],
             torch_fn=lambda z, t: F.cross_entropy(z, t, reduction="none",
                                                   label_smoothing=smoothing))


def test_softmax_cross_entropy_float_labels_are_class_indices():
    z = em.tensor(make_inputs([(3, 4)])[0])
    a = em.softmax_cross_entropy(z, np.array([0.0, 3.0, 1.0]))
    b = em.softmax_cross_entropy(z, np.array([0, 3, 1]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("target", ["labels", "one_hot"])
def test_softmax_cross_entropy_extreme_logits(target):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [0.0, 0.0, 1e4]])
    y = np.array([1, 1, 0])
    t = y if target == "labels" else np.eye(3)[y]
    check_op(em.softmax_cross_entropy, inputs=[logits, t], fd=False, differentiable=[0],
             torch_fn=lambda z, tt: F.cross_entropy(z, tt, reduction="none"))
    loss = em.softmax_cross_entropy(em.tensor(logits, dtype="float32"), t)
    assert np.isfinite(loss.numpy()).all() and loss.numpy()[0] == pytest.approx(2e4)


def test_softmax_cross_entropy_errors():
    z = em.zeros((2, 3))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got values from 0 to 3"):
        em.softmax_cross_entropy(z, [0, 3])
    for labels in ([-1, 0], np.array([-1, 2], dtype=np.int8)):  # negatives never wrap around
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got values from -1"):
            em.softmax_cross_entropy(z, labels)
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) do not match logits \(2, 3\)"):
        em.softmax_cross_entropy(z, [0, 1, 2])
    with pytest.raises(ValueError, match=r"targets of shape \(2, 4\) do not match"):
        em.softmax_cross_entropy(z, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="integer class labels expected"):
        em.softmax_cross_entropy(z, [0.5, 1.0])
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        em.softmax_cross_entropy(z, [0, 1], label_smoothing=1.5)


@pytest.mark.parametrize("shapes", [[(4, 3), (4, 3)], [(5,), (5,)], [(4, 3), (3,)]])
def test_sigmoid_cross_entropy(shapes):
    z = make_inputs([shapes[0]], low=-4, high=4)[0]
    t = np.random.default_rng(1).uniform(0, 1, size=shapes[1])
    check_op(em.sigmoid_cross_entropy, inputs=[z, t],
             torch_fn=lambda a, b: F.binary_cross_entropy_with_logits(
                 a, b.broadcast_to(a.shape), reduction="none"))


def test_sigmoid_cross_entropy_extreme_logits():
    z = np.array([1e4, -1e4, 1e4, -1e4, 50.0, -50.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
    check_op(em.sigmoid_cross_entropy, inputs=[z, t], fd=False, differentiable=[0],
             torch_fn=lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"))
    loss = em.sigmoid_cross_entropy(em.tensor(z, dtype="float32"), t)
    assert loss.dtype == np.float32 and np.isfinite(loss.numpy()).all()


def test_dropout_scales_kept_values_and_preserves_the_mean():
    x = em.ones(200_000, requires_grad=True)
    y = em.dropout(x, 0.3)
    kept = y.numpy() != 0
    assert y.dtype == np.float32
    assert abs(kept.mean() - 0.7) < 0.005  # ~7 standard deviations of the binomial
    np.testing.assert_allclose(y.numpy()[kept], np.float32(1 / 0.7))
    assert abs(y.numpy().mean() - 1.0) < 0.01
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # gradient = the same mask


def test_dropout_identity_and_reproducibility():
    x = em.randn(4, 5)
    assert em.dropout(x, 0.5, training=False) is x and em.dropout(x, 0.0) is x
    em.utils.set_random_seed(3)
    a = em.dropout(x, 0.5)
    em.utils.set_random_seed(3)
    b = em.dropout(x, 0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), em.dropout(x, 0.5).numpy())


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rate_errors(rate):
    with pytest.raises(ValueError, match=rf"dropout: rate must be in \[0, 1\); got {rate}"):
        em.dropout(em.ones(3), rate)


def test_softmax_cross_entropy_mean_reduction_is_one_node():
    labels = np.array([0, 2, 1, 2])
    check_op(lambda z: em.softmax_cross_entropy(z, labels, reduction="mean"), [(4, 3)],
             torch_fn=lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(labels)))
    z = em.randn(4, 3, requires_grad=True)
    assert em.softmax_cross_entropy(z, labels, reduction="mean").grad_fn == \
        "softmax_cross_entropy"
    with pytest.raises(ValueError, match="reduction must be"):
        em.softmax_cross_entropy(z, labels, reduction="sum")


@pytest.mark.parametrize("shape, axis", [((2, 0), -1), ((0, 0), 0), ((3, 0, 2), 1)], ids=str)
def test_softmax_and_log_softmax_of_an_empty_axis_are_empty(shape, axis):
    x = em.zeros(shape, requires_grad=True)
    for fn, tfn in ((em.softmax, F.softmax), (em.log_softmax, F.log_softmax)):
        out = fn(x, axis=axis)
        assert out.shape == tuple(tfn(torch.zeros(shape), dim=axis).shape) == shape
        out.sum().backward()
        assert x.grad.shape == shape
        x.grad = None
