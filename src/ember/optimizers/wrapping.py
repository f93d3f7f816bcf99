"""What the optimizers that hand gradients to other optimizers share (LossScaleOptimizer,
MultiOptimizer): ``apply`` and ``apply_gradients`` gather the (gradient, parameter) pairs,
register the parameters, and pass the pairs on in one call."""

from __future__ import annotations

from collections.abc import Iterable

from ember.optimizers.base import Optimizer


class WrappingOptimizer(Optimizer):
    """Subclasses write ``_build_for(params)`` (build whoever keeps the slots) and
    ``_hand_over(pairs)`` (what the step does with the non-empty pairs)."""

    def _build_for(self, params: list) -> None:
        raise NotImplementedError

    def _hand_over(self, pairs: list) -> None:
        raise NotImplementedError

    def apply(self, params_or_grads: Iterable, trainable_variables: Iterable | None = None,
              ) -> None:
        if trainable_variables is not None:
            self.apply_gradients(zip(params_or_grads, trainable_variables))
            return
        params = list(params_or_grads)
        self._build_for(params)  # registered in order, as a plain optimizer's apply does
        pairs = [(p.grad, p) for p in params if p.grad is not None]
        if pairs:
            self._hand_over(pairs)

    def apply_gradients(self, grads_and_vars: Iterable) -> int:
        pairs = list(grads_and_vars)
        self._build_for([p for _, p in pairs])
        pairs = [(g, p) for g, p in pairs if g is not None]
        if not pairs:
            raise ValueError(f"{type(self).__name__}.apply_gradients: no gradient was given "
                             "for any parameter")
        self._hand_over(pairs)
        return self.iterations
