"""Fusion said out loud: layers pass their activation to the op, which fuses the ones it
knows by registered name; compile resolves the (last activation, loss) pair once."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.ops import conv as conv_ops
from ember.ops.linear import linear


@pytest.mark.parametrize("relu", ["relu", "ReLU", em.activations.relu, em.relu,
                                  em.nn.functional.relu, em.activations.get("relu")],
                         ids=["str", "str-caps", "activations", "ops", "nn.functional", "get"])
def test_every_spelling_of_relu_takes_the_fused_path(relu):
    x = em.randn(4, 3)
    w = em.randn(3, 2, requires_grad=True)
    out = linear(x, w, None, activation=relu)
    assert out.grad_fn == "linear_relu"
    img = em.randn(1, 5, 5, 2)
    k = em.randn(3, 3, 2, 4, requires_grad=True)
    assert conv_ops.conv2d(img, k, activation=relu).grad_fn == "conv2d_relu"


def test_a_users_own_function_runs_unfused_with_the_same_values():
    calls = []

    def my_relu(t):
        calls.append(1)
        return em.maximum(t, 0.0)

    x, w = em.randn(4, 3), em.randn(3, 2, requires_grad=True)
    out = linear(x, w, None, activation=my_relu)
    assert calls and out.grad_fn != "linear_relu"
    np.testing.assert_allclose(out.numpy(), linear(x, w, None, activation="relu").numpy())


def test_dense_and_conv_layers_fuse_through_the_op():
    dense = em.layers.Dense(3, activation=em.nn.functional.relu)
    assert dense(em.randn(2, 4)).grad_fn == "linear_relu"
    conv = em.layers.Conv2D(2, 3, activation="relu")
    assert conv(em.randn(1, 6, 6, 1)).grad_fn == "conv2d_relu"
    conv1 = em.layers.Conv1D(2, 3, activation=em.activations.relu)
    assert conv1(em.randn(1, 6, 2)).grad_fn == "conv1d_relu"
    # an activation the ops do not fuse is applied after the op
    assert em.layers.Dense(3, activation="tanh")(em.randn(2, 4)).grad_fn == "tanh"


def test_an_unknown_activation_name_at_the_op_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        linear(em.randn(2, 3), em.randn(3, 2), activation="rleu")


@pytest.mark.parametrize("softmax", ["softmax", em.activations.softmax, em.nn.functional.softmax])
def test_compile_fuses_the_last_softmax_with_its_crossentropy(softmax):
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Input(shape=(4,)),
                           em.layers.Dense(3, activation=softmax)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    plan = model._trainer._fused_outputs()
    assert plan[0] is not None and plan[0].kind == "softmax"
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    loss, outs = model._trainer._forward_loss([x], [y], None, training=True)
    assert loss.grad_fn == "softmax_cross_entropy"
    assert outs[0].grad_fn == "linear"  # the logits: no softmax computed for the loss
    probs = model.predict(x, verbose=0)  # predict still returns probabilities
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)
    logits = x @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy()
    expected = -np.mean(logits[np.arange(6), y] - np.log(np.exp(logits).sum(-1)))
    assert loss.item() == pytest.approx(float(expected), rel=1e-5)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert 0.0 <= history.history["accuracy"][0] <= 1.0


def test_compile_fuses_a_sigmoid_with_binary_crossentropy_and_nothing_else():
    model = em.Sequential([em.layers.Input(shape=(2,)), em.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    assert model._trainer._fused_outputs()[0].kind == "sigmoid"
    for activation, loss in (("sigmoid", "mse"), ("softmax", "binary_crossentropy"),
                             (lambda t: em.softmax(t), "categorical_crossentropy")):
        m = em.Sequential([em.layers.Input(shape=(2,)),
                           em.layers.Dense(2, activation=activation)])
        m.compile(optimizer="sgd", loss=loss)
        assert m._trainer._fused_outputs() == [None]
    m = em.Sequential([em.layers.Input(shape=(2,)), em.layers.Dense(2, activation="softmax")])
    m.compile(optimizer="sgd", loss=em.losses.CategoricalCrossentropy(from_logits=True))
    assert m._trainer._fused_outputs() == [None]  # the user already gives logits


def test_a_functional_model_fuses_each_output_by_its_own_pair():
    inp = em.layers.Input(shape=(3,))
    hidden = em.layers.Dense(4, activation="relu")(inp)
    a = em.layers.Dense(2, activation="softmax", name="a")(hidden)
    b = em.layers.Dense(1, name="b")(hidden)
    model = em.Model(inp, [a, b])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    plan = model._trainer._fused_outputs()
    assert plan[0].kind == "softmax" and plan[1] is None
    x = np.ones((4, 3), np.float32)
    model.fit(x, [np.array([0, 1, 0, 1]), np.zeros((4, 1), np.float32)], verbose=0)
    probs, _ = model.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("make_layers, x_shape, y_width", [
    # a recurrent layer's activation runs inside every step: its output is no logit
    (lambda: [em.layers.SimpleRNN(1, activation="sigmoid")], (5, 3), 1),
    (lambda: [em.layers.GRU(2, activation="sigmoid")], (5, 3), 2),
    (lambda: [em.layers.DepthwiseConv1D(5, activation="sigmoid"), em.layers.Flatten()],
     (5, 3), 3),
    # layers that hand back their logits, fused
    (lambda: [em.layers.Conv1DTranspose(2, 3, activation="sigmoid"), em.layers.Flatten()],
     (5, 3), 14),
    (lambda: [em.layers.Conv3D(1, 2, activation="sigmoid"), em.layers.Flatten()],
     (3, 3, 3, 2), 8),
    (lambda: [em.layers.Flatten(), em.layers.Dense(2, activation="sigmoid")], (5, 3), 2),
])
def test_the_compiled_loss_equals_the_loss_of_the_predictions(make_layers, x_shape, y_width):
    """Whichever output layer ends in a sigmoid, evaluate's binary cross-entropy is the loss
    of what predict returns (a layer that cannot hand back its logits is not fused)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16,) + x_shape).astype("float32")
    y = rng.integers(0, 2, (16, y_width)).astype("float32")
    model = em.Sequential([em.Input(x_shape)] + make_layers())
    model.compile("sgd", "binary_crossentropy")
    want = float(em.losses.binary_crossentropy(y, model.predict(x, verbose=0)).numpy().mean())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(want, rel=1e-5)
