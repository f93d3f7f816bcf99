"""The hinge metrics (Keras' ``Hinge``, ``SquaredHinge``, ``CategoricalHinge``): running
means of the hinge losses of the same names (``em.losses.hinge``, ...), so the metric and
the loss agree on the same outputs.

Example:
    >>> import ember as em
    >>> m = em.metrics.Hinge()
    >>> m.update_state([[0.0, 1.0]], [[0.6, 0.4]])
    >>> round(float(m.result()), 4)
    1.1
"""

from __future__ import annotations

from typing import Any

from ember.losses import functions as _losses
from ember.metrics.base import MeanMetricWrapper, Metric, register


class _LossMean(MeanMetricWrapper):
    """A running mean of a fixed loss function; its config holds name and dtype only."""

    _loss: Any = None

    def __init__(self, name: str, dtype: Any = None) -> None:
        super().__init__(type(self)._loss, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)


@register
class Hinge(_LossMean):
    """Running mean of ``mean(max(1 - t * y_pred, 0))`` (labels in {-1, 1} or {0, 1})."""

    _loss = staticmethod(_losses.hinge)

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


@register
class SquaredHinge(_LossMean):
    """Running mean of ``mean(max(1 - t * y_pred, 0) ** 2)``."""

    _loss = staticmethod(_losses.squared_hinge)

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


@register
class CategoricalHinge(_LossMean):
    """Running mean of ``max(max((1 - t) * y_pred) - sum(t * y_pred) + 1, 0)``."""

    _loss = staticmethod(_losses.categorical_hinge)

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
