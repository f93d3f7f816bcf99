"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as Keras' ``AdamW``."""

from __future__ import annotations

from typing import Any

from ember.optimizers.adam import Adam


class AdamW(Adam):
    """Adam plus decoupled weight decay applied before each Adam step::

        w = w - learning_rate * weight_decay * w
        w = adam_update(w, g)                       # see ``Adam``

    The decay is the base optimizer's ``weight_decay`` (here required, default 0.004, as in
    Keras 3). The decay step is the same as ``torch.optim.AdamW``'s ``w *= 1 - lr * wd``;
    ``epsilon`` follows Keras (see ``Adam``).

    Args:
        learning_rate: float >= 0 or a schedule. Defaults to 0.001.
        weight_decay: float >= 0. Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as ``Adam``.
        clipnorm, clipvalue, global_clipnorm, name: see ``Optimizer``.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> w.grad = em.tensor([0.0])
        >>> opt.step([w])          # a zero gradient leaves only the decay: 1 - 0.1 * 0.5
        >>> w
        tensor([0.95], requires_grad=True)
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str = "adamw", **kwargs: Any) -> None:
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float; got weight_decay=None")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name,
                         **kwargs)
