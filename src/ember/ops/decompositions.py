"""Matrix functions and decompositions: inv, det, slogdet, solve, pinv, eigh, svd.

Backward rules are tensor ops, so second derivatives work; eigh and svd record one node per
output (their backward is linear in the output gradients, so the engine sums the terms).
"""

from __future__ import annotations

from typing import Any

from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.linalg_common import (
    EighResult,
    LinAlgError,
    SlogdetResult,
    SVDResult,
    _call,
    _float,
    _mT,
    _offdiag_inverse,
    _square,
)
from ember.ops.matmul import matmul
from ember.ops.shape import reshape


def inv(a: Any) -> Tensor:
    """Matrix inverse (batched); a singular matrix raises ``LinAlgError``.

    Example:
        >>> import ember as em
        >>> em.linalg.inv(em.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5 , 0.  ],
                [0.  , 0.25]])
    """
    a = _float(a)
    _square("inv", a)
    data = _call("inv", a, xp_of(a.data).linalg.inv, a.data)

    def backward(g: Tensor) -> tuple:
        ot = _mT(out)
        return (-matmul(matmul(ot, g), ot),)

    out = record_op(data, (a,), backward, "inv")
    return out


def det(a: Any) -> Tensor:
    """Determinant (batched). Its gradient is the cofactor matrix, also for singular input.

    Example:
        >>> import ember as em
        >>> em.linalg.det(em.tensor([[1.0, 2.0], [3.0, 4.0]])).item()
        -2.0...
    """
    a = _float(a)
    _square("det", a)
    xp = xp_of(a.data)
    data = xp.asarray(xp.linalg.det(a.data))

    def backward(g: Tensor) -> tuple:
        if bool((data != 0).all()):
            return (reshape(g * out, g.shape + (1, 1)) * _mT(inv(a)),)
        if STATE.enabled:
            raise RuntimeError("det: second derivatives at a singular matrix are not supported")
        return (reshape(g, g.shape + (1, 1)) * wrap_array(_cofactor(a.data)),)

    out = record_op(data, (a,), backward, "det", (a,))
    return out


def _cofactor(a: Any) -> Any:
    """The cofactor matrix det(A) A^-T, computed through the SVD so that it exists for singular
    A: A = U S Vh gives cofactor(A) = det(U) det(Vh) U adj(S) Vh, adj(S)_i = prod_(j!=i) s_j."""
    xp = xp_of(a)
    u, s, vh = xp.linalg.svd(a)
    ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), -1),
                               axis=-1), -1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return (u * (before * after)[..., None, :]) @ vh * sign[..., None, None]


def slogdet(a: Any) -> SlogdetResult:
    """(sign, log|det|) of a square matrix (batched), stable where det over- or underflows.

    ``sign`` is constant (no gradient); d log|det A| / dA = A^-T.

    Example:
        >>> import ember as em
        >>> sign, logdet = em.linalg.slogdet(em.eye(3) * 2)
        >>> sign.item(), round(logdet.item(), 4)
        (1.0, 2.0794)
    """
    a = _float(a)
    _square("slogdet", a)
    xp = xp_of(a.data)
    sign, logabs = xp.linalg.slogdet(a.data)
    out = record_op(xp.asarray(logabs), (a,), lambda g: (reshape(g, g.shape + (1, 1))
                                                    * _mT(inv(a)),), "slogdet", (a,))
    return SlogdetResult(wrap_array(xp.asarray(sign)), out)


