"""Nadam: Adam with Nesterov momentum (Dozat, 2015), as ``keras.optimizers.Nadam``."""

from __future__ import annotations

import math
from typing import Any

from ember import backend
from ember.backend import xp_of
from ember.optimizers.base import Optimizer, _as_float
from ember.optimizers.state import _scalar


class Nadam(Optimizer):
    """Adam whose first moment looks one step ahead, with Dozat's momentum schedule.

    For a parameter ``w`` with gradient ``g`` at step ``t = iterations + 1``::

        u_t = beta_1 * (1 - 0.5 * 0.96**t);  u_next = beta_1 * (1 - 0.5 * 0.96**(t + 1))
        u_product = u_product * u_t                 # the product of all u so far (starts at 1)
        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g**2 - v)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    This is ``torch.optim.NAdam`` with ``momentum_decay=1.0`` (torch's default 0.004 uses
    ``0.96**(0.004 t)``) and the same epsilon placement.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: small constant >= 0. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.Nadam(learning_rate=0.1)
        >>> w.grad = em.tensor([2.0])
        >>> opt.step([w]); w.item() < 1.0
        True
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "nadam",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.beta_1 = _as_float("Nadam", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = _as_float("Nadam", "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = _as_float("Nadam", "epsilon", epsilon, low=0.0)
        self.u_product = 1.0

    _n_work = 2

    def _slot_specs(self) -> list:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _step_constants(self, lr: float) -> tuple:
        t = self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        self.u_product *= u_t           # once per update, shared by every parameter
        c_m = u_next / (1.0 - self.u_product * u_next)
        c_g = (1.0 - u_t) / (1.0 - self.u_product)
        # sqrt(v / bc2) + eps == (sqrt(v) + eps * sqrt(bc2)) / sqrt(bc2): fold sqrt(bc2) in.
        root_bc2 = math.sqrt(1.0 - b2 ** t)
        return b1, b2, c_m / c_g, lr * c_g * root_bc2, self.epsilon * root_bc2

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: tuple,
                     work: list) -> None:
        b1, b2, ratio, scale, eps = consts
        xp = xp_of(data)
        m, v = slots["momentum"], slots["velocity"]
        n, t = work
        xp.subtract(grad, m, out=t)
        t *= 1.0 - b1
        m += t                                      # m += (1 - b1) (g - m)
        xp.multiply(grad, grad, out=t)
        t -= v
        t *= 1.0 - b2
        v += t                                      # v += (1 - b2) (g^2 - v)
        xp.multiply(m, ratio, out=n)
        n += grad                                   # m_hat / c_g
        xp.sqrt(v, out=t)
        t += eps
        n /= t
        n *= scale
        data -= n

    def _extra_state(self) -> dict:
        return {"u_product": backend.numpy_module().array(self.u_product, dtype="float64")}

    def _read_extra_state(self, state: dict) -> dict:
        u = float(_scalar(state["u_product"])) if "u_product" in state else 1.0
        if not 0.0 < u < float("inf"):
            raise ValueError(f"Nadam.set_state: 'u_product' must be a finite number > 0; got "
                             f"{u!r}")
        return {"u_product": u}

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
