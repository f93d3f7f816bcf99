"""em.GradientTape: tf.GradientTape's recorder over ember's autograd (gradients checked against
PyTorch's autograd and against closed forms)."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em

torch = pytest.importorskip("torch")


def test_gradient_matches_torch_for_a_model_loss():
    rng = np.random.RandomState(0)
    w_np, b_np = rng.randn(3, 2), rng.randn(2)
    x_np = rng.randn(5, 3)
    w, b = em.tensor(w_np, requires_grad=True), em.tensor(b_np, requires_grad=True)
    with em.GradientTape() as tape:
        loss = em.mean(em.tanh(em.tensor(x_np) @ w + b) ** 2)
    gw, gb = tape.gradient(loss, [w, b])
    tw = torch.tensor(w_np, requires_grad=True)
    tb = torch.tensor(b_np, requires_grad=True)
    torch.mean(torch.tanh(torch.tensor(x_np) @ tw + tb) ** 2).backward()
    np.testing.assert_allclose(gw.data, tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gb.data, tb.grad.numpy(), rtol=1e-10)


def test_non_persistent_tape_answers_once_persistent_many():
    x = em.tensor(3.0)
    with em.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert tape.gradient(y, x).item() == 6.0
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)
    with em.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert tape.gradient(z, x).item() == 108.0  # 4 x^3
    assert tape.gradient(y, x).item() == 6.0


def test_nested_tapes_give_second_derivatives():
    x = em.tensor(2.0)
    with em.GradientTape() as outer:
        outer.watch(x)
        with em.GradientTape() as inner:
            inner.watch(x)
            y = x ** 3
        dy = inner.gradient(y, x)
    assert dy.item() == 12.0  # 3 x^2
    assert outer.gradient(dy, x).item() == 12.0  # 6 x


def test_unconnected_structures_and_non_scalar_targets():
    a = em.tensor([1.0, 2.0], requires_grad=True)
    b = em.tensor([5.0], requires_grad=True)
    with em.GradientTape(persistent=True) as tape:
        y = a * 3.0  # non-scalar: TensorFlow differentiates its sum
    grads = tape.gradient(y, {"a": a, "b": b})
    assert grads["a"].data.tolist() == [3.0, 3.0] and grads["b"] is None
    zero = tape.gradient(y, (a, b), unconnected_gradients="zero")
    assert isinstance(zero, tuple) and zero[1].data.tolist() == [0.0]
    weighted = tape.gradient(y, a, output_gradients=em.tensor([1.0, 10.0]))
    assert weighted.data.tolist() == [3.0, 30.0]


def test_tape_records_inside_no_grad_and_stop_recording():
    w = em.tensor(2.0, requires_grad=True)
    with em.no_grad():
        with em.GradientTape() as tape:
            y = w * w
            with tape.stop_recording():
                c = w * 10.0
    assert not c.requires_grad
    assert tape.gradient(y, w).item() == 4.0


def test_watch_refuses_what_has_no_gradient():
    with em.GradientTape() as tape:
        with pytest.raises(TypeError, match="floating-point"):
            tape.watch(em.tensor([1, 2]))
        with pytest.raises(TypeError, match="ember tensor"):
            tape.watch(np.ones(2))


def test_apply_gradients_with_a_tape_trains_a_model():
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((2,)), em.layers.Dense(1)])
    opt = em.optimizers.SGD(learning_rate=0.1)
    x = np.random.RandomState(1).rand(32, 2).astype("float32")
    y = x @ np.array([[2.0], [-1.0]], dtype="float32")
    loss_fn = em.losses.MeanSquaredError()
    first = None
    for _ in range(50):
        with em.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        first = first if first is not None else loss.item()
    assert loss.item() < 0.25 * first
