"""RMSprop (Hinton, 2012), optionally centered and with momentum, as Keras' ``RMSprop``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.kernels.registry import fast
from ember.optimizers.base import Optimizer, _as_float


class RMSprop(Optimizer):
    """Divide the gradient by the root of a moving average of its square.

    For a parameter ``w`` with gradient ``g``::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                 # centered only
        denominator = v - a**2 + epsilon  if centered  else  v + epsilon
        increment = learning_rate * g / sqrt(denominator)
        mom = momentum * mom + increment            # momentum > 0 only; then w -= mom
        w = w - increment

    Keras puts ``epsilon`` inside the square root; ``torch.optim.RMSprop`` adds its ``eps``
    after it (``sqrt(v) + eps``), so the two agree when epsilon is negligible. With momentum
    and a constant rate, torch's ``buf = momentum * buf + g / denominator; w -= lr * buf`` is
    the same update.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        rho: discount of the moving averages, in [0, 1). Defaults to 0.9.
        momentum: float in [0, 1]. Defaults to 0.0.
        epsilon: small constant >= 0. Defaults to 1e-7.
        centered: normalize by the estimated variance instead of the second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([10.0], requires_grad=True)
        >>> opt = em.optimizers.RMSprop(learning_rate=0.1)
        >>> w.grad = w.detach()    # the gradient of w**2 / 2
        >>> opt.step([w])          # Keras' own example: 10 - 0.1 / sqrt(0.1)
        >>> round(w.item(), 5)
        9.68377
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "rmsprop", **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.rho = _as_float("RMSprop", "rho", rho, low=0.0, high=1.0, high_open=True)
        self.momentum = _as_float("RMSprop", "momentum", momentum, low=0.0, high=1.0)
        self.epsilon = _as_float("RMSprop", "epsilon", epsilon, low=0.0)
        self.centered = bool(centered)

    def _slot_specs(self) -> list:
        specs = [("velocity", 0.0)]
        if self.momentum > 0:
            specs.append(("momentum", 0.0))
        if self.centered:
            specs.append(("average_gradient", 0.0))
        return specs

    def _run_update(self, data: Any, grad: Any, slots: dict, consts: Any) -> None:
        # the one-pass kernel (ember.kernels.rmsprop_fused, with numba) where it applies; it
        # declines (False) what it does not handle, and a subclass's own _update_step runs
        fused = None if type(self)._update_step is not RMSprop._update_step \
            else fast("rmsprop_update")
        if fused is None or not fused(data, grad, slots, consts, self.rho, self.epsilon,
                                      self.momentum, self.centered):
            super()._run_update(data, grad, slots, consts)

    def _update_step(self, data: Any, grad: Any, slots: dict, lr: float,
                     work: list) -> None:
        xp = xp_of(data)
        rho, eps = self.rho, self.epsilon
        v = slots["velocity"]
        t = work[0]
        # avg += (1 - rho) (x - avg): rho avg + (1 - rho) x without float32 cancellation.
        xp.multiply(grad, grad, out=t)
        t -= v
        t *= 1.0 - rho
        v += t                                      # v = rho v + (1 - rho) g^2
        if self.centered:
            a = slots["average_gradient"]
            xp.subtract(grad, a, out=t)
            t *= 1.0 - rho
            a += t                                  # a = rho a + (1 - rho) g
            xp.multiply(a, a, out=t)
            xp.subtract(v, t, out=t)
            t += eps
        else:
            xp.add(v, eps, out=t)
        xp.sqrt(t, out=t)
        xp.divide(grad, t, out=t)
        t *= lr                                     # increment = lr g / sqrt(denominator)
        if self.momentum > 0:
            mom = slots["momentum"]
            mom *= self.momentum
            mom += t
            data -= mom
        else:
            data -= t

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
