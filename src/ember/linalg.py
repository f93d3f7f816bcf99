"""Linear algebra, as ``numpy.linalg`` / ``torch.linalg``: products, inverse, determinant, solve,
norms, the symmetric eigen- and singular-value decompositions, qr, cholesky, solve_triangular and
lstsq, differentiable and batched; the general ``eig`` (complex) and ``matrix_rank`` too.

Example:
    >>> import ember as em
    >>> a = em.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> x = em.linalg.solve(a, em.tensor([1.0, 2.0]))
    >>> em.linalg.det(a).backward()          # d det(A) / dA = det(A) * A^-T
    >>> a.grad
    tensor([[ 3., -1.],
            [-1.,  4.]])
    >>> w, v = em.linalg.eigh(a.detach())    # eigenvalues ascending, eigenvectors in columns
    >>> em.linalg.norm((v * w) @ v.T - a.detach()).item() < 1e-5
    True
"""

from ember.ops.decompositions import (
    SYMMETRY_RTOL,
    det,
    eigh,
    eigvalsh,
    inv,
    pinv,
    slogdet,
    solve,
    svd,
)
from ember.ops.factorizations import (
    EigResult,
    LstsqResult,
    QRResult,
    cholesky,
    eig,
    eigvals,
    lstsq,
    matrix_rank,
    qr,
    solve_triangular,
)
from ember.ops.linalg import cross, einsum, norm, trace
from ember.ops.linalg_common import EighResult, LinAlgError, SlogdetResult, SVDResult
from ember.ops.matmul import dot, matmul, outer

__all__ = [
    "SYMMETRY_RTOL", "EigResult", "EighResult", "LinAlgError", "LstsqResult", "QRResult",
    "SlogdetResult", "SVDResult", "cholesky", "cross", "det", "dot", "eig", "eigh", "eigvals",
    "eigvalsh", "einsum", "inv", "lstsq", "matmul", "matrix_rank", "norm", "outer", "pinv",
    "qr", "slogdet", "solve", "solve_triangular", "svd", "trace",
]
