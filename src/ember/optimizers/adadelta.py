"""Adadelta (Zeiler, 2012), as ``keras.optimizers.Adadelta``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer, _as_float


class Adadelta(Optimizer):
    """Steps scaled by the ratio of moving RMS of past updates to moving RMS of gradients.

    For a parameter ``w`` with gradient ``g``::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -sqrt(accumulated_delta_var + epsilon) / sqrt(accumulated_grad + epsilon) * g
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta**2
        w = w + learning_rate * delta

    This is also ``torch.optim.Adadelta``'s rule (both put epsilon inside the roots).

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001 (the paper's form is 1.0).
        rho: decay rate, in [0, 1]. Defaults to 0.95.
        epsilon: small constant >= 0. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0)
        >>> w.grad = em.tensor([0.0])
        >>> opt.step([w]); w       # a zero gradient gives a zero step
        tensor([1.], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adadelta", **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.rho = _as_float("Adadelta", "rho", rho, low=0.0, high=1.0)
        self.epsilon = _as_float("Adadelta", "epsilon", epsilon, low=0.0)

    _n_work = 2

    def _slot_specs(self) -> list:
        return [("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]

    def _update_step(self, data: Any, grad: Any, slots: dict, lr: float,
                     work: list) -> None:
        xp = xp_of(data)
        rho, eps = self.rho, self.epsilon
        acc_g, acc_d = slots["accumulated_grad"], slots["accumulated_delta_var"]
        d, t = work
        xp.multiply(grad, grad, out=t)
        t -= acc_g
        t *= 1.0 - rho
        acc_g += t                                  # acc_g = rho acc_g + (1 - rho) g^2
        xp.add(acc_d, eps, out=d)
        xp.sqrt(d, out=d)
        d *= grad
        xp.add(acc_g, eps, out=t)
        xp.sqrt(t, out=t)
        d /= t                                      # d = -delta
        xp.multiply(d, d, out=t)
        t -= acc_d
        t *= 1.0 - rho
        acc_d += t                                  # acc_d = rho acc_d + (1 - rho) delta^2
        d *= lr
        data -= d

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
