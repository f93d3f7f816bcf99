"""The shared logic of callbacks that watch a metric: which direction is better, by how much."""

from __future__ import annotations

import math
import warnings


def resolve_mode(monitor: str, mode: str, who: str) -> str:
    """'min' or 'max'; 'auto' picks 'max' for accuracy and AUC, 'min' otherwise (as Keras)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max'; got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.lower()
    return "max" if name.endswith(("acc", "accuracy", "auc")) else "min"


def is_improvement(value: float, reference: float | None, mode: str, min_delta: float) -> bool:
    """True when ``value`` beats ``reference`` by more than ``min_delta`` in the mode's
    direction."""
    if reference is None:
        return True
    if mode == "min":
        return value < reference - abs(min_delta)
    return value > reference + abs(min_delta)


def read_monitor(logs: dict | None, monitor: str, who: str) -> float | None:
    """The monitored value, or None with a warning naming the available keys."""
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{who}: the monitored metric '{monitor}' is not in the logs (available: "
                      f"{sorted(logs or {})}); nothing is done this epoch", stacklevel=3)
        return None
    value = float(value)
    return None if math.isnan(value) else value
