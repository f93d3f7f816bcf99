"""Turning ``(y_true, y_pred)`` into tensors a loss can use.

A cross-entropy given probabilities clips them, as Keras does; the stable path from logits is
``from_logits=True``, which ``compile`` chooses by itself for a model whose last activation
is the matching softmax or sigmoid (see ``ember.models.logits_plan``)."""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.backend import xp_of
from ember.ops import astype, to

EPSILON = 1e-7  # Keras' backend.epsilon(): the clip for probabilities given as such


def as_pred(y_pred: Any) -> Tensor:
    """``y_pred`` as a floating-point Tensor (arrays keep their float dtype)."""
    p = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
    if p.data.dtype.kind != "f":
        p = astype(p, backend.floatx())
    return p


def as_true(y_true: Any, like: Tensor) -> Tensor:
    """``y_true`` as a Tensor with ``like``'s float dtype, on ``like``'s device."""
    if isinstance(y_true, Tensor):
        if y_true.device != like.device:
            y_true = to(y_true, like.device)
        if y_true.data.dtype != like.data.dtype:
            y_true = astype(y_true, like.data.dtype)
        return y_true
    xp = xp_of(like.data)
    return wrap_array(xp.asarray(y_true, dtype=like.data.dtype))


def labels_array(y_true: Any, like: Tensor) -> Any:
    """Integer class labels as an array on ``like``'s device (floats are converted)."""
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    if backend.device_of(data) != like.device or not hasattr(data, "dtype"):
        data = xp_of(like.data).asarray(data)
    return data


def align(x1: Any, x2: Any) -> tuple[Any, Any]:
    """Keras' ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    shape ends in 1, drop that axis (or add one to a rank-1 partner): (batch,) vs (batch, 1)."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1:
            x2 = x2.reshape(tuple(x2.shape) + (1,))
        else:
            x1 = x1.reshape(tuple(x1.shape[:-1]))
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1:
            x1 = x1.reshape(tuple(x1.shape) + (1,))
        else:
            x2 = x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


def pair(y_true: Any, y_pred: Any, who: str) -> tuple[Tensor, Tensor]:
    """Aligned ``(y_true, y_pred)`` tensors of equal shape, or a clear error naming both."""
    p = as_pred(y_pred)
    t, p = align(as_true(y_true, p), p)
    if t.shape != p.shape:
        raise ValueError(f"{who}: y_true has shape {tuple(t.shape)} but y_pred has shape "
                         f"{tuple(p.shape)}; they must match (a trailing axis of size 1 may "
                         "differ)")
    return t, p


def produced_by(y_pred: Any, op: str) -> bool:
    """True when ``y_pred`` is known (from its graph) to be the output of ``op``."""
    node = getattr(y_pred, "_node", None)
    return node is not None and node.op == op


def check_smoothing(label_smoothing: float, who: str) -> float:
    ls = float(label_smoothing)
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"{who}: label_smoothing must be in [0, 1]; got {label_smoothing!r}")
    return ls
