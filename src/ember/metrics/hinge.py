"""Keras' per-sample metric functions that are exactly a loss: ``hinge``, ``squared_hinge``,
``categorical_hinge`` and ``huber``. Each runs the loss of the same name (``ember.losses``)
outside the graph and returns its per-sample values as an array, so the metric and the loss
are one computation.

Example:
    >>> import ember as em
    >>> em.metrics.hinge([[0.0, 1.0]], [[0.3, 0.8]]).round(4)
    array([0.75], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from ember.losses import functions as _losses
from ember.metrics.base import register
from ember.metrics.probabilistic import per_sample_loss


@register
def hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean(max(1 - y_true * y_pred, 0))``; labels 0/1 are mapped to -1/1."""
    return per_sample_loss(_losses.hinge, y_true, y_pred)


@register
def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``mean(max(1 - y_true * y_pred, 0) ** 2)``; labels 0/1 become -1/1."""
    return per_sample_loss(_losses.squared_hinge, y_true, y_pred)


@register
def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``max(0, 1 + max((1 - y_true) * y_pred) - sum(y_true * y_pred))``."""
    return per_sample_loss(_losses.categorical_hinge, y_true, y_pred)


@register
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Per-sample Huber loss: squared below ``delta``, linear above it."""
    return per_sample_loss(_losses.huber, y_true, y_pred, delta=delta)