def solve(a: Any, b: Any) -> Tensor:
    """x with a @ x = b, as ``numpy.linalg.solve`` (NumPy 2): ``b`` is a vector only when it
    is 1-D, otherwise (..., n, k); batch axes broadcast.

    Example:
        >>> import ember as em
        >>> em.linalg.solve(em.tensor([[2.0, 0.0], [0.0, 4.0]]), em.tensor([1.0, 1.0]))
        tensor([0.5 , 0.25])
    """
    a, b = _float(a), _float(b)
    _square("solve", a)
    n = a.shape[-1]
    if b.ndim == 1:
        if b.shape[0] != n:
            raise ValueError(f"solve: a has shape {a.shape}, so b needs {n} entries; got {b.shape}")
        x = solve(a, reshape(b, (n, 1)))
        return reshape(x, x.shape[:-1])
    if b.shape[-2] != n:
        raise ValueError(f"solve: a has shape {a.shape}, so b needs shape (..., {n}, k); got "
                         f"{b.shape}")
    xp = xp_of(a.data)
    try:
        data = _call("solve", a, xp.linalg.solve, a.data, b.data)
    except LinAlgError:
        raise
    except ValueError:
        raise ValueError(f"solve: batch shapes of a {a.shape} and b {b.shape} cannot be "
                         "broadcast") from None

    def backward(g: Tensor) -> tuple:
        gb = solve(_mT(a), g)
        ga = -matmul(gb, _mT(out)) if a.requires_grad else None
        return ga, gb

    out = record_op(data, (a, b), backward, "solve", (a,))
    return out


def pinv(a: Any) -> Tensor:
    """Moore-Penrose pseudo-inverse (batched). The gradient assumes the rank does not change
    near ``a`` (true for full-rank input; undefined where it jumps).

    Example:
        >>> import ember as em
        >>> em.linalg.pinv(em.tensor([[1.0], [1.0]])).numpy().round(4).tolist()
        [[0.5, 0.5]]
    """
    a = _float(a)
    if a.ndim < 2:
        raise ValueError(f"pinv: expected a matrix (..., m, n); got shape {a.shape}")
    data = xp_of(a.data).linalg.pinv(a.data)

    def backward(g: Tensor) -> tuple:
        # Golub & Pereyra: dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X
        x, xt, gt = out, _mT(out), _mT(g)
        first = -matmul(matmul(xt, g), xt)
        second = matmul(gt - matmul(a, matmul(x, gt)), matmul(x, xt))
        third = matmul(matmul(xt, x), gt - matmul(matmul(gt, x), a))
        return (first + second + third,)

    out = record_op(data, (a,), backward, "pinv", (a,))
    return out


