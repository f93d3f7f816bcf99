"""Checking and classifying the targets given to the scikit-learn-style metric functions.

The functions run on the host: inputs (lists, NumPy or CuPy arrays, Tensors) become NumPy
arrays first. ``type_of_target`` follows scikit-learn's rules: "binary", "multiclass",
"multilabel-indicator", "continuous", "multiclass-multioutput", "continuous-multioutput"
or "unknown".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor


class UndefinedMetricWarning(UserWarning):
    """A score is ill-defined for the data given (e.g. precision with no predicted sample)."""


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array from a Tensor, a CuPy or NumPy array, or a (nested) list."""
    if isinstance(x, Tensor):
        x = x.data
    if hasattr(x, "__cuda_array_interface__"):
        return backend.to_numpy(x)
    return np.asarray(x)


def _is_string_kind(a: np.ndarray) -> bool:
    return a.dtype.kind in "US" or (a.dtype == object and a.size > 0
                                    and isinstance(a.flat[0], str))


def _integral(a: np.ndarray) -> bool:
    return bool(np.all(a == np.floor(a)))


def type_of_target(y: Any, fname: str = "type_of_target") -> str:
    """The kind of target ``y`` is, by scikit-learn's rules.

    Example:
        >>> from ember.metrics.sklearn import type_of_target
        >>> type_of_target([0, 1, 1]), type_of_target([1, 2, 3]), type_of_target([0.5, 1.0])
        ('binary', 'multiclass', 'continuous')
        >>> type_of_target([[0, 1], [1, 1]])
        'multilabel-indicator'
    """
    y = to_numpy(y)
    if y.ndim == 2 and y.shape[1] > 1 and y.size and y.dtype != object:
        if y.dtype.kind in "biu" or (y.dtype.kind == "f" and np.all(np.isfinite(y))
                                     and _integral(y)):
            if np.unique(y).shape[0] < 3:
                return "multilabel-indicator"
    if y.ndim not in (1, 2):
        return "unknown"
    if min(y.shape) == 0:
        return "binary" if y.ndim == 1 else "unknown"
    if y.dtype == object and not isinstance(y.flat[0], str):
        return "unknown"
    suffix = "-multioutput" if y.ndim == 2 and y.shape[1] > 1 else ""
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{fname}: the targets contain NaN or infinity")
        if not _integral(y):
            return "continuous" + suffix
    if y.dtype.kind == "c":
        raise ValueError(f"{fname}: complex targets are not supported")
    if np.unique(y).shape[0] > 2 or suffix:
        return "multiclass" + suffix
    return "binary"


def column_or_1d(y: np.ndarray, name: str, fname: str) -> np.ndarray:
    """``y`` of shape (n,) or (n, 1) as (n,); anything else is an error."""
    if y.ndim == 1:
        return y
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    raise ValueError(f"{fname}: {name} must be 1-D (n_samples,) or a column (n_samples, 1); "
                     f"got shape {y.shape}")


