"""LAMB (You et al., 2019, "Large Batch Optimization for Deep Learning"), as Keras' ``Lamb``."""

from __future__ import annotations

import math
from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer
from ember.optimizers.validation import _as_float


class Lamb(Optimizer):
    """LAMB: Adam's direction, rescaled per parameter by a trust ratio ``||w|| / ||update||``.

    For a parameter ``w`` with gradient ``g`` at step ``t = iterations + 1``::

        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g**2 - v)
        r = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        ratio = ||w|| / ||r||  if both norms are > 0, else 1
        w = w - learning_rate * ratio * r

    The norms are over the whole parameter, so a layer's step size follows its weights' size.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: small constant >= 0 added to the denominator. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([3.0, 4.0], requires_grad=True)
        >>> opt = em.optimizers.Lamb(learning_rate=0.1)
        >>> w.grad = em.tensor([1.0, 1.0])
        >>> opt.step([w])          # r = [1, 1], ratio = 5 / sqrt(2)
        >>> [round(x, 4) for x in w.tolist()]
        [2.6464, 3.6464]
    """

    _n_work = 2

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.beta_1 = _as_float("Lamb", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = _as_float("Lamb", "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = _as_float("Lamb", "epsilon", epsilon, low=0.0)

    def _slot_specs(self) -> list:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _step_constants(self, lr: float) -> tuple:
        t = self.iterations + 1
        return lr, 1.0 - self.beta_1 ** t, 1.0 - self.beta_2 ** t

    def _run_update(self, data: Any, grad: Any, slots: dict, consts: Any) -> None:
        # the trust ratio needs the norms of the whole parameter: never block by block
        self._update_step(data, grad, slots, consts, self._work(data, data.size, data.shape))

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: tuple,
                     work: list) -> None:
        lr, c1, c2 = consts
        xp = xp_of(data)
        m, v = slots["momentum"], slots["velocity"]
        r, t = work
        xp.subtract(grad, m, out=t)
        t *= 1.0 - self.beta_1
        m += t
        xp.multiply(grad, grad, out=t)
        t -= v
        t *= 1.0 - self.beta_2
        v += t
        xp.divide(v, c2, out=t)
        xp.sqrt(t, out=t)
        t += self.epsilon
        xp.divide(m, c1, out=r)
        r /= t
        flat_w, flat_r = data.ravel(), r.ravel()
        w_norm = math.sqrt(float(xp.dot(flat_w, flat_w)))
        r_norm = math.sqrt(float(xp.dot(flat_r, flat_r)))
        ratio = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
        r *= lr * ratio
        data -= r

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
