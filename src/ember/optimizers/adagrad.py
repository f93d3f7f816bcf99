"""Adagrad (Duchi et al., 2011), as ``keras.optimizers.Adagrad``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer, _as_float


class Adagrad(Optimizer):
    """Per-parameter rates that shrink with the sum of all past squared gradients.

    For a parameter ``w`` with gradient ``g``::

        accumulator = accumulator + g**2            # starts at initial_accumulator_value
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    Keras puts ``epsilon`` inside the square root; ``torch.optim.Adagrad`` adds its ``eps``
    after it, so the two agree when epsilon is negligible (and torch's default initial
    accumulator is 0, Keras' 0.1).

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        initial_accumulator_value: starting value of the accumulators, >= 0. Defaults to 0.1.
        epsilon: small constant >= 0. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.Adagrad(learning_rate=0.5, initial_accumulator_value=0.0,
        ...                             epsilon=0.0)
        >>> w.grad = em.tensor([3.0])
        >>> opt.step([w])          # 1 - 0.5 * 3 / sqrt(9)
        >>> w
        tensor([0.5], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "adagrad",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.initial_accumulator_value = _as_float(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0)
        self.epsilon = _as_float("Adagrad", "epsilon", epsilon, low=0.0)

    def _slot_specs(self) -> list:
        return [("accumulator", self.initial_accumulator_value)]

    def _update_step(self, data: Any, grad: Any, slots: dict, lr: float,
                     work: list) -> None:
        xp = xp_of(data)
        acc = slots["accumulator"]
        t = work[0]
        xp.multiply(grad, grad, out=t)
        acc += t
        xp.add(acc, self.epsilon, out=t)
        xp.sqrt(t, out=t)
        xp.divide(grad, t, out=t)
        t *= lr
        data -= t

    def get_config(self) -> dict:
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
