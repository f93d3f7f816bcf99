"""Muon (Jordan et al., 2024; Moonlight's scaling, Liu et al., 2025), as Keras 3.15's ``Muon``:
momentum orthogonalized by a Newton-Schulz iteration for 2-D kernels, AdamW for the rest."""

from __future__ import annotations

import math
import re
from typing import Any

from ember.backend import xp_of
from ember.optimizers.base import Optimizer
from ember.optimizers.validation import _as_float


def newton_schulz(x: Any, steps: int, a: float, b: float, c: float) -> Any:
    """The quintic Newton-Schulz iteration towards ``U V^T`` of ``x = U S V^T`` (Keras'
    ``zeropower_via_newtonschulz5``): normalized to Frobenius norm 1, then ``steps`` times
    ``x = a x + (b A + c A A) x`` with ``A = x x^T``, on the wide orientation."""
    xp = xp_of(x)
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = xp.swapaxes(x, -1, -2)
    x = x / (math.sqrt(float(xp.sum(x * x))) + 1e-7)
    for _ in range(steps):
        gram = x @ xp.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return xp.swapaxes(x, -1, -2) if tall else x


class Muon(Optimizer):
    """Muon for 2-D weights (Dense kernels), AdamW for the others, as Keras 3.15.

    A parameter takes the AdamW branch when it is not 2-D (biases, convolution kernels,
    scalars), when ``exclude_embeddings`` and its ``path`` contains "embedding", or when a
    regex of ``exclude_layers`` matches its ``path``. Otherwise, at each step::

        m = momentum * m + g
        d = g + momentum * m  if nesterov else m
        w = w - learning_rate * newton_schulz(d) * sqrt(max(rows, cols)) * rms_rate

    (no ``rms_rate`` factor when it is None). The AdamW branch is Adam (Keras' epsilon
    placement, see ``Adam``) at ``learning_rate * adam_lr_ratio``. Decoupled weight decay
    uses ``weight_decay`` on Muon's parameters and ``adam_weight_decay`` on AdamW's.

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        adam_beta_1, adam_beta_2: AdamW's moment decay rates, in [0, 1). Defaults 0.9, 0.999.
        adam_weight_decay: decay of the AdamW parameters, >= 0 or None. Defaults to 0.004.
        epsilon: AdamW's epsilon, >= 0. Defaults to 1e-7.
        weight_decay: decay of the Muon parameters. Defaults to 0.004.
        exclude_layers: regexes of variable paths that take AdamW. Defaults to None.
        exclude_embeddings: embeddings take AdamW. Defaults to True.
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients (3.4445, -4.775, 2.0315).
        adam_lr_ratio: AdamW's rate relative to ``learning_rate``, >= 0. Defaults to 1.
        momentum: Muon's momentum, in [0, 1]. Defaults to 0.95.
        ns_steps: Newton-Schulz iterations, a whole number >= 0. Defaults to 5.
        nesterov: Nesterov momentum. Defaults to True.
        rms_rate: Moonlight's update scale, >= 0 or None. Defaults to 0.2.
        clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> model = em.Sequential([em.layers.Dense(4, input_shape=(3,))])
        >>> opt = em.optimizers.Muon(learning_rate=0.01)
        >>> model.compile(optimizer=opt, loss="mse")
        >>> [opt.uses_adamw(w) for w in model.trainable_weights]   # kernel, bias
        [False, True]
    """

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9,
                 adam_beta_2: float = 0.999, adam_weight_decay: float | None = 0.004,
                 epsilon: float = 1e-7, weight_decay: float | None = 0.004,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 exclude_layers: list | None = None, exclude_embeddings: bool = True,
                 muon_a: float = 3.4445, muon_b: float = -4.7750, muon_c: float = 2.0315,
                 adam_lr_ratio: float = 1, momentum: float = 0.95, ns_steps: int = 5,
                 nesterov: bool = True, rms_rate: float | None = 0.2, **kwargs: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
        owner = "Muon"
        self.adam_beta_1 = _as_float(owner, "adam_beta_1", adam_beta_1, low=0.0, high=1.0,
                                     high_open=True)
        self.adam_beta_2 = _as_float(owner, "adam_beta_2", adam_beta_2, low=0.0, high=1.0,
                                     high_open=True)
        self.adam_weight_decay = (None if adam_weight_decay is None else
                                  _as_float(owner, "adam_weight_decay", adam_weight_decay,
                                            low=0.0))
        self.epsilon = _as_float(owner, "epsilon", epsilon, low=0.0)
        if isinstance(exclude_layers, str):
            exclude_layers = [exclude_layers]
        self.exclude_layers = list(exclude_layers or [])
        self._exclude = [re.compile(k) for k in self.exclude_layers]
        self.exclude_embeddings = bool(exclude_embeddings)
        self.muon_a = _as_float(owner, "muon_a", muon_a)
        self.muon_b = _as_float(owner, "muon_b", muon_b)
        self.muon_c = _as_float(owner, "muon_c", muon_c)
        self.adam_lr_ratio = _as_float(owner, "adam_lr_ratio", adam_lr_ratio, low=0.0)
        self.momentum = _as_float(owner, "momentum", momentum, low=0.0, high=1.0)
        if isinstance(ns_steps, bool) or not float(ns_steps).is_integer() or ns_steps < 0:
            raise ValueError(f"Muon: `ns_steps` must be a whole number >= 0; got "
                             f"ns_steps={ns_steps!r}")
        self.ns_steps = int(ns_steps)
        self.nesterov = bool(nesterov)
        self.rms_rate = None if rms_rate is None else _as_float(owner, "rms_rate", rms_rate,
                                                                low=0.0)
        self._adamw_cache: dict[int, bool] = {}

    # ------------------------------------------------------------------ which branch
    def uses_adamw(self, p: Any) -> bool:
        """Whether ``p`` takes the AdamW branch (see the class docstring)."""
        hit = self._adamw_cache.get(id(p))
        if hit is None:
            path = getattr(p, "path", None) or getattr(p, "name", None) or ""
            hit = (p.data.ndim != 2
                   or (self.exclude_embeddings and "embedding" in str(path).lower())
                   or any(k.search(str(path)) for k in self._exclude))
            self._adamw_cache[id(p)] = hit
        return hit

    def _slot_specs(self) -> list:
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _slot_shapes(self, p: Any) -> dict:
        names = ("momentum", "velocity") if self.uses_adamw(p) else ("momentum",)
        return {n: tuple(p.data.shape) for n in names}

    def _slots_for(self, p: Any) -> dict:
        xp = xp_of(p.data)
        return {n: xp.zeros_like(p.data) for n in self._slot_shapes(p)}

    def _weight_decay_for(self, p: Any) -> float | None:
        return self.adam_weight_decay if self.uses_adamw(p) else self.weight_decay

    # ------------------------------------------------------------------ updates
    def _step_constants(self, lr: float) -> tuple:
        t = self.iterations + 1
        adam_lr = lr * self.adam_lr_ratio
        alpha = adam_lr * math.sqrt(1.0 - self.adam_beta_2 ** t) / (1.0 - self.adam_beta_1 ** t)
        return lr, alpha

    def _run_update(self, data: Any, grad: Any, slots: dict, consts: Any) -> None:
        # the Newton-Schulz iteration needs the whole matrix: never block by block
        self._update_step(data, grad, slots, consts, [])

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: tuple,
                     work: list) -> None:
        lr, alpha = consts
        xp = xp_of(data)
        m = slots["momentum"]
        if "velocity" in slots:  # the AdamW branch
            v = slots["velocity"]
            m += (grad - m) * (1.0 - self.adam_beta_1)
            v += (grad * grad - v) * (1.0 - self.adam_beta_2)
            data -= (m * alpha) / (xp.sqrt(v) + self.epsilon)
            return
        m *= self.momentum
        m += grad
        d = grad + self.momentum * m if self.nesterov else m
        update = newton_schulz(d, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        update *= lr
        if self.rms_rate is not None:  # Moonlight: matches AdamW's update RMS
            update *= math.sqrt(max(data.shape[0], data.shape[1])) * self.rms_rate
        data -= update.astype(data.dtype, copy=False)

    def get_config(self) -> dict:
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": list(self.exclude_layers), "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}
