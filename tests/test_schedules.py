"""Learning-rate schedules against their formulas (and a few values recorded from Keras 3)."""

import math

import numpy as np
import pytest

import ember as em
from ember.optimizers import schedules as S

STEPS = [0, 1, 2, 3, 5, 7, 10, 11, 16, 25, 100]


def check(schedule, formula, steps=STEPS):
    for step in steps:
        assert schedule(step) == pytest.approx(formula(step), rel=1e-12, abs=1e-15), step
        assert isinstance(schedule(step), float)


def test_exponential_decay():
    check(S.ExponentialDecay(0.1, 4, 0.5), lambda s: 0.1 * 0.5 ** (s / 4))
    check(S.ExponentialDecay(0.1, 4, 0.5, staircase=True), lambda s: 0.1 * 0.5 ** (s // 4))


def test_piecewise_constant_decay():
    values = [1.0, 0.5, 0.1]
    check(S.PiecewiseConstantDecay([3, 10], values),
          lambda s: values[0] if s <= 3 else values[1] if s <= 10 else values[2])


def test_inverse_time_decay():
    check(S.InverseTimeDecay(0.1, 2, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 2))
    check(S.InverseTimeDecay(0.1, 2, 0.5, staircase=True), lambda s: 0.1 / (1 + 0.5 * (s // 2)))


def test_polynomial_decay():
    def poly(s):
        s = min(s, 10)
        return (0.1 - 0.01) * (1 - s / 10) ** 2 + 0.01

    check(S.PolynomialDecay(0.1, 10, 0.01, power=2.0), poly)

    def cycled(s):
        d = 4 * (1 if s == 0 else math.ceil(s / 4))
        return (0.1 - 0.01) * (1 - s / d) ** 0.5 + 0.01

    check(S.PolynomialDecay(0.1, 4, 0.01, power=0.5, cycle=True), cycled)


def test_cosine_decay():
    def cosine(s, start=0.1, steps=10, alpha=0.2):
        s = min(s, steps)
        return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / steps)) + alpha)

    check(S.CosineDecay(0.1, 10, alpha=0.2), cosine)

    def warm(s):
        if s < 4:
            return 0.01 + (0.1 - 0.01) * s / 4
        return cosine(min(s, 14) - 4)

    check(S.CosineDecay(0.01, 10, alpha=0.2, warmup_target=0.1, warmup_steps=4), warm)


def test_cosine_decay_restarts():
    check(S.CosineDecayRestarts(1.0, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
          lambda s: (0.9 * 0.5 * 0.5 ** (s // 4) * (1 + math.cos(math.pi * (s % 4) / 4)) + 0.1))
    # t_mul=2: periods of 3, 6, 12 steps starting at steps 0, 3, 9
    sched = S.CosineDecayRestarts(1.0, 3, t_mul=2.0, m_mul=1.0)
    for step, start, length in [(0, 0, 3), (2, 0, 3), (3, 3, 6), (8, 3, 6), (9, 9, 12)]:
        assert sched(step) == pytest.approx(0.5 * (1 + math.cos(math.pi * (step - start)
                                                                / length)))


@pytest.mark.parametrize("schedule,expected", [
    # recorded from keras 3.15.1 (float32) at steps 0, 3, 4, 7, 13, 14, 20
    (S.CosineDecay(0.01, 10, alpha=0.1, warmup_target=0.1, warmup_steps=4),
     [0.01, 0.0775, 0.1, 0.08145033568143845, 0.012202459387481213, 0.01, 0.01]),
    (S.PolynomialDecay(0.1, 4, 0.01, power=0.5, cycle=True),
     [0.1, 0.055, 0.01, 0.04181980341672897, 0.04897114634513855, 0.04181980341672897, 0.01]),
    (S.CosineDecayRestarts(0.1, 3, t_mul=2.0, m_mul=0.8, alpha=0.05),
     [0.1, 0.081, 0.07590897381305695, 0.024000003933906555, 0.0505999997258188,
      0.0432681068778038, 0.006035855505615473]),
])
def test_matches_recorded_keras_values(schedule, expected):
    got = [schedule(s) for s in (0, 3, 4, 7, 13, 14, 20)]
    assert got == pytest.approx(expected, rel=1e-6)


def test_step_may_be_a_tensor_or_numpy_integer():
    sched = S.ExponentialDecay(1.0, 1, 0.5)
    assert sched(em.tensor(2)) == sched(np.int64(2)) == 0.25


@pytest.mark.parametrize("cls,kwargs", [
    (S.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5)),
    (S.PiecewiseConstantDecay, dict(boundaries=[2, 5], values=[1.0, 0.5, 0.1])),
    (S.InverseTimeDecay, dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5)),
    (S.PolynomialDecay, dict(initial_learning_rate=0.1, decay_steps=3, cycle=True)),
    (S.CosineDecay, dict(initial_learning_rate=0.1, decay_steps=3, warmup_target=0.2,
                         warmup_steps=2)),
    (S.CosineDecayRestarts, dict(initial_learning_rate=0.1, first_decay_steps=3)),
])
def test_config_round_trip(cls, kwargs):
    sched = cls(**kwargs)
    for again in (cls.from_config(sched.get_config()), S.deserialize(S.serialize(sched))):
        assert type(again) is cls and again.get_config() == sched.get_config()
        assert [again(s) for s in range(12)] == [sched(s) for s in range(12)]


def test_invalid_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="decay_steps` must be > 0"):
        S.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one element fewer"):
        S.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="increase strictly"):
        S.PiecewiseConstantDecay([2, 1], [1.0, 0.5, 0.1])
    with pytest.raises(TypeError, match="must be a number"):
        S.CosineDecay("0.1", 10)
    with pytest.raises(ValueError, match="unknown schedule"):
        S.deserialize({"class_name": "Nope", "config": {}})


def test_custom_schedule_deserializes_with_custom_objects():
    class Halving(S.LearningRateSchedule):
        def __init__(self, lr):
            self.lr = lr

        def __call__(self, step):
            return self.lr / 2 ** int(step)

        def get_config(self):
            return {"lr": self.lr}

    again = S.deserialize(S.serialize(Halving(1.0)), custom_objects={"Halving": Halving})
    assert again(2) == 0.25
