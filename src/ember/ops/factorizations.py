"""More of ``torch.linalg``: eig, qr, cholesky, solve_triangular, lstsq, matrix_rank.

Gradients follow PyTorch where it defines them: qr (for m >= n), cholesky, solve_triangular
and lstsq's solution (full rank) are differentiable, written with tensor ops so that second
derivatives work. The general ``eig`` gives complex results, which ember's autograd does not
carry: it raises if asked to record, rather than silently returning values with no gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ember import backend
from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.decompositions import pinv, solve
from ember.ops.elementwise import where
from ember.ops.linalg_common import LinAlgError, _call, _float, _mT, _square
from ember.ops.matmul import matmul
from ember.ops.matrix_ops import tril, triu
from ember.ops.shape import reshape


class EigResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def eig(a: Any) -> EigResult:
    """Eigenvalues and right eigenvectors (columns) of a general square matrix, complex as in
    ``torch.linalg.eig`` (complex64 for float32 input). Not differentiable: for a symmetric
    matrix use ``eigh``, whose results are real and carry gradients.

    Example:
        >>> import ember as em
        >>> w, v = em.linalg.eig(em.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> sorted(round(z.real, 3) for z in w.tolist())
        [-0.372, 5.372]
    """
    a = _float(a)
    _square("eig", a)
    if STATE.enabled and a.requires_grad:
        raise RuntimeError("eig: gradients through the general (complex) eigendecomposition "
                           "are not supported; use eigh for a symmetric matrix, or pass "
                           "a.detach() for the values alone")
    xp = xp_of(a.data)
    if hasattr(xp.linalg, "eig"):
        w, v = _call("eig", a, xp.linalg.eig, a.data)
    else:  # CuPy without a general eig: compute on the CPU, return on the GPU
        w, v = _call("eig", a, backend.numpy_module().linalg.eig, backend.to_numpy(a.data))
        w, v = backend.to_device(w, a.device), backend.to_device(v, a.device)
    ctype = "complex64" if a.data.dtype.itemsize <= 4 else "complex128"
    return EigResult(wrap_array(w.astype(ctype)), wrap_array(v.astype(ctype)))


def eigvals(a: Any) -> Tensor:
    """The (complex) eigenvalues of a general square matrix; see ``eig``."""
    return eig(a).eigenvalues


def qr(a: Any, mode: str = "reduced") -> QRResult:
    """A = Q R with orthonormal columns in Q and R upper triangular (``mode="reduced"``, or
    ``"complete"``, or ``"r"`` for R alone, as ``torch.linalg.qr``). Differentiable for
    m >= n in the reduced form: dA = (dQ + Q copyltu(M)) R^-T, M = R dR^T - dQ^T Q.

    Example:
        >>> import ember as em
        >>> q, r = em.linalg.qr(em.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> round(abs(r[0, 0].item()), 4)
        5.0
    """
    a = _float(a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r'; got {mode!r}")
    if a.ndim < 2:
        raise ValueError(f"qr: expected a matrix (..., m, n); got shape {a.shape}")
    m, n = a.shape[-2:]
    if STATE.enabled and a.requires_grad and (m < n or (mode == "complete" and m > n)):
        raise RuntimeError(f"qr: the gradient is defined for m >= n in mode 'reduced' (as in "
                           f"PyTorch); got shape {a.shape} with mode {mode!r}")
    xp = xp_of(a.data)
    qd, rd = _call("qr", a, xp.linalg.qr, a.data, "complete" if mode == "complete" else
                   "reduced")

    def backward(gq: Tensor | None, gr: Tensor | None) -> Tensor:
        m_ = 0.0
        if gr is not None:
            m_ = matmul(r, _mT(gr))
        if gq is not None:
            m_ = m_ - matmul(_mT(gq), q)
        copied = tril(m_, -1) + _mT(tril(m_))  # copy the lower triangle up (symmetric)
        b = matmul(q, copied) if gq is None else gq + matmul(q, copied)
        return _mT(solve(r, _mT(b)))  # b R^-T

    q = record_op(qd, (a,), lambda g: (backward(g, None),), "qr")
    r = record_op(rd, (a,), lambda g: (backward(None, g),), "qr")
    if mode == "r":
        return QRResult(wrap_array(xp.zeros((0,), dtype=rd.dtype)), r)
    return QRResult(q, r)


def cholesky(a: Any, upper: bool = False) -> Tensor:
    """L with A = L L^T for a symmetric positive-definite A (U = L^T with ``upper=True``);
    a matrix that is not positive definite raises ``LinAlgError``. Differentiable:
    dA = sym(L^-T phi(L^T dL) L^-1), phi = the lower triangle with its diagonal halved.

    Example:
        >>> import ember as em
        >>> em.linalg.cholesky(em.tensor([[4.0, 2.0], [2.0, 2.0]])).tolist()
        [[2.0, 0.0], [1.0, 1.0]]
    """
    a = _float(a)
    _square("cholesky", a)
    xp = xp_of(a.data)
    try:
        data = xp.linalg.cholesky(a.data)
    except Exception as exc:
        if type(exc).__name__ != "LinAlgError":
            raise
        raise LinAlgError(f"cholesky: the matrix of shape {a.shape} is not positive definite "
                          f"(or a matrix in the batch is not): {exc}") from None
    if xp.__name__ != "numpy" and not bool(xp.isfinite(data).all()):
        raise LinAlgError(f"cholesky: the matrix of shape {a.shape} is not positive definite")

    def backward(g: Tensor) -> tuple:
        p = tril(matmul(_mT(low), tril(g)))
        p = p - 0.5 * (p * wrap_array(xp.eye(p.shape[-1], dtype=p.data.dtype)))
        s = solve(_mT(low), _mT(solve(_mT(low), _mT(p))))  # L^-T P L^-1
        return (0.5 * (s + _mT(s)),)

    low = record_op(data, (a,), backward, "cholesky")
    return _mT(low) if upper else low


def solve_triangular(a: Any, b: Any, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for triangular A, as
    ``torch.linalg.solve_triangular``: only A's ``upper`` / lower triangle is read (and
    with ``unitriangular`` its diagonal taken as ones). Differentiable in A and B.

    Example:
        >>> import ember as em
        >>> a = em.tensor([[2.0, 0.0], [1.0, 1.0]])
        >>> em.linalg.solve_triangular(a, em.tensor([[2.0], [3.0]]), upper=False).tolist()
        [[1.0], [2.0]]
    """
    a, b = _float(a), _float(b)
    _square("solve_triangular", a)
    if b.ndim < 2:
        raise ValueError(f"solve_triangular: b must be a matrix (..., n, k) as in PyTorch; got "
                         f"shape {b.shape} (use b.reshape(-1, 1) for a vector)")
    tri = triu(a) if upper else tril(a)
    if unitriangular:
        eye = xp_of(a.data).eye(a.shape[-1], dtype=bool)
        tri = where(eye, 1.0, tri)
    if left:
        return solve(tri, b)
    return _mT(solve(_mT(tri), _mT(b)))


def lstsq(a: Any, b: Any, rcond: float | None = None) -> LstsqResult:
    """The least-squares solution of A X = B (``torch.linalg.lstsq``'s result tuple).

    ``solution`` is differentiable (through the pseudo-inverse, so for full-rank A);
    ``residuals`` holds the squared residual norms when m > n and A has full rank (empty
    otherwise, as PyTorch); ``rank`` and ``singular_values`` come from NumPy's lstsq.

    Example:
        >>> import ember as em
        >>> a = em.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
        >>> em.linalg.lstsq(a, em.tensor([[1.0], [2.0], [3.0]])).solution.numpy().round(4)
        array([[1.],
               [1.]], dtype=float32)
    """
    a, b = _float(a), _float(b)
    if a.ndim != 2:
        raise ValueError(f"lstsq: expected a matrix a (m, n); got shape {a.shape}")
    vector = b.ndim == 1
    if vector:
        b = reshape(b, (-1, 1))
    if b.ndim != 2 or b.shape[0] != a.shape[0]:
        raise ValueError(f"lstsq: a has shape {a.shape}, so b needs shape ({a.shape[0]}, k); "
                         f"got {b.shape}")
    xp = xp_of(a.data)
    _, _, rank, sv = xp.linalg.lstsq(a.data, b.data, rcond=rcond)
    solution = matmul(pinv(a), b)
    m, n = a.shape
    dt = a.data.dtype
    if m > n and int(rank) == n:
        r = matmul(a, solution) - b
        residuals = (r * r).sum(axis=0)
    else:
        residuals = wrap_array(xp.zeros((0,), dtype=dt))
    if vector:
        solution = reshape(solution, (-1,))
    return LstsqResult(solution, residuals, wrap_array(xp.asarray(rank, dtype="int64")),
                       wrap_array(sv.astype(dt)))


def matrix_rank(a: Any, tol: float | None = None, *, atol: float | None = None,
                rtol: float | None = None, hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * largest) (batched, int64).

    Without tolerances rtol = eps * max(m, n), as ``torch.linalg.matrix_rank`` and NumPy;
    ``tol`` is NumPy's absolute tolerance.

    Example:
        >>> import ember as em
        >>> em.linalg.matrix_rank(em.tensor([[1.0, 2.0], [2.0, 4.0]])).item()
        1
    """
    a = _float(a)
    if a.ndim < 2:
        raise ValueError(f"matrix_rank: expected a matrix (..., m, n); got shape {a.shape}")
    xp = xp_of(a.data)
    s = xp.abs(xp.linalg.eigvalsh(a.data)) if hermitian else xp.linalg.svd(a.data,
                                                                            compute_uv=False)
    top = s.max(axis=-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,))
    if tol is not None:
        atol = tol
    if atol is None and rtol is None:
        rtol = xp.finfo(a.data.dtype).eps * max(a.shape[-2:])
    limit = xp.maximum(atol or 0.0, (rtol or 0.0) * top)
    return wrap_array((s > limit).sum(axis=-1).astype("int64"))


__all__ = ["EigResult", "QRResult", "LstsqResult", "eig", "eigvals", "qr", "cholesky",
           "solve_triangular", "lstsq", "matrix_rank"]
