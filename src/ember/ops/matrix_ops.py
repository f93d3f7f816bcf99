"""Matrix-shaped ops PyTorch and NumPy users reach for: tril, triu, diag, diagonal, kron.

Each backward is the same kind of op on the gradient (tril's is tril), so higher-order
gradients work.
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op
from ember.backend import xp_of
from ember.ops.matmul import outer
from ember.ops.shape import reshape


def tril(x: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``) of the last two axes; the rest is 0.

    Example:
        >>> import ember as em
        >>> em.tril(em.ones(2, 2)).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"tril: expected a matrix (..., n, m); got shape {x.shape}")
    return record_op(xp_of(x.data).tril(x.data, diagonal), (x,), lambda g: (tril(g, diagonal),),
                "tril")


def triu(x: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``) of the last two axes; the rest is 0.

    Example:
        >>> import ember as em
        >>> em.triu(em.ones(2, 2)).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"triu: expected a matrix (..., n, m); got shape {x.shape}")
    return record_op(xp_of(x.data).triu(x.data, diagonal), (x,), lambda g: (triu(g, diagonal),),
                "triu")


def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (``dim1``, ``dim2``) planes, as a new last axis (PyTorch/NumPy).

    Example:
        >>> import ember as em
        >>> em.diagonal(em.eye(3) * 2).tolist()
        [2.0, 2.0, 2.0]
    """
    x = as_tensor(x)
    xp = xp_of(x.data)
    data = xp.diagonal(x.data, offset, dim1, dim2).copy()
    shape = x.shape

    def backward(g: Tensor) -> tuple:
        return (_diag_embed(g, offset, dim1, dim2, shape),)

    return record_op(data, (x,), backward, "diagonal")


def _diag_embed(g: Any, offset: int, dim1: int, dim2: int, shape: tuple) -> Tensor:
    """A zero tensor of ``shape`` with ``g`` written on the diagonal that ``diagonal`` read."""
    g = as_tensor(g)
    xp = xp_of(g.data)
    out = xp.zeros(shape, dtype=g.data.dtype)
    view = _writable_diagonal(out, offset, dim1, dim2)
    view[...] = g.data
    return record_op(out, (g,), lambda h: (diagonal(h, offset, dim1, dim2),), "diag_embed")


def _writable_diagonal(a: Any, offset: int, dim1: int, dim2: int) -> Any:
    """A writable view of ``a``'s diagonal (NumPy's own ``diagonal`` view is read-only)."""
    xp = xp_of(a)
    nd = a.ndim
    d1, d2 = dim1 % nd, dim2 % nd
    moved = xp.moveaxis(a, (d1, d2), (-2, -1))
    n, m = moved.shape[-2:]
    rows = xp.arange(max(0, -offset), min(n, m - offset))
    return _DiagView(moved, rows, rows + offset)


class _DiagView:
    """Index assignment into a (..., n, m) array at (rows, cols) via ``__setitem__``."""

    def __init__(self, moved: Any, rows: Any, cols: Any) -> None:
        self.moved, self.rows, self.cols = moved, rows, cols

    def __setitem__(self, index: Any, value: Any) -> None:
        self.moved[..., self.rows, self.cols] = value


def diag(x: Any, diagonal_: int = 0) -> Tensor:
    """A 1-D input becomes a diagonal matrix; a 2-D input gives its diagonal (torch.diag).

    Example:
        >>> import ember as em
        >>> em.diag(em.tensor([1.0, 2.0])).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
    """
    x = as_tensor(x)
    if x.ndim == 2:
        return diagonal(x, diagonal_)
    if x.ndim != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D tensor; got shape {x.shape}")
    n = x.shape[0] + abs(diagonal_)
    return _diag_embed(x, diagonal_, 0, 1, (n, n))


def kron(a: Any, b: Any) -> Tensor:
    """The Kronecker product of two matrices (or vectors): blocks a[i, j] * b.

    Example:
        >>> import ember as em
        >>> em.kron(em.eye(2), em.ones(1, 2)).tolist()
        [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != b.ndim or a.ndim not in (1, 2):
        raise ValueError(f"kron: expected two vectors or two matrices; got shapes {a.shape} "
                         f"and {b.shape}")
    if a.ndim == 1:
        return reshape(outer(a, b), (-1,))
    (p, q), (r, s) = a.shape, b.shape
    blocks = reshape(a, (p, 1, q, 1)) * reshape(b, (1, r, 1, s))
    return reshape(blocks, (p * r, q * s))


__all__ = ["tril", "triu", "diagonal", "diag", "kron"]
