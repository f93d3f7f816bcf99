"""Optimizers: trajectories against Keras 3 (recorded), torch.optim and NumPy references of
Keras' formulas; clipping and weight decay (state, dtypes and config: test_optimizer_state)."""

import math

import numpy as np
import pytest

import ember as em
from ember.optimizers import schedules

SHAPES = [(4, 3), (5,)]
STEPS = 20


def start_and_grads(shapes=SHAPES, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    w0 = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(steps)]
    return w0, grads


def run_ember(opt, w0, grads, every=False):
    params = [em.tensor(w.copy(), requires_grad=True) for w in w0]
    traj = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = em.tensor(g)
        opt.step(params)
        traj.append([p.numpy().copy() for p in params])
    return traj if every else traj[-1]


def run_torch(name, kwargs, w0, grads, decay=None):
    """torch.optim's trajectory; ``decay`` = (lr, wd) applies Keras' decoupled decay first."""
    torch = pytest.importorskip("torch")
    params = [torch.tensor(w.copy(), requires_grad=True) for w in w0]
    opt = getattr(torch.optim, name)(params, **kwargs)
    traj = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g)
        if decay is not None:
            with torch.no_grad():
                for p in params:
                    p.mul_(1 - decay[0] * decay[1])
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return traj


def assert_traj(ours, ref, rtol=1e-5, atol=1e-6):
    for step, (a, b) in enumerate(zip(ours, ref)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"step {step}")


# ---------------------------------------------------------------- Keras 3 itself
# Final values of w0 = [0.5, -1, 2] after 20 steps with g_t[j] = sin(1.3 t + 0.7 j) (1 + j / 2),
# recorded from keras 3.15.1 (JAX backend, float32) with the same class and arguments.
KERAS_FINAL = {
    "sgd": [0.5149051547050476, -1.0484249591827393, 1.871422529220581],
    "sgd_nesterov": [0.04634357988834381, -1.938579797744751, 0.9930042028427124],
    "sgd_decay": [0.37959519028663635, -0.9084737300872803, 1.5098121166229248],
    "sgd_schedule": [-0.6324519515037537, -3.3175320625305176, -0.4618862271308899],
    "adam": [0.384084552526474, -1.1724909543991089, 1.8705317974090576],
    "adam_amsgrad_clipnorm": [0.39546269178390503, -1.174535870552063, 1.8589211702346802],
    "adamw": [0.36727795004844666, -1.036576271057129, 1.704430341720581],
    "rmsprop": [0.486425518989563, -1.0315916538238525, 1.9757847785949707],
    "rmsprop_centered": [0.42722630500793457, -1.0397822856903076, 1.9161432981491089],
    "adagrad": [0.44807669520378113, -1.1033095121383667, 1.924538254737854],
    "adadelta": [0.5200846195220947, -1.0971522331237793, 1.8245638608932495],
    "adamax": [0.4212154746055603, -1.145365595817566, 1.8898848295211792],
    "nadam": [0.4569006860256195, -1.0775152444839478, 1.9424344301223755],
}
KERAS_CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "sgd_decay": ("SGD", dict(learning_rate=0.1, momentum=0.5, weight_decay=0.1)),
    "sgd_schedule": ("SGD", dict(learning_rate=schedules.ExponentialDecay(0.2, 5, 0.5),
                                 momentum=0.9)),
    "adam": ("Adam", dict(learning_rate=0.05)),
    "adam_amsgrad_clipnorm": ("Adam", dict(learning_rate=0.05, amsgrad=True, clipnorm=0.5)),
    "adamw": ("AdamW", dict(learning_rate=0.05, weight_decay=0.1, epsilon=0.01)),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01)),
    "rmsprop_centered": ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True,
                                         clipvalue=0.5)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0, epsilon=1e-3, global_clipnorm=1.0)),
    "adamax": ("Adamax", dict(learning_rate=0.05)),
    "nadam": ("Nadam", dict(learning_rate=0.05)),
}


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_matches_recorded_keras_trajectory(case):
    cls, kwargs = KERAS_CASES[case]
    grads = [[(np.sin(1.3 * t + 0.7 * np.arange(3)) * (1 + 0.5 * np.arange(3)))
              .astype(np.float32)] for t in range(STEPS)]
    final = run_ember(getattr(em.optimizers, cls)(**kwargs),
                      [np.array([0.5, -1.0, 2.0], np.float32)], grads)
    np.testing.assert_allclose(final[0], KERAS_FINAL[case], rtol=1e-5, atol=2e-6)


