"""Shared pieces of the linear-algebra ops: the error type, result tuples, input checks."""

from __future__ import annotations

from typing import Any, NamedTuple

from ember.autograd.tensor import Tensor, as_tensor
from ember.backend import floatx, xp_of
from ember.ops.elementwise import where
from ember.ops.misc import astype
from ember.ops.shape import reshape, swapaxes


class LinAlgError(ValueError):
    """A linear-algebra routine got an input it cannot handle (e.g. a singular matrix)."""


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


def _float(x: Any) -> Tensor:
    x = x if isinstance(x, Tensor) else as_tensor(x)
    return x if x.data.dtype.kind == "f" else astype(x, floatx())


def _mT(x: Tensor) -> Tensor:
    return swapaxes(x, -1, -2)


def _square(fn: str, a: Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{fn}: expected a square matrix (or a batch of them, shape (..., n, n)); "
                         f"got shape {a.shape}")


def _call(fn: str, a: Tensor, compute: Any, *args: Any) -> Any:
    """Run a NumPy/CuPy linalg routine; a singular matrix becomes a clear ``LinAlgError``."""
    xp = xp_of(a.data)
    try:
        out = compute(*args)
    except Exception as exc:
        if type(exc).__name__ != "LinAlgError":
            raise
        raise LinAlgError(f"{fn}: the matrix of shape {a.shape} is singular (or a matrix in the "
                          f"batch is): {exc}") from None
    # CuPy does not raise for singular input: it returns inf / nan instead
    parts = out if isinstance(out, tuple) else (out,)
    if xp.__name__ != "numpy" and not all(bool(xp.isfinite(p).all()) for p in parts):
        raise LinAlgError(f"{fn}: the matrix of shape {a.shape} is singular (non-finite result)")
    return out


def _eye(n: int, like: Tensor, m: int | None = None, k: int = 0) -> Any:
    return xp_of(like.data).eye(n, m, k=k, dtype=like.data.dtype)


def _offdiag_inverse(d: Tensor) -> Tensor:
    """F[..., i, j] = 1 / (d_j - d_i) off the diagonal and 0 on it (eigh and svd backward)."""
    e = reshape(d, d.shape[:-1] + (1, -1)) - reshape(d, d.shape + (1,))
    off = ~xp_of(d.data).eye(d.shape[-1], dtype=bool)
    return where(off, 1 / where(off, e, 1.0), 0.0)
