"""Optimizers beyond their update rules: state save and restore, dtypes, learning-rate
settings and schedules, config round trips, string shortcuts, argument errors, and flushing of
subnormal moments."""

import numpy as np
import pytest

import ember as em
from ember.optimizers import schedules
from test_optimizers import start_and_grads

# ---------------------------------------------------------------- state and dtypes
ALL = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"]


def make(name):
    kw = {"sgd": dict(momentum=0.9, nesterov=True), "rmsprop": dict(momentum=0.5, centered=True),
          "adam": dict(amsgrad=True)}.get(name, {})
    return type(em.optimizers.get(name))(learning_rate=0.01, **kw)


@pytest.mark.parametrize("name", ALL)
def test_saved_and_restored_state_continues_bit_identically(name):
    w0, grads = start_and_grads(steps=10)
    params = [em.tensor(w.copy(), requires_grad=True) for w in w0]
    opt = make(name)
    for gs in grads[:5]:
        for p, g in zip(params, gs):
            p.grad = em.tensor(g)
        opt.step(params)
    # as a file writer may: copies, with scalars turned into shape-(1,) arrays
    state = {k: np.ascontiguousarray(v).copy() for k, v in opt.get_state().items()}
    clones = [em.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    restored = make(name)
    restored.set_state(state, clones)
    for gs in grads[5:]:
        for ps in (params, clones):
            for p, g in zip(ps, gs):
                p.grad = em.tensor(g)
        opt.step(params)
        restored.step(clones)
    for p, c in zip(params, clones):
        np.testing.assert_array_equal(p.numpy(), c.numpy())
    assert restored.iterations == opt.iterations == 10
    assert all(np.array_equal(a, b) for a, b in zip(opt.variables(), restored.variables()))


def test_set_state_rejects_mismatched_parameters():
    w = em.ones(3, requires_grad=True)
    w.grad = em.ones(3)
    opt = em.optimizers.Adam()
    opt.step([w])
    with pytest.raises(ValueError, match="shape"):
        em.optimizers.Adam().set_state(opt.get_state(), [em.ones(4, requires_grad=True)])
    with pytest.raises(ValueError, match="parameter 0"):
        em.optimizers.Adam().set_state(opt.get_state(), [])


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_for_parameters_and_slots(name, dtype):
    w = em.tensor(np.ones((3, 2), dtype), requires_grad=True)
    for _ in range(2):
        w.grad = em.tensor(np.full((3, 2), 0.5, "float64"))  # a float64 gradient is cast
        make(name).step([w])
    opt = make(name)
    w.grad = em.tensor(np.full((3, 2), 0.5, dtype))
    opt.step([w])
    assert w.dtype == dtype
    assert all(v.dtype == dtype for v in opt.variables()[1:])


# ---------------------------------------------------------------- learning rate and schedules
def test_schedule_is_evaluated_at_iterations():
    sched = schedules.PiecewiseConstantDecay([1], [1.0, 0.25])
    w = em.zeros(1, requires_grad=True)
    opt = em.optimizers.SGD(learning_rate=sched)
    for expected in (-1.0, -2.0, -2.25, -2.5):   # rates 1, 1, 0.25, 0.25 (step <= 1 -> 1.0)
        assert opt.learning_rate == sched(opt.iterations)
        w.grad = em.ones(1)
        opt.step([w])
        assert w.item() == pytest.approx(expected)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.1


def test_learning_rate_is_settable():
    w = em.zeros(1, requires_grad=True)
    opt = em.optimizers.SGD(learning_rate=0.1)
    opt.learning_rate = 0.5
    w.grad = em.ones(1)
    opt.step([w])
    assert w.item() == pytest.approx(-0.5)
    opt.learning_rate = lambda: 0.25   # Keras also accepts a callable of no arguments
    opt.step([w])
    assert w.item() == pytest.approx(-0.75)


# ---------------------------------------------------------------- config, get, errors
@pytest.mark.parametrize("name", ALL)
def test_get_config_round_trip(name):
    opt = make(name)
    clone = type(opt).from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    again = em.optimizers.deserialize(em.optimizers.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


def test_schedule_survives_config_round_trip():
    opt = em.optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2,
                                                                 warmup_steps=10))
    clone = em.optimizers.Adam.from_config(opt.get_config())
    assert isinstance(clone._learning_rate, schedules.CosineDecay)
    assert clone.get_config() == opt.get_config()


def test_get_shortcuts_and_keras_defaults():
    classes = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
               "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax",
               "nadam": "Nadam"}
    for short, cls in classes.items():
        assert type(em.optimizers.get(short)).__name__ == cls
        assert type(em.optimizers.get(cls)).__name__ == cls
    sgd, adam = em.optimizers.get("sgd"), em.optimizers.get("adam")
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999,
                                                                            1e-7)
    assert em.optimizers.get("adamw").weight_decay == 0.004
    assert em.optimizers.get("adagrad").initial_accumulator_value == 0.1
    assert em.optimizers.get("adadelta").rho == 0.95
    assert em.optimizers.get(adam) is adam
    with pytest.raises(ValueError, match="valid names: sgd, adam, adamw"):
        em.optimizers.get("adamm")
    with pytest.raises(TypeError, match="expected an optimizer name"):
        em.optimizers.get(3)


@pytest.mark.parametrize("make_bad,match", [
    (lambda: em.optimizers.SGD(learning_rate=-0.1), "learning_rate` must be >= 0"),
    (lambda: em.optimizers.Adam(learning_rate="fast"), "must be a number"),
    (lambda: em.optimizers.Adam(beta_1=1.0), r"beta_1` must be in \[0, 1\)"),
    (lambda: em.optimizers.Nadam(beta_2=-0.1), r"beta_2` must be in \[0, 1\)"),
    (lambda: em.optimizers.Adamax(beta_1=1.5), "beta_1"),
    (lambda: em.optimizers.SGD(momentum=1.5), r"momentum` must be in \[0, 1\]"),
    (lambda: em.optimizers.RMSprop(rho=1.0), "rho"),
    (lambda: em.optimizers.Adagrad(initial_accumulator_value=-1.0), "initial_accumulator"),
    (lambda: em.optimizers.Adam(epsilon=-1e-7), "epsilon"),
    (lambda: em.optimizers.Adam(clipnorm=0.0), "clipnorm` must be > 0"),
    (lambda: em.optimizers.Adam(clipnorm=1.0, clipvalue=1.0), "only one of"),
    (lambda: em.optimizers.SGD(weight_decay=-0.1), "weight_decay"),
    (lambda: em.optimizers.AdamW(weight_decay=None), "weight_decay"),
    (lambda: em.optimizers.Adam(lrate=0.1), "not recognized"),  # lr= is PyTorch's alias
])
def test_invalid_hyperparameters_raise_clear_errors(make_bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_bad()


def test_parameters_must_be_tensors():
    with pytest.raises(TypeError, match="ember Tensors"):
        em.optimizers.SGD().step([np.ones(3)])


def test_tiny_moments_are_flushed_to_zero_instead_of_going_subnormal():
    p = em.Variable(np.ones(4, np.float32))
    opt = em.optimizers.Adam()
    p.grad = em.tensor(np.ones(4, np.float32))
    opt.apply([p])
    p.grad = em.tensor(np.zeros(4, np.float32))
    for _ in range(767):  # the momentum decays as 0.1 * 0.9**t: below 1e-30 after ~640 steps
        opt.apply([p])
    state = opt.get_state()
    momentum = next(v for k, v in state.items() if k.startswith("momentum"))
    assert np.all(momentum == 0.0)
    assert np.all(np.isfinite(p.numpy()))
