"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"), as Keras' ``Lion``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer
from ember.optimizers.validation import _as_float


class Lion(Optimizer):
    """Lion: a step of fixed size along the sign of an interpolated momentum.

    For a parameter ``w`` with gradient ``g``::

        w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Every element moves by exactly ``learning_rate`` (or 0), so Lion wants a learning rate
    3-10x smaller than AdamW's.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        beta_1: weight of the momentum in the step's sign, in [0, 1]. Defaults to 0.9.
        beta_2: decay rate of the momentum, in [0, 1]. Defaults to 0.99.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = em.optimizers.Lion(learning_rate=0.1)
        >>> w.grad = em.tensor([0.5, -2.0])
        >>> opt.step([w])          # each weight moves by lr against the gradient's sign
        >>> w
        tensor([ 0.9, -0.9], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        # as Keras: beta_1 = 0 would make Lion plain SignSGD, so it must be in (0, 1]
        self.beta_1 = _as_float("Lion", "beta_1", beta_1, low=0.0, high=1.0, low_open=True)
        self.beta_2 = _as_float("Lion", "beta_2", beta_2, low=0.0, high=1.0)

    def _slot_specs(self) -> list:
        return [("momentum", 0.0)]

    def _update_step(self, data: Any, grad: Any, slots: dict, lr: float, work: list) -> None:
        xp = xp_of(data)
        m, t = slots["momentum"], work[0]
        b1, b2 = self.beta_1, self.beta_2
        xp.multiply(m, b1, out=t)
        t += grad * (1.0 - b1)
        xp.sign(t, out=t)
        t *= lr
        data -= t
        m *= b2
        m += grad * (1.0 - b2)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
