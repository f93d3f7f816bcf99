"""Schedule-Free AdamW (Defazio et al., 2024, "The Road Less Scheduled"), as Keras'
``ScheduleFreeAdamW``: no learning-rate schedule needed, the iterate averaging replaces it."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer
from ember.optimizers.validation import _as_float


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW: Adam steps on a sequence ``z``, averaged into ``x``; the model's
    weights hold the interpolation ``y`` between them (where gradients are taken).

    The slot ``momentum`` is ``z`` (starting at the initial weights), ``velocity`` Adam's
    second moment. At step ``t = iterations + 1``, with ``lr`` warmed up over
    ``warmup_steps``::

        v = v + (1 - beta_2) * (g**2 - v)
        z_new = z - lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1                  # the average, from y and old z
        x = (1 - 1/t) * x + (1/t) * z_new
        y = (1 - beta_1) * z_new + beta_1 * x                # the new weights

    As in Keras, the weights stay at ``y`` (also for evaluation).

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.0025.
        beta_1: interpolation between ``z`` and ``x``, in (0, 1]. Defaults to 0.9.
        beta_2: decay rate of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: small constant >= 0 added to the denominator. Defaults to 1e-8.
        warmup_steps: int >= 0; the rate grows linearly over these first steps. Defaults 0.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = em.optimizers.ScheduleFreeAdamW(learning_rate=0.1)
        >>> w.grad = em.tensor([0.5, -2.0])
        >>> opt.step([w])          # the first step: y = z = w - lr * g / |g|
        >>> [round(x, 4) for x in w.tolist()]
        [0.9, -0.9]
    """

    _n_work = 2

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        owner = "ScheduleFreeAdamW"
        # x is recovered by dividing by beta_1: 0 is not allowed
        self.beta_1 = _as_float(owner, "beta_1", beta_1, low=0.0, high=1.0, low_open=True)
        self.beta_2 = _as_float(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = _as_float(owner, "epsilon", epsilon, low=0.0)
        if isinstance(warmup_steps, bool) or not float(warmup_steps).is_integer() \
                or warmup_steps < 0:
            raise ValueError(f"{owner}: `warmup_steps` must be a whole number >= 0; got "
                             f"warmup_steps={warmup_steps!r}")
        self.warmup_steps = int(warmup_steps)

    def _slot_specs(self) -> list:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _slots_for(self, p: Any) -> dict:
        # z starts at the weights as they are before the first update (Keras' build)
        return {"momentum": p.data.copy(), "velocity": xp_of(p.data).zeros_like(p.data)}

    def _step_constants(self, lr: float) -> tuple:
        t = self.iterations + 1
        if self.warmup_steps > 0:
            lr = lr * min(t / self.warmup_steps, 1.0)
        return lr, 1.0 - self.beta_2 ** t, 1.0 / t

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: tuple,
                     work: list) -> None:
        lr, c2, weight = consts
        b1 = self.beta_1
        xp = xp_of(data)
        z, v = slots["momentum"], slots["velocity"]
        x, t = work
        xp.multiply(grad, grad, out=t)
        t -= v
        t *= 1.0 - self.beta_2
        v += t
        # x from y and the old z, before z changes
        xp.multiply(z, 1.0 - b1, out=x)
        xp.subtract(data, x, out=x)
        x /= b1
        xp.divide(v, c2, out=t)
        xp.sqrt(t, out=t)
        t += self.epsilon
        xp.divide(grad, t, out=t)
        t *= lr
        z -= t
        x *= 1.0 - weight
        x += weight * z
        xp.multiply(z, 1.0 - b1, out=data)
        x *= b1
        data += x

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}