# ---------------------------------------------------------------- torch.optim, where the
# formulas coincide. Keras and torch place epsilon differently for Adam/AdamW/Adamax
# (Keras: sqrt(v) + eps before the bias correction), RMSprop and Adagrad (Keras: inside the
# square root), so those run with a negligible epsilon; Adadelta and Nadam place it alike.
TORCH_CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1), "SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", dict(learning_rate=0.1, momentum=0.9),
                     "SGD", dict(lr=0.1, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True),
                     "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "adam": ("Adam", dict(learning_rate=0.01, epsilon=1e-12), "Adam", dict(lr=0.01, eps=1e-12)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.01, epsilon=1e-12, amsgrad=True),
                     "Adam", dict(lr=0.01, eps=1e-12, amsgrad=True)),
    "adamw": ("AdamW", dict(learning_rate=0.01, weight_decay=0.1, epsilon=1e-12),
              "AdamW", dict(lr=0.01, weight_decay=0.1, eps=1e-12)),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01, epsilon=1e-12),
                "RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-12)),
    "rmsprop_momentum_centered": (
        "RMSprop", dict(learning_rate=0.01, momentum=0.9, centered=True, epsilon=1e-12),
        "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9, centered=True, eps=1e-12)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1, epsilon=1e-12),
                "Adagrad", dict(lr=0.1, initial_accumulator_value=0.1, eps=1e-12)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0), "Adadelta", dict(lr=1.0, rho=0.95,
                                                                        eps=1e-7)),
    "adamax": ("Adamax", dict(learning_rate=0.01, epsilon=1e-12),
               "Adamax", dict(lr=0.01, eps=1e-12)),
    # torch's momentum_decay=0.004 scales the 0.96**t schedule; Keras' is torch's 1.0
    "nadam": ("Nadam", dict(learning_rate=0.01), "NAdam", dict(lr=0.01, eps=1e-7,
                                                                momentum_decay=1.0)),
}


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_follows_torch_optim(case):
    ours_cls, ours_kw, torch_cls, torch_kw = TORCH_CASES[case]
    w0, grads = start_and_grads()
    ref = run_torch(torch_cls, torch_kw, w0, grads)
    assert_traj(run_ember(getattr(em.optimizers, ours_cls)(**ours_kw), w0, grads, every=True),
                ref)


def test_sgd_weight_decay_is_decoupled_like_keras():
    # Keras' weight_decay is w -= lr * wd * w before the step (torch's SGD adds wd * w to g).
    w0, grads = start_and_grads()
    ref = run_torch("SGD", dict(lr=0.1, momentum=0.5), w0, grads, decay=(0.1, 0.2))
    opt = em.optimizers.SGD(0.1, momentum=0.5, weight_decay=0.2)
    assert_traj(run_ember(opt, w0, grads, every=True), ref)


# ---------------------------------------------------------------- NumPy references of Keras'
# formulas in float64, with the default epsilons (where torch's placement differs).
def keras_reference(name, w0, grads, lr, **kw):
    ws = [w.astype(np.float64) for w in w0]
    state = [dict() for _ in ws]
    for t, gs in enumerate(grads, 1):
        for w, g, s in zip(ws, gs, state):
            g = g.astype(np.float64)
            if name == "adam":
                s["m"] = s.get("m", 0) + (g - s.get("m", 0)) * 0.1
                s["v"] = s.get("v", 0) + (g * g - s.get("v", 0)) * 0.001
                v = s["vh"] = np.maximum(s.get("vh", 0), s["v"]) if kw.get("amsgrad") else s["v"]
                w -= lr * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * s["m"] / (np.sqrt(v) + 1e-7)
            elif name == "rmsprop":
                s["v"] = 0.9 * s.get("v", 0) + 0.1 * g * g
                w -= lr * g / np.sqrt(s["v"] + 1e-7)
            elif name == "adagrad":
                s["a"] = s.get("a", kw.get("initial_accumulator_value", 0.1)) + g * g
                w -= lr * g / np.sqrt(s["a"] + 1e-7)
            elif name == "adamax":
                s["m"] = s.get("m", 0) + (g - s.get("m", 0)) * 0.1
                s["u"] = np.maximum(0.999 * s.get("u", 0), np.abs(g))
                w -= lr * s["m"] / ((1 - 0.9 ** t) * (s["u"] + 1e-7))
    return ws


@pytest.mark.parametrize("name,cls,kw", [
    ("adam", "Adam", {}), ("adam", "Adam", {"amsgrad": True}), ("rmsprop", "RMSprop", {}),
    ("adagrad", "Adagrad", {}), ("adagrad", "Adagrad", {"initial_accumulator_value": 0.0}),
    ("adamax", "Adamax", {})])