# ------------------------------------------------------------------ decompositions
def eigh(a: Any, UPLO: str | None = None) -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix.

    A matrix that is not symmetric raises ``LinAlgError`` (its eigenvalues are not what eigh
    would return; use ``eig``): symmetric means max|A - A^T| <= ``SYMMETRY_RTOL`` (1e-4 for
    float32, 1e-10 for float64) times max|A|. Passing ``UPLO="L"`` or ``"U"`` skips the
    check and reads only that triangle, as NumPy does. Backward (w: eigenvalues, V: vectors):
    dL/dA = V (diag(dL/dw) + F * skew(V^T dL/dV) / 2) V^T with F_ij = 1 / (w_j - w_i). With
    repeated eigenvalues the eigenvectors are not unique and their gradient is undefined
    (inf / nan); losses of the eigenvalues alone stay fine. Eigenvector signs are arbitrary,
    so differentiate only sign-invariant functions of them (e.g. projectors v v^T).

    Example:
        >>> import ember as em
        >>> w, v = em.linalg.eigh(em.tensor([[2.0, 1.0], [1.0, 2.0]]))
        >>> w
        tensor([1., 3.])
    """
    a = _float(a)
    _square("eigh", a)
    xp = xp_of(a.data)
    if UPLO is None:
        _check_symmetric("eigh", a)
    wd, vd = _call("eigh", a, xp.linalg.eigh, a.data, UPLO or "L")

    def w_backward(g: Tensor) -> tuple:
        return (matmul(v * reshape(g, g.shape[:-1] + (1, -1)), _mT(v)),)

    def v_backward(g: Tensor) -> tuple:
        x = matmul(_mT(v), g)
        inner = _offdiag_inverse(w) * (x - _mT(x)) * 0.5
        return (matmul(matmul(v, inner), _mT(v)),)

    w = record_op(wd, (a,), w_backward, "eigh")
    v = record_op(vd, (a,), v_backward, "eigh")
    return EighResult(w, v)


SYMMETRY_RTOL = {"float64": 1e-10, "float32": 1e-4, "float16": 1e-2}


def _check_symmetric(fn: str, a: Tensor) -> None:
    xp = xp_of(a.data)
    d = a.data
    rtol = SYMMETRY_RTOL.get(d.dtype.name, 1e-4)
    if not d.size:
        return
    gap = float(xp.abs(d - xp.swapaxes(d, -1, -2)).max())
    scale = max(float(xp.abs(d).max()), 1e-30)
    if gap > rtol * scale:
        raise LinAlgError(
            f"{fn}: the matrix is not symmetric (max|A - A^T| = {gap:.3g}, above the tolerance "
            f"SYMMETRY_RTOL={rtol:g} x max|A| = {rtol * scale:.3g}); its eigenvalues are not "
            f"what {fn} computes. Use em.linalg.eig for a general matrix, symmetrize it "
            f"((A + A.T) / 2), or pass UPLO='L' to read one triangle as NumPy does"
        )


def eigvalsh(a: Any, UPLO: str | None = None) -> Tensor:
    """The eigenvalues of a symmetric matrix, ascending (differentiable); see ``eigh``."""
    return eigh(a, UPLO).eigenvalues


def svd(a: Any, full_matrices: bool = False) -> SVDResult:
    """Thin SVD a = U @ diag(S) @ Vh (batched), S descending; differentiable in U, S and Vh.

    Only ``full_matrices=False`` is supported (the extra columns of the full U / Vh are not
    unique). Singular vectors are defined up to sign: differentiate sign-invariant functions
    (S, U @ diag(S) @ Vh, projectors). With repeated singular values the gradient through U
    and Vh is undefined, and with a zero singular value that through the non-square part too.

    Example:
        >>> import ember as em
        >>> u, s, vh = em.linalg.svd(em.tensor([[3.0, 0.0], [0.0, -2.0]]))
        >>> s
        tensor([3., 2.])
    """
    a = _float(a)
    if full_matrices:
        raise ValueError("svd: only full_matrices=False is supported (the thin SVD)")
    if a.ndim < 2:
        raise ValueError(f"svd: expected a matrix (..., m, n); got shape {a.shape}")
    xp = xp_of(a.data)
    ud, sd, vhd = _call("svd", a, xp.linalg.svd, a.data, False)
    m, n = a.shape[-2:]
    k = min(m, n)

    def row(t: Tensor) -> Tensor:  # (..., k) -> (..., 1, k): scales columns
        return reshape(t, t.shape[:-1] + (1, k))

    def s_backward(g: Tensor) -> tuple:
        return (matmul(u * row(g), vh),)

    def u_backward(g: Tensor) -> tuple:
        x = matmul(_mT(u), g)
        ga = matmul(matmul(u, _offdiag_inverse(s * s) * (x - _mT(x)) * row(s)), vh)
        if m > k:  # the part of dL/dU outside span(U)
            ga = ga + matmul((g - matmul(u, x)) / row(s), vh)
        return (ga,)

    def vh_backward(g: Tensor) -> tuple:
        y = matmul(vh, _mT(g))  # V^T dL/dV
        inner = _mT(row(s)) * (_offdiag_inverse(s * s) * (y - _mT(y)))
        ga = matmul(matmul(u, inner), vh)
        if n > k:
            ga = ga + matmul(u / row(s), g - matmul(_mT(y), vh))
        return (ga,)

    u = record_op(ud, (a,), u_backward, "svd")
    s = record_op(sd, (a,), s_backward, "svd")
    vh = record_op(vhd, (a,), vh_backward, "svd")
    return SVDResult(u, s, vh)
