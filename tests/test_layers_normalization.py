"""BatchNormalization and LayerNormalization against PyTorch (train and eval, values and
every gradient), finite differences in float64, and Keras' moving-statistics convention."""

import contextlib
import json

import numpy as np
import pytest

import ember as em


@contextlib.contextmanager
def weights_as(layer, **tensors):
    """Let the layer compute with the given tensors in place of its weights (for gradcheck)."""
    saved = {name: layer.__dict__[name] for name in tensors}
    try:
        for name, t in tensors.items():
            object.__setattr__(layer, name, t)
        yield layer
    finally:
        for name, t in saved.items():
            object.__setattr__(layer, name, t)


def _data(shape, seed=0, scale=3.0, shift=1.5):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(np.float32)


def _affine(layer, seed=1):
    """Random gamma and beta, so that the test sees them."""
    rng = np.random.default_rng(seed)
    layer.gamma.assign(rng.uniform(0.5, 1.5, layer.gamma.shape))
    layer.beta.assign(rng.standard_normal(layer.beta.shape))


def _compare(out, tout, grads, tgrads, atol=1e-4):
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=1e-5, rtol=1e-4)
    for name, g, tg in zip(["input", "gamma", "beta"], grads, tgrads):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), atol=atol, rtol=1e-3,
                                   err_msg=f"gradient of {name}")


def _backward_both(out, tout, seed=7):
    import torch

    w = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    (out * em.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()


# ------------------------------------------------------------------ BatchNormalization
@pytest.mark.parametrize("layout", ["dense", "nhwc", "nchw"])
def test_batch_norm_matches_torch_in_train_and_eval(layout):
    torch = pytest.importorskip("torch")
    shape, axis = {"dense": ((16, 5), -1), "nhwc": ((4, 3, 3, 5), -1),
                   "nchw": ((4, 5, 3, 3), 1)}[layout]
    x_np = _data(shape)
    bn = em.layers.BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3)
    bn.build(shape)
    _affine(bn)
    tbn = (torch.nn.BatchNorm1d if layout == "dense" else torch.nn.BatchNorm2d)(
        5, eps=1e-3, momentum=1 - 0.9)
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor(bn.gamma.numpy()))
        tbn.bias.copy_(torch.tensor(bn.beta.numpy()))

    def to_torch(a):  # torch wants channels second
        return a.transpose(0, 3, 1, 2) if layout == "nhwc" else a

    def from_torch(t):
        return t.permute(0, 2, 3, 1) if layout == "nhwc" else t

    for training in (True, False):
        tbn.train(training)
        x = em.tensor(x_np, requires_grad=True)
        tx = torch.tensor(to_torch(x_np), requires_grad=True)
        bn.gamma.grad = bn.beta.grad = None
        tbn.weight.grad = tbn.bias.grad = None
        out, tout = bn(x, training=training), from_torch(tbn(tx))
        _backward_both(out, tout)
        _compare(out, tout, [x.grad, bn.gamma.grad, bn.beta.grad],
                 [from_torch(tx.grad), tbn.weight.grad, tbn.bias.grad])
        if training:
            n = x_np.size // 5
            np.testing.assert_allclose(bn.moving_mean.numpy(), tbn.running_mean.numpy(),
                                       rtol=1e-5, atol=1e-6)
            # Keras puts the biased batch variance into the moving variance, PyTorch the
            # unbiased one: mv = 0.9 + 0.1 * v_biased, rv = 0.9 + 0.1 * v_biased * n / (n - 1)
            np.testing.assert_allclose((bn.moving_variance.numpy() - 0.9) * n / (n - 1),
                                       tbn.running_var.numpy() - 0.9, rtol=1e-4)
            with torch.no_grad():  # eval mode then uses the same statistics in both
                tbn.running_var.copy_(torch.tensor(bn.moving_variance.numpy()))


def test_batch_norm_moving_statistics_follow_keras():
    x = _data((32, 4))
    bn = em.layers.BatchNormalization()
    bn(x, training=True)
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var, rtol=1e-5)
    assert bn.moving_mean._version == 1 and not bn.moving_mean.requires_grad
    y = bn(x)  # inference: moving statistics, no update
    assert bn.moving_mean._version == 1
    expected = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_frozen_batch_norm_runs_in_inference_mode():
    x = _data((8, 3))
    bn = em.layers.BatchNormalization()
    bn.build((None, 3))
    bn.trainable = False
    y = bn(x, training=True)
    np.testing.assert_allclose(y.numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-5)
    assert bn.moving_mean._version == 0


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape,axis", [((6, 3), -1), ((2, 3, 2, 2), 1)])
def test_batch_norm_finite_differences_float64(training, shape, axis):
    em.set_floatx("float64")
    bn = em.layers.BatchNormalization(axis=axis)
    bn.build(shape)
    _affine(bn)
    bn.moving_variance.assign(np.full(bn.moving_variance.shape, 2.0))

    def f(x, gamma, beta):
        with weights_as(bn, gamma=gamma, beta=beta):
            return bn.call(x, training=training)

    em.gradcheck(f, [_data(shape).astype(np.float64), bn.gamma, bn.beta])


