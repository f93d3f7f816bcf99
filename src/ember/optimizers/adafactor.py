"""Adafactor (Shazeer & Stern, 2018, "Adaptive Learning Rates with Sublinear Memory Cost"),
as Keras' ``Adafactor``: the second moment of a matrix kept as row and column averages."""

from __future__ import annotations

import math
from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer
from ember.optimizers.validation import _as_float


def _rms(xp: Any, x: Any) -> float:
    flat = x.ravel()
    return math.sqrt(float(xp.dot(flat, flat)) / max(flat.size, 1))


class Adafactor(Optimizer):
    """Adafactor: Adam-like steps with a factored second moment and relative step sizes.

    For a parameter ``w`` with gradient ``g`` at step ``t = iterations + 1``::

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        g2 = g**2 + epsilon_1
        beta = 1 - t**beta_2_decay
        # w of 2 or more dimensions (the last two are factored):
        r = beta * r + (1 - beta) * mean(g2, axis=-1)
        c = beta * c + (1 - beta) * mean(g2, axis=-2)
        v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
        # w of 0 or 1 dimension:
        v = beta * v + (1 - beta) * g2
        u = g / sqrt(v)
        w = w - alpha * u / max(1, rms(u) / clip_threshold)

    Args:
        learning_rate: float >= 0 or a schedule; capped at ``1 / sqrt(t)``. Defaults to 0.001.
        beta_2_decay: <= 0, the exponent of the second moment's decay. Defaults to -0.8.
        epsilon_1: >= 0, added to the squared gradients. Defaults to 1e-30.
        epsilon_2: >= 0, the smallest parameter scale ``rms(w)``. Defaults to 1e-3.
        clip_threshold: > 0, the largest ``rms`` of an update. Defaults to 1.0.
        relative_step: kept for Keras; the rate is always capped at ``1 / sqrt(t)`` (Keras
            applies the same cap through ``rho`` whatever this is). Defaults to True.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.ones((2, 2), requires_grad=True)
        >>> opt = em.optimizers.Adafactor(learning_rate=0.1)
        >>> w.grad = em.ones((2, 2))
        >>> opt.step([w])          # u = 1 everywhere, alpha = rms(w) * 0.1
        >>> w
        tensor([[0.9, 0.9],
                [0.9, 0.9]], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8,
                 epsilon_1: float = 1e-30, epsilon_2: float = 1e-3, clip_threshold: float = 1.0,
                 relative_step: bool = True, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        owner = "Adafactor"
        # a positive exponent would make the decay 1 - t**d negative after the first step
        self.beta_2_decay = _as_float(owner, "beta_2_decay", beta_2_decay, high=0.0)
        self.epsilon_1 = _as_float(owner, "epsilon_1", epsilon_1, low=0.0)
        self.epsilon_2 = _as_float(owner, "epsilon_2", epsilon_2, low=0.0)
        self.clip_threshold = _as_float(owner, "clip_threshold", clip_threshold, low=0.0,
                                        low_open=True)
        self.relative_step = bool(relative_step)

    def _slot_specs(self) -> list:
        return [("r", 0.0), ("c", 0.0), ("velocity", 0.0)]

    def _slot_shapes(self, p: Any) -> dict:
        shape = tuple(p.data.shape)
        if len(shape) < 2:  # not factored: the full second moment only
            return {"velocity": shape}
        return {"r": shape[:-1], "c": shape[:-2] + shape[-1:], "velocity": shape}

    def _slots_for(self, p: Any) -> dict:
        xp = xp_of(p.data)
        return {name: xp.zeros(shape, dtype=p.data.dtype)
                for name, shape in self._slot_shapes(p).items()}

    def _step_constants(self, lr: float) -> tuple:
        t = self.iterations + 1
        rho = min(lr, 1.0 / math.sqrt(t))
        return rho, 1.0 - t ** self.beta_2_decay

    def _run_update(self, data: Any, grad: Any, slots: dict, consts: Any) -> None:
        # row/column means and rms(w), rms(u) span the whole parameter: never block by block
        self._update_step(data, grad, slots, consts, [])

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: tuple,
                     work: list) -> None:
        rho, beta = consts
        xp = xp_of(data)
        alpha = max(self.epsilon_2, _rms(xp, data)) * rho
        g2 = grad * grad
        g2 += self.epsilon_1
        v = slots["velocity"]
        if data.ndim >= 2:
            r, c = slots["r"], slots["c"]
            r *= beta
            r += (1.0 - beta) * g2.mean(axis=-1)
            c *= beta
            c += (1.0 - beta) * g2.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v *= beta
            v += (1.0 - beta) * g2
        u = grad / xp.sqrt(v)
        u *= alpha / max(1.0, _rms(xp, u) / self.clip_threshold)
        data -= u

    def _flush_tiny_slots(self) -> None:
        # r and c of a weight with zero gradients hold ~epsilon_1 (1e-30): flushing them to 0
        # would make v = 0 / 0. Adafactor's slots never go subnormal anyway (epsilon_1 is added)
        return

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}
