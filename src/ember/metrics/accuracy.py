"""Accuracy metrics (Keras 3's names, arguments and semantics): per-sample functions and the
streaming classes that average them.

``BinaryAccuracy`` thresholds probabilities (``y_pred > threshold``), ``CategoricalAccuracy``
compares the argmax of one-hot labels and predictions, ``SparseCategoricalAccuracy`` compares
integer labels (shaped (n,) or (n, 1), int or float) with the argmax, and the top-k variants
count a hit when the true class's score is among the k largest (ties count as hits, as
``in_top_k`` does).

Example:
    >>> import ember as em
    >>> m = em.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.base import _FixedFn, align, inputs, mean_last, register


def _labels(y_true: Any, y_pred: Any, fn: str) -> Any:
    """Sparse labels of shape (n,) (from (n,) or (n, 1)) matching y_pred's leading axes."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(f"{fn}: y_true of shape {tuple(y_true.shape)} does not match y_pred of "
                         f"shape {tuple(y_pred.shape)}; expected integer labels shaped "
                         f"{tuple(y_pred.shape[:-1])} (or with a trailing 1)")
    return y_true


@register
def accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where ``y_pred`` equals ``y_true`` exactly, averaged over the last axis."""
    yt, yp, _ = inputs(y_true, y_pred)
    yt, yp = align(yt, yp)
    return mean_last((yt == yp).astype(np.float64))


@register
def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """1.0 where ``(y_pred > threshold)`` equals the 0/1 label, averaged over the last axis.

    Example:
        >>> import ember as em
        >>> em.metrics.binary_accuracy([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        array([1., 1., 1., 0.])
    """
    yt, yp, _ = inputs(y_true, y_pred)
    yt, yp = align(yt, yp)
    return mean_last((yt == (yp > threshold)).astype(np.float64))


@register
def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where the argmax of the one-hot label equals the argmax of the prediction."""
    yt, yp, _ = inputs(y_true, y_pred)
    if yt.shape != yp.shape:
        raise ValueError(f"categorical_accuracy: y_true {tuple(yt.shape)} and y_pred "
                         f"{tuple(yp.shape)} must have the same shape (one-hot labels); use "
                         "sparse_categorical_accuracy for integer labels")
    return (yt.argmax(axis=-1) == yp.argmax(axis=-1)).astype(np.float64)


@register
def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where the integer label equals the argmax of the prediction.

    Example:
        >>> import ember as em
        >>> em.metrics.sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        array([0., 1.])
    """
    yt, yp, _ = inputs(y_true, y_pred)
    yt = _labels(yt, yp, "sparse_categorical_accuracy")
    return (yt == yp.argmax(axis=-1)).astype(np.float64)


def _in_top_k(labels: Any, y_pred: Any, k: int, xp: Any) -> Any:
    """True where the label's score has fewer than k scores strictly above it."""
    yp = y_pred.reshape(-1, y_pred.shape[-1])
    idx = labels.reshape(-1).astype(np.int64)
    target = xp.take_along_axis(yp, idx[:, None], axis=-1)
    hits = (yp > target).sum(axis=-1) < k
    return hits.reshape(labels.shape).astype(np.float64)


@register
def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1.0 where the one-hot label's class is among the ``k`` highest predictions."""
    yt, yp, xp = inputs(y_true, y_pred)
    return _in_top_k(yt.argmax(axis=-1), yp, k, xp)


@register
def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1.0 where the integer label is among the ``k`` highest predictions.

    Example:
        >>> import ember as em
        >>> em.metrics.sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8],
        ...                                                      [0.05, 0.95, 0]], k=1)
        array([0., 1.])
    """
    yt, yp, xp = inputs(y_true, y_pred)
    yt = _labels(yt, yp, "sparse_top_k_categorical_accuracy")
    if yt.dtype.kind == "f" and bool(xp.any(yt != xp.floor(yt))):
        raise ValueError("sparse_top_k_categorical_accuracy: y_true must hold integer class "
                         "labels; got non-integer values")
    return _in_top_k(yt, yp, k, xp)


def _check_k(k: Any, who: str) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{who}: k must be a positive integer; got {k!r}")
    return int(k)


@register
class Accuracy(_FixedFn):
    """How often predictions equal labels exactly (for class ids, not probabilities).

    Example:
        >>> import ember as em
        >>> float(em.metrics.Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]]))
        0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


@register
class BinaryAccuracy(_FixedFn):
    """How often ``y_pred > threshold`` matches the 0/1 label.

    Example:
        >>> import ember as em
        >>> m = em.metrics.BinaryAccuracy()
        >>> float(m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1]))
        0.5
    """

    _config_keys = ("threshold",)

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(f"BinaryAccuracy: threshold must be in (0, 1); got {threshold!r}")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


@register
class CategoricalAccuracy(_FixedFn):
    """How often the argmax of the prediction matches the one-hot label.

    Example:
        >>> import ember as em
        >>> m = em.metrics.CategoricalAccuracy()
        >>> float(m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@register
class SparseCategoricalAccuracy(_FixedFn):
    """How often the argmax of the prediction matches the integer label.

    Example:
        >>> import ember as em
        >>> m = em.metrics.SparseCategoricalAccuracy()
        >>> float(m([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3]))
        0.3
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@register
class TopKCategoricalAccuracy(_FixedFn):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    Example:
        >>> import ember as em
        >>> m = em.metrics.TopKCategoricalAccuracy(k=1)
        >>> float(m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]))
        0.5
    """

    _config_keys = ("k",)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        self.k = _check_k(k, "TopKCategoricalAccuracy")
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k)


@register
class SparseTopKCategoricalAccuracy(_FixedFn):
    """How often the integer label is among the ``k`` highest predictions.

    Example:
        >>> import ember as em
        >>> m = em.metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> float(m([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3]))
        0.3
    """

    _config_keys = ("k",)

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        self.k = _check_k(k, "SparseTopKCategoricalAccuracy")
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k)