def test_default_epsilon_matches_keras_formula(name, cls, kw):
    w0, grads = start_and_grads()
    grads = [[g * 1e-3 for g in gs] for gs in grads]  # small gradients: epsilon matters
    ours = run_ember(getattr(em.optimizers, cls)(learning_rate=0.01, **kw), w0, grads)
    for a, b in zip(ours, keras_reference(name, w0, grads, 0.01, **kw)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_large_parameters_are_updated_block_by_block_identically():
    # 75,001 elements take the cache-blocked path (with a short last block); (1, 7) does not.
    w0, grads = start_and_grads(shapes=[(75001,), (1, 7)], steps=3)
    ours = run_ember(em.optimizers.Adam(0.01), w0, grads)
    for a, b in zip(ours, keras_reference("adam", w0, grads, 0.01)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- clipping
def one_sgd_step(grads, **kw):
    params = [em.zeros(np.shape(g), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = em.tensor(np.asarray(g, np.float32))
    em.optimizers.SGD(learning_rate=1.0, **kw).step(params)
    return [-p.numpy() for p in params]  # = the clipped gradients


def test_clipnorm_clips_each_gradient_to_its_own_norm():
    small, big = one_sgd_step([[0.3, 0.4], [3.0, 4.0]], clipnorm=1.0)
    np.testing.assert_allclose(small, [0.3, 0.4], rtol=1e-6)   # norm 0.5: untouched
    np.testing.assert_allclose(big, [0.6, 0.8], rtol=1e-6)     # norm 5 -> 1


def test_global_clipnorm_scales_all_gradients_together():
    a, b = one_sgd_step([[3.0, 0.0], [0.0, 4.0]], global_clipnorm=1.0)
    np.testing.assert_allclose(np.concatenate([a, b]), [0.6, 0, 0, 0.8], rtol=1e-6)
    a, b = one_sgd_step([[0.3, 0.0], [0.0, 0.4]], global_clipnorm=1.0)
    np.testing.assert_allclose(np.concatenate([a, b]), [0.3, 0, 0, 0.4], rtol=1e-6)
    a, _ = one_sgd_step([[np.inf, 0.0], [0.0, 1.0]], global_clipnorm=1.0)
    assert np.isnan(a).all()  # as Keras: a non-finite global norm poisons the update


def test_clipvalue_clips_elementwise():
    (g,) = one_sgd_step([[-2.0, 0.1, 0.7]], clipvalue=0.5)
    np.testing.assert_allclose(g, [-0.5, 0.1, 0.5])


def test_clipping_does_not_change_the_gradient_tensors():
    w = em.zeros(2, requires_grad=True)
    w.grad = em.tensor([3.0, 4.0])
    em.optimizers.Adam(clipnorm=1.0).step([w])
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])


# ---------------------------------------------------------------- weight decay and bookkeeping
def test_weight_decay_and_exclusions():
    w, b = em.ones(2, requires_grad=True), em.ones(2, requires_grad=True)
    w.grad, b.grad = em.zeros(2), em.zeros(2)
    opt = em.optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
    opt.exclude_from_weight_decay([b])
    opt.step([w, b])
    np.testing.assert_allclose(w.numpy(), [0.9, 0.9], rtol=1e-6)   # 1 - 0.5 * 0.2
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])


class Named(em.Tensor):
    """A tensor with the `name` and `constraint` that ember.Variable carries."""


def test_weight_decay_exclusion_by_name_and_constraints_after_the_update():
    kernel, bias = Named(np.ones(2, np.float32)), Named(np.ones(2, np.float32))
    kernel.name, bias.name = "dense/kernel", "dense/bias"
    kernel.constraint, bias.constraint = (lambda w: em.clip(w, -0.5, 0.5)), None
    for p in (kernel, bias):
        p.requires_grad_()
        p.grad = em.zeros(2)
    opt = em.optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.step([kernel, bias])
    np.testing.assert_array_equal(kernel.numpy(), [0.5, 0.5])   # decayed to 0.9, then clipped
    np.testing.assert_array_equal(bias.numpy(), [1.0, 1.0])
    assert kernel._node is None                                 # no graph was recorded


def test_params_without_grad_are_skipped_and_versions_bumped():
    a, b = em.ones(3, requires_grad=True), em.ones(3, requires_grad=True)
    a.grad = em.ones(3)
    opt = em.optimizers.Adam()
    opt.step([a, b])
    assert a._version == 1 and b._version == 0
    np.testing.assert_array_equal(b.numpy(), np.ones(3))
    assert "momentum/0" in opt.get_state() and "momentum/1" not in opt.get_state()
    opt.zero_grad([a, b])
    assert a.grad is None
    opt.step([a, b])          # nothing to do: no update, no step counted
    assert opt.iterations == 1


def test_keras_forms_apply_gradients_and_apply():
    w = em.ones(2, requires_grad=True)
    opt = em.optimizers.SGD(learning_rate=0.5)
    assert opt.apply_gradients([(em.tensor([1.0, 2.0]), w)]) == 1
    opt.apply([np.array([1.0, 0.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])
    opt.build([w])
    w.grad = em.ones(2)
    opt.step()                 # the registered parameters
    np.testing.assert_allclose(w.numpy(), [-0.5, -0.5])
    with pytest.raises(ValueError, match="no gradient"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="shape"):
        opt.apply_gradients([(em.ones(3), w)])