def check_lengths(fname: str, **arrays: Any) -> int:
    """The common number of samples of the arrays given (None entries are skipped)."""
    lengths = {k: (len(v) if np.ndim(v) else 1) for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise ValueError(f"{fname}: inputs have different numbers of samples ({shown})")
    return next(iter(lengths.values()), 0)


def sample_weights(sample_weight: Any, n: int, fname: str) -> np.ndarray | None:
    """``sample_weight`` as a float (or integer) 1-D array of length n, or None."""
    if sample_weight is None:
        return None
    sw = to_numpy(sample_weight)
    if sw.ndim == 0:
        sw = np.full(n, sw.item())
    sw = column_or_1d(sw, "sample_weight", fname)
    if sw.shape[0] != n:
        raise ValueError(f"{fname}: sample_weight has {sw.shape[0]} entries for {n} samples")
    if sw.dtype.kind not in "biuf":
        raise ValueError(f"{fname}: sample_weight must be numeric; got dtype {sw.dtype}")
    return sw


def unique_labels(fname: str, *ys: np.ndarray) -> np.ndarray:
    """The sorted labels present in any of ``ys`` (strings and numbers may not be mixed)."""
    kinds = {_is_string_kind(y) for y in ys if y.size}
    if len(kinds) > 1:
        raise ValueError(f"{fname}: y_true and y_pred mix string and number labels")
    parts = [np.unique(y) for y in ys if y.size]
    if not parts:
        return np.array([])
    try:
        return np.unique(np.concatenate(parts))
    except TypeError:
        raise ValueError(f"{fname}: the labels cannot be sorted (mixed types?)") from None


_WHAT = {
    "continuous": "continuous values (floats that are not whole numbers); threshold or "
                  "argmax the predictions into class labels first",
    "continuous-multioutput": "continuous multi-output values; threshold the predictions "
                              "into class labels first",
    "multiclass-multioutput": "several columns of class labels (not 0/1 indicators)",
    "unknown": "an array of unrecognised shape or type",
}


def check_targets(fname: str, y_true: Any, y_pred: Any, sample_weight: Any = None) -> tuple:
    """``(type, labels, y_true, y_pred, sample_weight)`` for a classification metric: the
    common target type ("binary", "multiclass" or "multilabel-indicator"), the sorted labels
    present, 1-D label arrays (or 2-D indicators) and the weights."""
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    n = check_lengths(fname, y_true=yt, y_pred=yp)
    if n == 0:
        raise ValueError(f"{fname}: got empty y_true / y_pred; at least one sample is needed")
    sw = sample_weights(sample_weight, n, fname)
    types = {}
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        kind = type_of_target(arr, fname)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"{fname}: {name} holds {_WHAT.get(kind, kind)}; expected class "
                             "labels (binary or multiclass) or a 0/1 multilabel indicator "
                             "matrix")
        types[name] = kind
    kinds = set(types.values())
    if kinds == {"binary", "multiclass"}:
        kinds = {"multiclass"}
    if len(kinds) > 1:
        raise ValueError(f"{fname}: y_true is {types['y_true']} but y_pred is "
                         f"{types['y_pred']}; both must be the same kind of target")
    kind = kinds.pop()
    if kind == "multilabel-indicator":
        if yt.shape != yp.shape:
            raise ValueError(f"{fname}: multilabel y_true {yt.shape} and y_pred {yp.shape} "
                             "must have the same shape")
        return kind, np.arange(yt.shape[1]), yt, yp, sw
    yt = column_or_1d(yt, "y_true", fname)
    yp = column_or_1d(yp, "y_pred", fname)
    labels = unique_labels(fname, yt, yp)
    if kind == "binary" and labels.shape[0] > 2:
        kind = "multiclass"
    return kind, labels, yt, yp, sw


def weighted_mean(values: np.ndarray, weights: np.ndarray | None, normalize: bool = True,
                  fname: str = "metric") -> float:
    """The (weighted) mean of ``values``, or their (weighted) sum when not ``normalize``."""
    values = np.asarray(values, dtype=np.float64)
    if weights is None:
        return float(values.mean() if normalize else values.sum())
    total = float(np.dot(values, weights))
    if not normalize:
        return total
    wsum = float(np.sum(weights))
    if wsum == 0:
        raise ZeroDivisionError(f"{fname}: the sample weights sum to zero")
    return total / wsum


def positions(values: np.ndarray, labels: np.ndarray, fname: str) -> np.ndarray:
    """The index of each value in ``labels`` (len(labels) where it is not one of them)."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    try:
        pos = np.searchsorted(ordered, values)
    except TypeError:
        raise ValueError(f"{fname}: labels of type {labels.dtype} cannot be compared with "
                         f"targets of type {values.dtype}") from None
    clipped = np.minimum(pos, len(labels) - 1)
    found = (pos < len(labels)) & (ordered[clipped] == values)
    return np.where(found, order[clipped], len(labels))
