"""Adamax: Adam with the infinity norm (Kingma & Ba, 2014, section 7.1), as Keras' ``Adamax``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer, _as_float


class Adamax(Optimizer):
    """Adam with the second moment replaced by an exponentially weighted infinity norm.

    For a parameter ``w`` with gradient ``g`` at step ``t = iterations + 1``::

        m = m + (1 - beta_1) * (g - m)
        u = max(beta_2 * u, abs(g))
        w = w - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    ``torch.optim.Adamax`` takes ``u = max(beta_2 * u, abs(g) + eps)`` and divides by ``u``;
    the two agree when epsilon is negligible.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the infinity norm, in [0, 1). Defaults to 0.999.
        epsilon: small constant >= 0. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.Adamax(learning_rate=0.1, epsilon=0.0)
        >>> w.grad = em.tensor([4.0])
        >>> opt.step([w]); w       # the first step is lr * sign(g)
        tensor([0.9], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "adamax",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.beta_1 = _as_float("Adamax", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = _as_float("Adamax", "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = _as_float("Adamax", "epsilon", epsilon, low=0.0)

    def _slot_specs(self) -> list:
        return [("momentum", 0.0), ("norm", 0.0)]

    def _step_constants(self, lr: float) -> float:
        return lr / (1.0 - self.beta_1 ** (self.iterations + 1))

    def _update_step(self, data: Any, grad: Any, slots: dict, step_size: float,
                     work: list) -> None:
        xp = xp_of(data)
        m, u = slots["momentum"], slots["norm"]
        t = work[0]
        xp.subtract(grad, m, out=t)
        t *= 1.0 - self.beta_1
        m += t                                      # m += (1 - beta_1) (g - m)
        u *= self.beta_2
        xp.abs(grad, out=t)
        xp.maximum(u, t, out=u)
        xp.add(u, self.epsilon, out=t)
        xp.divide(m, t, out=t)
        t *= step_size
        data -= t

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
