"""SGD: gradient descent, optionally with (Nesterov) momentum, as ``keras.optimizers.SGD``."""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.kernels.registry import fast
from ember.optimizers.base import Optimizer, _as_float


class SGD(Optimizer):
    """Gradient descent with optional momentum (Keras 3's formulation).

    For a parameter ``w`` with gradient ``g``::

        momentum == 0:   w = w - learning_rate * g
        momentum > 0:    velocity = momentum * velocity - learning_rate * g
                         w = w + velocity
        nesterov=True:   velocity = momentum * velocity - learning_rate * g
                         w = w + momentum * velocity - learning_rate * g

    With a constant learning rate this is ``torch.optim.SGD`` (momentum, dampening 0, nesterov)
    with ``velocity = -learning_rate * buffer``; Keras keeps the rate inside the velocity, so
    the two differ only when the rate changes during training.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.01.
        momentum: float in [0, 1]. Defaults to 0.0 (plain gradient descent).
        nesterov: whether to use Nesterov momentum. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     w.grad = em.tensor([1.0])
        ...     opt.step([w])
        >>> w                      # 1 - 0.1 - (0.9 * 0.1 + 0.1)
        tensor([0.71], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "SGD", **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        self.momentum = _as_float("SGD", "momentum", momentum, low=0.0, high=1.0)
        self.nesterov = bool(nesterov)

    def _slot_specs(self) -> list:
        return [("momentum", 0.0)] if self.momentum != 0 else []

    def _run_update(self, data: Any, grad: Any, slots: dict, consts: Any) -> None:
        # the one-pass kernel (ember.kernels.sgd_fused, with numba) where it applies; it
        # declines (False) what it does not handle, and a subclass's own _update_step runs
        fused = None if type(self)._update_step is not SGD._update_step else fast("sgd_update")
        if fused is None or not fused(data, grad, slots.get("momentum"), consts, self.momentum,
                                      self.nesterov):
            super()._run_update(data, grad, slots, consts)

    def _update_step(self, data: Any, grad: Any, slots: dict, lr: float,
                     work: list) -> None:
        xp = xp_of(data)
        step = work[0]
        xp.multiply(grad, lr, out=step)             # lr * g
        m = slots.get("momentum")
        if m is None or self.momentum == 0:
            data -= step
            return
        m *= self.momentum
        m -= step                                   # velocity = momentum * velocity - lr * g
        if self.nesterov:
            data -= step
            xp.multiply(m, self.momentum, out=step)
            data += step                            # w += momentum * velocity - lr * g
        else:
            data += m

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
