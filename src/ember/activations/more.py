"""Keras 3's less common activations: the shrinks, the sparse ones, CELU, GLU, ...

They are re-exported by ``ember.activations`` (so ``Dense(4, activation="celu")`` works and a
saved model finds them by name); this module holds them only to keep that file short.

Each is a differentiable ember op. At a kink the gradient follows PyTorch where PyTorch has the
function (``hard_tanh``'s is 0 at +-1, the shrinks' is 0 at +-threshold); the others follow
JAX's (Keras' JAX backend): ``sparse_sigmoid``'s is 0.25 at +-1.

Example:
    >>> import ember as em
    >>> em.activations.soft_shrink(em.tensor([-1.0, 0.2, 2.0]))
    tensor([-0.5,  0. ,  1.5])
    >>> em.activations.sparsemax(em.tensor([1.0, 0.8, -1.0])).numpy().round(4)
    array([0.6, 0.4, 0. ], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from ember import ops, serialization
from ember.autograd.tensor import Tensor, as_tensor, record_op
from ember.backend import xp_of


def _float(x: Any) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind != "f":  # integer input: Keras computes in the float dtype
        x = x.float()
    return x


@serialization.register()
def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import ember as em
        >>> em.activations.celu(em.tensor([-1.0, 0.0, 2.0]), alpha=2.0).numpy().round(4)
        array([-0.7869,  0.    ,  2.    ], dtype=float32)
    """
    if alpha == 0:
        raise ValueError("celu: alpha must be non-zero (it divides x); got 0")
    x = _float(x)
    # exp of the non-positive part only: no overflow; `<=` so the gradient at 0 is 1 (PyTorch)
    negative = ops.expm1(ops.where(x.data <= 0, x, 0.0) / alpha) * alpha
    return ops.where(x.data > 0, x, negative)


@serialization.register()
def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: split ``x`` in two halves ``a, b`` along ``axis``, give
    ``a * sigmoid(b)`` (the axis must have an even size).

    Example:
        >>> import ember as em
        >>> em.activations.glu(em.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5, 2. ]])
    """
    x = _float(x)
    size = x.shape[axis] if x.ndim else 0
    if x.ndim == 0 or size % 2:
        raise ValueError(f"glu: axis {axis} must have an even size (it is split in two "
                         f"halves); got shape {tuple(x.shape)}")
    a, b = ops.split(x, 2, axis=axis)
    return a * ops.sigmoid(b)


def _glu_output_shape(shape: tuple, axis: int = -1) -> tuple:
    """glu's output shape: the split axis halved (None stays None)."""
    shape = list(shape)
    shape[axis] = None if shape[axis] is None else shape[axis] // 2
    return tuple(shape)


glu.output_shape = _glu_output_shape  # a layer's symbolic output shape reads it (Dense)


@serialization.register()
def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0.

    Example:
        >>> import ember as em
        >>> em.activations.hard_shrink(em.tensor([-1.0, 0.5, 0.7]))
        tensor([-1. ,  0. ,  0.7])
    """
    x = _float(x)
    return ops.where(abs(x.data) > threshold, x, 0.0)


@serialization.register()
def hard_tanh(x: Any) -> Tensor:
    """``clip(x, -1, 1)``; the gradient is 1 strictly inside, 0 at and beyond +-1 (PyTorch).

    Example:
        >>> import ember as em
        >>> em.activations.hard_tanh(em.tensor([-2.0, 0.5, 3.0]))
        tensor([-1. ,  0.5,  1. ])
    """
    x = _float(x)
    xp = xp_of(x.data)
    data = xp.clip(x.data, -1.0, 1.0).astype(x.data.dtype, copy=False)
    inside = (x.data > -1) & (x.data < 1)
    return record_op(data, (x,), lambda g: (ops.where(inside, g, 0.0),), "hard_tanh", (x,))


@serialization.register()
def log_sigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, without underflow for very negative x.

    Example:
        >>> import ember as em
        >>> em.activations.log_sigmoid(em.tensor([0.0])).numpy().round(4)
        array([-0.6931], dtype=float32)
    """
    x = _float(x)
    return -ops.softplus(-x)


@serialization.register()
def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = _float(x)
    shifted = ops.where(x.data > 0, x - threshold, x + threshold)
    return ops.where(abs(x.data) > threshold, shifted, 0.0)


@serialization.register()
def sparse_plus(x: Any) -> Tensor:
    """Smooth ReLU: 0 for x <= -1, ``(x + 1)**2 / 4`` on (-1, 1), ``x`` for x >= 1.

    Example:
        >>> import ember as em
        >>> em.activations.sparse_plus(em.tensor([-2.0, 0.0, 2.0]))
        tensor([0.  , 0.25, 2.  ])
    """
    x = _float(x)
    middle = ops.square(ops.clip(x, -1.0, 1.0) + 1) * 0.25  # clipped: no huge squares unused
    return ops.where(x.data <= -1, 0.0, ops.where(x.data >= 1, x, middle))


