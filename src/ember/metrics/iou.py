"""Intersection-over-union metrics (Keras 3): IoU, MeanIoU, BinaryIoU, OneHotIoU,
OneHotMeanIoU, for semantic segmentation and classification.

Each keeps a (num_classes, num_classes) confusion matrix (rows: true class, columns:
predicted class) summed over batches; a class's IoU is ``tp / (tp + fp + fn)``, and the
result is the mean over the target classes that occur (a class with an empty denominator
does not count). As in Keras, labels and predictions are cast to the metric's dtype, an
integer type by default, so float predictions are truncated and float sample weights too
(give ``dtype="float32"`` to keep fractional weights); entries outside [0, num_classes) or
equal to ``ignore_class`` are left out.

Example:
    >>> import ember as em
    >>> m = em.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
    0.3333
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ember import backend
from ember.metrics.base import EPSILON, Metric, as_array, register


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype("int32") if dtype in (None, "int") else np.dtype(dtype)


class _IoUBase(Metric):
    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        who = type(self).__name__
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"{who}: num_classes must be a positive integer; got "
                             f"{num_classes!r}")
        super().__init__(name=name, dtype=_dtype(dtype))
        self._np_dtype = _dtype(dtype)
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.add_variable("total_cm", (self.num_classes, self.num_classes))

    def _labels(self, y: Any, sparse: bool) -> np.ndarray:
        y = backend.to_numpy(as_array(y))
        if not sparse:  # one-hot or scores: the class is the argmax
            y = np.argmax(y, axis=self.axis)
        return y.astype(self.dtype).reshape(-1)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yt = self._labels(y_true, self.sparse_y_true)
        yp = self._labels(y_pred, self.sparse_y_pred)
        if yt.shape != yp.shape:
            raise ValueError(f"{type(self).__name__}: y_true has {yt.size} labels but y_pred "
                             f"{yp.size}")
        if sample_weight is None:
            sw = np.ones(yt.shape)
        else:
            sw = backend.to_numpy(as_array(sample_weight))
            if sw.dtype.kind == "f" and self._np_dtype.kind in "iu":
                warnings.warn(f"{type(self).__name__}: float sample weights are cast to the "
                              f"metric's dtype {self.dtype} (truncated, as Keras does); give "
                              "integer weights or dtype='float32'", stacklevel=2)
            sw = np.broadcast_to(sw.astype(self.dtype).reshape(-1) if sw.ndim else sw,
                                 yt.shape).astype(np.float64)
        n = self.num_classes
        keep = (yt >= 0) & (yt < n) & (yp >= 0) & (yp < n)
        if self.ignore_class is not None:
            keep &= yt != self.ignore_class
        codes = yt[keep].astype(np.int64) * n + yp[keep].astype(np.int64)
        cm = np.bincount(codes, weights=sw[keep], minlength=n * n).reshape(n, n)
        self.total_cm = self.total_cm + cm

    def _per_class(self) -> tuple[np.ndarray, np.ndarray]:
        cm = self.total_cm
        tp = np.diag(cm)
        return tp, cm.sum(axis=0) + cm.sum(axis=1) - tp

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


@register
class IoU(_IoUBase):
    """The mean IoU over ``target_class_ids`` (the classes that occur).

    Example:
        >>> import ember as em
        >>> m = em.metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(float(m.result()), 4)
        0.3333
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int],
                 name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(num_classes, name=name or self._default_name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        ids = [int(i) for i in target_class_ids]
        if not ids or max(ids) >= num_classes or min(ids) < 0:
            raise ValueError(f"{type(self).__name__}: target_class_ids must be class ids in "
                             f"[0, {num_classes}); got {list(target_class_ids)!r}")
        self.target_class_ids = ids

    _default_name = "io_u"  # Keras' snake case of "IoU"

    def result(self) -> np.float64:
        tp, denominator = self._per_class()
        tp, denominator = tp[self.target_class_ids], denominator[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + EPSILON), 0.0)
        return np.float64(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self) -> dict:
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


@register
class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (that occur).

    Example:
        >>> import ember as em
        >>> m = em.metrics.MeanIoU(num_classes=3)
        >>> m.update_state([0, 1, 2, 2], [0, 1, 2, 1]); round(float(m.result()), 4)
        0.6667
    """

    _default_name = "mean_io_u"

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(num_classes, list(range(num_classes)) if isinstance(
            num_classes, (int, np.integer)) else [0], name=name, dtype=dtype,
            ignore_class=ignore_class, sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        return _IoUBase.get_config(self)  # no target_class_ids: all classes, as Keras


@register
class BinaryIoU(IoU):
    """IoU of a binary task: ``y_pred >= threshold`` is class 1; ``target_class_ids``
    (default both classes) chooses the classes averaged.

    Example:
        >>> import ember as em
        >>> m = em.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.8, 0.6, 0.3]); round(float(m.result()), 4)
        0.3333
    """

    _default_name = "binary_io_u"

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        yp = backend.to_numpy(as_array(y_pred)).astype(np.float32)
        super().update_state(y_true, (yp >= self.threshold).astype(self.dtype), sample_weight)

    def get_config(self) -> dict:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


@register
class OneHotIoU(IoU):
    """IoU over ``target_class_ids`` with one-hot labels (and, by default, class scores as
    predictions: the argmax is the predicted class)."""

    _default_name = "one_hot_io_u"

    def __init__(self, num_classes: int, target_class_ids: Sequence[int],
                 name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@register
class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot labels (and, by default, class scores as predictions)."""

    _default_name = "one_hot_mean_io_u"

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]
        return config
