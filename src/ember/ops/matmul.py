"""Matrix products: matmul (with batch broadcasting), dot, outer.

The backward of ``a @ b`` is ``g @ b.T`` and ``a.T @ g`` (batch axes summed back by the engine),
written with ``matmul`` itself so that second derivatives work.
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, record_op
from ember.ops.elementwise import _pair
from ember.ops.shape import reshape, swapaxes


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product as ``numpy.matmul``: 1-D operands are promoted, batch axes broadcast.

    Example:
        >>> import ember as em
        >>> em.matmul(em.ones((2, 3)), em.ones((3, 4))).shape
        (2, 4)
    """
    a, b = _pair(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one axis; got {a.shape} @ "
                         f"{b.shape} (use * for scalars)")
    if a.ndim == 1 and b.ndim == 1:
        _check_inner(a, b, a.shape[0], b.shape[0])
        return reshape(_matmul(reshape(a, 1, -1), reshape(b, -1, 1)), ())
    if a.ndim == 1:
        _check_inner(a, b, a.shape[0], b.shape[-2])
        out = _matmul(reshape(a, 1, -1), b)
        return reshape(out, out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        _check_inner(a, b, a.shape[-1], b.shape[0])
        return reshape(_matmul(a, reshape(b, -1, 1)), a.shape[:-1])
    _check_inner(a, b, a.shape[-1], b.shape[-2])
    return _matmul(a, b)


def _check_inner(a: Tensor, b: Tensor, k1: int, k2: int) -> None:
    if k1 != k2:
        raise ValueError(
            f"matmul: {a.shape} @ {b.shape}: inner dimensions {k1} and {k2} differ"
        )


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    ad, bd = a.data, b.data
    try:
        data = ad @ bd
    except ValueError:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: batch dimensions "
                         f"{a.shape[:-2]} and {b.shape[:-2]} cannot be broadcast") from None

    def backward(g: Tensor) -> tuple:
        ga = matmul(g, swapaxes(b, -1, -2)) if a.requires_grad else None
        gb = matmul(swapaxes(a, -1, -2), g) if b.requires_grad else None
        return ga, gb

    return record_op(data, (a, b), backward, "matmul", (a, b))


def dot(a: Any, b: Any) -> Tensor:
    """``numpy.dot`` for vectors and matrices (inner product, matrix-vector, matrix-matrix)."""
    a, b = _pair(a, b, "dot")
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"dot: supports 1-D and 2-D operands; got {a.shape} and {b.shape} "
                         "(use matmul or einsum)")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return matmul(a, b)


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of two vectors: out[i, j] = a[i] * b[j]."""
    a, b = _pair(a, b, "outer")
    return reshape(a, -1, 1) * reshape(b, 1, -1)