@serialization.register()
def sparse_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid: 0 for x <= -1, ``(x + 1) / 2`` on (-1, 1), 1 for x >= 1;
    the gradient is 0.5 strictly inside, 0 outside and 0.25 at +-1 (as JAX, Keras' backend).

    Example:
        >>> import ember as em
        >>> em.activations.sparse_sigmoid(em.tensor([-2.0, 0.0, 0.5]))
        tensor([0.  , 0.5 , 0.75])
    """
    x = _float(x)
    xp = xp_of(x.data)
    data = (xp.clip(x.data, -1.0, 1.0) * 0.5 + 0.5).astype(x.data.dtype, copy=False)
    inside = (x.data > -1) & (x.data < 1)  # one-sided slopes 0.5 and 0 average at the kinks
    slope = xp.where(inside, 0.5, xp.where(abs(x.data) == 1, 0.25, 0.0)).astype(x.data.dtype)
    return record_op(data, (x,), lambda g: (g * slope,), "sparse_sigmoid", (x,))


@serialization.register()
def squareplus(x: Any, b: float = 4) -> Tensor:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU (``b >= 0``).

    Example:
        >>> import ember as em
        >>> em.activations.squareplus(em.tensor([0.0, 3.0])).numpy().round(4)
        array([1.    , 3.3028], dtype=float32)
    """
    if b < 0:
        raise ValueError(f"squareplus: b must be >= 0 (it sits under a square root); got {b}")
    x = _float(x)
    return (x + ops.sqrt(ops.square(x) + b)) * 0.5


@serialization.register()
def tanh_shrink(x: Any) -> Tensor:
    """``x - tanh(x)``."""
    x = _float(x)
    return x - ops.tanh(x)


@serialization.register()
def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value`` (gradient 0 there).

    Example:
        >>> import ember as em
        >>> em.activations.threshold(em.tensor([-1.0, 0.0, 2.0]), 0.0, -5.0)
        tensor([-5., -5.,  2.])
    """
    x = _float(x)
    return ops.where(x.data > threshold, x, float(default_value))


@serialization.register()
def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """Euclidean projection of ``x`` onto the probability simplex along ``axis`` (Martins &
    Astudillo, 2016): ``max(x - tau, 0)`` with ``tau`` such that the outputs sum to 1.

    ``tau = (sum of the k largest - 1) / k`` where k is the size of the support (the largest
    k with ``1 + k * x_(k) > sum of the k largest``). Keras 3.15.1 computes tau from the sum
    of the running sums instead, which is wrong as soon as two entries get weight; this is
    the textbook formula.

    Example:
        >>> import ember as em
        >>> em.activations.sparsemax(em.tensor([[2.0, 0.0], [0.3, 0.1]]))
        tensor([[1. , 0. ],
                [0.6, 0.4]])
    """
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("sparsemax: needs at least one axis to project along; got a scalar")
    xp = xp_of(x.data)
    axis = axis % x.ndim
    z = x.data
    z_sorted = -xp.sort(-z, axis=axis)  # descending
    cumsum = xp.cumsum(z_sorted, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = -1
    k = xp.arange(1, z.shape[axis] + 1, dtype=z.dtype).reshape(shape)
    support = (1 + k * z_sorted) > cumsum  # true for the first k_z entries, false after
    k_z = support.sum(axis=axis, keepdims=True)
    top_sum = xp.take_along_axis(cumsum, (k_z - 1).astype("int64"), axis=axis)
    tau = (top_sum - 1) / k_z.astype(z.dtype)
    data = xp.maximum(z - tau, 0).astype(z.dtype, copy=False)

    def backward(g: Tensor) -> tuple:
        # Jacobian diag(s) - s s^T / |S| with s the support indicator
        s = (data > 0).astype(g.data.dtype)
        count = xp.maximum(s.sum(axis=axis, keepdims=True), 1)
        mean = ops.sum(g * s, axis=axis, keepdims=True) / count
        return ((g - mean) * s,)

    return record_op(data, (x,), backward, "sparsemax", (x,))


# name -> function, merged into ember.activations' table
MORE = {fn.__name__: fn for fn in (celu, glu, hard_shrink, hard_tanh, log_sigmoid, soft_shrink,
                                   sparse_plus, sparse_sigmoid, sparsemax, squareplus,
                                   tanh_shrink, threshold)}
