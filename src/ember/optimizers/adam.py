"""Adam (Kingma & Ba, 2014) with the optional AMSGrad variant, as ``keras.optimizers.Adam``."""

from __future__ import annotations

import math
from typing import Any

from ember.backend import xp_of
from ember.kernels.registry import fast
from ember.optimizers.base import Optimizer, _as_float


class Adam(Optimizer):
    """Adam: a step along the bias-corrected first moment over the root of the second.

    For a parameter ``w`` with gradient ``g`` at step ``t = iterations + 1``::

        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g**2 - v)
        v_hat = max(v_hat, v)                       # amsgrad only; v_hat replaces v below
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (sqrt(v) + epsilon)

    This is Keras 3's form, with ``epsilon`` the paper's "epsilon hat": ``torch.optim.Adam``
    adds its ``eps`` to ``sqrt(v / (1 - beta_2**t))`` instead, which is the same update with
    ``eps_torch = epsilon / sqrt(1 - beta_2**t)`` (identical when epsilon is negligible).

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        beta_1: decay rate of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: small constant >= 0 added to the denominator. Defaults to 1e-7.
        amsgrad: use the maximum of past second moments (Reddi et al., 2018). Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = em.optimizers.Adam(learning_rate=0.1)
        >>> w.grad = em.tensor([0.5, -2.0])
        >>> opt.step([w])          # the first step moves each weight by ~lr * sign(g)
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -0.9]
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str = "adam",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        owner = type(self).__name__
        self.beta_1 = _as_float(owner, "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = _as_float(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = _as_float(owner, "epsilon", epsilon, low=0.0)
        self.amsgrad = bool(amsgrad)

    def _slot_specs(self) -> list:
        specs = [("momentum", 0.0), ("velocity", 0.0)]
        return specs + [("velocity_hat", 0.0)] if self.amsgrad else specs

    def _step_constants(self, lr: float) -> tuple:
        t = self.iterations + 1
        b1, b2 = float(self.beta_1), float(self.beta_2)
        alpha = lr * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        return b1, b2, alpha, float(self.epsilon)

    def _run_update(self, data: Any, grad: Any, slots: dict, consts: tuple) -> None:
        # The fused one-pass kernel (ember.kernels.adam_fused, with numba) where it applies;
        # it declines (False) arrays it does not handle; AMSGrad is not in it, nor a
        # subclass's own _update_step.
        fused = None if self.amsgrad or type(self)._update_step is not Adam._update_step \
            else fast("adam_update")
        if fused is None or not fused(data, grad, slots["momentum"], slots["velocity"], consts):
            super()._run_update(data, grad, slots, consts)

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: tuple,
                     work: list) -> None:
        # 12 in-place passes over the parameter and no allocation: the bias corrections are
        # folded into the scalar `alpha`. The moving averages are updated as Keras writes them,
        # avg += (1 - beta) * (x - avg), which keeps float32 accurate where beta * avg and x
        # nearly cancel (v after the first step is 0.001 g^2).
        b1, b2, alpha, eps = consts
        xp = xp_of(data)
        m, v = slots["momentum"], slots["velocity"]
        t = work[0]
        xp.subtract(grad, m, out=t)
        t *= 1.0 - b1
        m += t
        xp.multiply(grad, grad, out=t)
        t -= v
        t *= 1.0 - b2
        v += t
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=t)
        t += eps
        xp.divide(m, t, out=t)
        t *= alpha
        data -= t

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