def test_batch_norm_second_derivatives():
    from ember.ops.linear import batch_norm

    em.gradgradcheck(lambda x, g, b: batch_norm(x, g, b) ** 2,
                     [_data((5, 3)).astype(np.float64), np.array([0.5, 1.0, 2.0]),
                      np.array([0.1, -0.2, 0.3])])


def test_batch_norm_masked_statistics_skip_padding():
    x = _data((2, 4, 3))
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
    bn = em.layers.BatchNormalization(momentum=0.0)
    bn(x, training=True, mask=mask)
    valid = x[mask]
    np.testing.assert_allclose(bn.moving_mean.numpy(), valid.mean(0), rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), valid.var(0), rtol=1e-4)


def test_batch_norm_errors_and_config():
    with pytest.raises(ValueError, match="momentum"):
        em.layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="synchronized"):
        em.layers.BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        em.layers.BatchNormalization(axis=3)(em.ones((2, 3)))
    bn = em.layers.BatchNormalization(momentum=0.9, center=False)
    bn(em.ones((2, 6)))
    assert [w.name for w in bn.weights] == ["gamma", "moving_mean", "moving_variance"]
    with pytest.raises(ValueError, match="built for inputs with 6 features; got 4"):
        bn(em.ones((2, 4)))
    clone = em.layers.deserialize(json.loads(json.dumps(em.layers.serialize(bn))))
    assert clone.get_config() == bn.get_config() and clone.momentum == 0.9


# ------------------------------------------------------------------ LayerNormalization
@pytest.mark.parametrize("shape,axis", [((4, 6), -1), ((2, 3, 6), -1), ((2, 3, 6), [1, 2])])
def test_layer_norm_matches_torch(shape, axis):
    torch = pytest.importorskip("torch")
    x_np = _data(shape)
    ln = em.layers.LayerNormalization(axis=axis)
    ln.build(shape)
    _affine(ln)
    normalized = shape[-1:] if axis == -1 else shape[1:]
    tln = torch.nn.LayerNorm(normalized, eps=1e-3)
    with torch.no_grad():
        tln.weight.copy_(torch.tensor(ln.gamma.numpy()))
        tln.bias.copy_(torch.tensor(ln.beta.numpy()))
    x = em.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, tout = ln(x), tln(tx)
    _backward_both(out, tout)
    _compare(out, tout, [x.grad, ln.gamma.grad, ln.beta.grad],
             [tx.grad, tln.weight.grad, tln.bias.grad])


@pytest.mark.parametrize("shape,axis", [((3, 4), -1), ((2, 3, 2), 1), ((2, 2, 3), [1, 2])])
def test_layer_norm_finite_differences_float64(shape, axis):
    em.set_floatx("float64")
    ln = em.layers.LayerNormalization(axis=axis)
    ln.build(shape)
    _affine(ln)

    def f(x, gamma, beta):
        with weights_as(ln, gamma=gamma, beta=beta):
            return ln.call(x)

    em.gradcheck(f, [_data(shape).astype(np.float64), ln.gamma, ln.beta])


def test_layer_norm_non_trailing_axis_formula():
    x = _data((2, 3, 4))
    y = em.layers.LayerNormalization(axis=1, epsilon=1e-5)(x).numpy()
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_layer_norm_second_derivatives():
    from ember.ops.linear import layer_norm

    em.gradgradcheck(lambda x, g: layer_norm(x, g, None).sin(),
                     [_data((3, 4)).astype(np.float64), np.array([0.5, 1.0, 1.5, 2.0])])


def test_layer_norm_rms_scaling_and_options():
    x = _data((3, 5))
    ln = em.layers.LayerNormalization(rms_scaling=True)
    y = ln(x).numpy()
    assert [w.name for w in ln.weights] == ["gamma"]
    np.testing.assert_allclose(y, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-5)
    em.set_floatx("float64")
    ln64 = em.layers.LayerNormalization(rms_scaling=True)
    ln64.build((None, 4))
    em.gradcheck(lambda t: ln64.call(t), [_data((2, 4)).astype(np.float64)])
    bare = em.layers.LayerNormalization(center=False, scale=False)
    bare(x)
    assert bare.weights == []
    with pytest.raises(TypeError, match="axis must be an int or a list"):
        em.layers.LayerNormalization(axis="last")


def test_layer_norm_config_round_trip():
    ln = em.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, gamma_regularizer="l2")
    clone = em.layers.deserialize(json.loads(json.dumps(em.layers.serialize(ln))))
    assert clone.get_config() == ln.get_config() and clone.axis == [1, 2]
    clone(em.ones((2, 3, 4)))
    assert len(clone.losses) == 1
