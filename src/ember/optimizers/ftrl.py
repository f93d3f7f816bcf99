"""FTRL-Proximal (McMahan et al., 2013, "Ad Click Prediction"), as Keras' ``Ftrl``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer
from ember.optimizers.validation import _as_float


class Ftrl(Optimizer):
    """Follow The Regularized Leader: per-coordinate rates and L1/L2 regularization that sets
    weights exactly to zero (sparse models).

    For a parameter ``w`` with gradient ``g``, ``p = -learning_rate_power``::

        n_new = n + g**2
        z = z + (g + 2 * l2_shrinkage * w) - (n_new**p - n**p) / learning_rate * w
        q = n_new**p / learning_rate + 2 * (l2 + beta / (2 * learning_rate))
        w = (clip(z, -l1, l1) - z) / q          # 0 where |z| <= l1
        n = n_new

    Args:
        learning_rate: float > 0 or a schedule. Defaults to 0.001.
        learning_rate_power: <= 0; how the rate falls as the accumulator grows. Defaults -0.5.
        initial_accumulator_value: starting value of ``n``, >= 0. Defaults to 0.1.
        l1_regularization_strength: ``l1`` >= 0. Defaults to 0.
        l2_regularization_strength: ``l2`` >= 0 (stabilization penalty). Defaults to 0.
        l2_shrinkage_regularization_strength: >= 0, the magnitude penalty. Defaults to 0.
        beta: float; adds ``beta / (2 learning_rate)`` to ``l2``. Defaults to 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([0.0, 0.0], requires_grad=True)
        >>> opt = em.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.5)
        >>> w.grad = em.tensor([0.2, -2.0])
        >>> opt.step([w])          # |z| = 0.2 <= l1: exactly 0; the large gradient moves w
        >>> [round(x, 4) for x in w.tolist()]
        [0.0, 0.0741]
    """

    _n_work = 2

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        owner = "Ftrl"
        self.learning_rate_power = _as_float(owner, "learning_rate_power",
                                             learning_rate_power, high=0.0)
        self.initial_accumulator_value = _as_float(owner, "initial_accumulator_value",
                                                   initial_accumulator_value, low=0.0)
        self.l1_regularization_strength = _as_float(owner, "l1_regularization_strength",
                                                    l1_regularization_strength, low=0.0)
        self.l2_regularization_strength = _as_float(owner, "l2_regularization_strength",
                                                    l2_regularization_strength, low=0.0)
        self.l2_shrinkage_regularization_strength = _as_float(
            owner, "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength, low=0.0)
        self.beta = _as_float(owner, "beta", beta)

    def _slot_specs(self) -> list:
        return [("accumulator", self.initial_accumulator_value), ("linear", 0.0)]

    def _step_constants(self, lr: float) -> float:
        if not lr > 0.0:  # every term divides by it
            raise ValueError(f"Ftrl: the learning rate must be > 0 for an update; got {lr}")
        return lr

    def _update_step(self, data: Any, grad: Any, slots: dict, lr: float, work: list) -> None:
        xp = xp_of(data)
        accum, linear = slots["accumulator"], slots["linear"]
        new_accum, t = work
        p = -self.learning_rate_power
        xp.multiply(grad, grad, out=new_accum)
        new_accum += accum
        pow_new = xp.power(new_accum, p)
        # z += g + 2 * l2_shrinkage * w - (n_new**p - n**p) / lr * w
        xp.power(accum, p, out=t)
        xp.subtract(pow_new, t, out=t)
        t /= lr
        t *= data
        linear += grad
        shrink = self.l2_shrinkage_regularization_strength
        if shrink:
            linear += (2.0 * shrink) * data
        linear -= t
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        pow_new /= lr
        pow_new += 2.0 * l2
        l1 = self.l1_regularization_strength
        xp.clip(linear, -l1, l1, out=t)
        t -= linear
        xp.divide(t, pow_new, out=data)
        accum[...] = new_accum

    def get_config(self) -> dict:
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
