"""``keras.mixed_precision``: dtype policies for mixed-precision computing.

``set_global_policy("mixed_float16")`` makes the layers created afterwards keep their
variables in float32 and compute in float16 (see ``ember.layers.dtype_policy``). bfloat16
is refused: NumPy has no bfloat16 float type.

Example:
    >>> from ember.keras import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_float16")
    >>> mixed_precision.global_policy()
    <DTypePolicy "mixed_float16">
    >>> mixed_precision.set_global_policy("float32")
"""

from __future__ import annotations

from typing import Any

from ember.layers.dtype_policy import DTypePolicy, Policy, global_policy, set_global_policy

__all__ = ["DTypePolicy", "Policy", "set_global_policy", "global_policy", "dtype_policy",
           "set_dtype_policy"]  # and LossScaleOptimizer, from ember.optimizers (below)

dtype_policy = global_policy  # Keras' other names for the same two functions
set_dtype_policy = set_global_policy


def __getattr__(name: str) -> Any:
    if name == "LossScaleOptimizer":  # ember's optimizers module owns it
        from ember import optimizers

        found = getattr(optimizers, "LossScaleOptimizer", None)
        if found is not None:
            return found
        raise AttributeError("ember.keras.mixed_precision.LossScaleOptimizer: this ember has "
                             "no LossScaleOptimizer in ember.optimizers")
    raise AttributeError(f"module 'ember.keras.mixed_precision' has no attribute {name!r}; "
                         f"it offers {__all__ + ['LossScaleOptimizer']}")
