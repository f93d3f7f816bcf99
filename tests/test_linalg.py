"""em.linalg and em.einsum / em.cross / em.trace against torch.linalg (float32) and finite
differences (float64). Decompositions are checked through gauge-invariant quantities only
(eigen/singular values, reconstructions, projectors v v^T): singular vectors have free signs."""

import numpy as np
import pytest

import ember as em
from oracle import check_op

torch = pytest.importorskip("torch")
inf = float("inf")


def well_conditioned(*shape, seed=0):
    """Random square matrices (batched) kept far from singular: uniform noise + n * I."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    return rng.uniform(-1, 1, size=shape) + n * np.eye(n)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, size=shape)


def sym(x):
    return (x + x.swapaxes(-1, -2)) * 0.5


# ------------------------------------------------------------------ einsum
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i", [(4,), (4,)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("...ij,jk", [(2, 3, 4), (4, 2)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("iij,k->jk", [(2, 2, 3), (2,)]),
    ("ij,k->", [(2, 3), (2,)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum(spec, shapes):
    check_op(lambda *xs: em.einsum(spec, *xs), shapes,
             torch_fn=lambda *ts: torch.einsum(spec, *ts))


def test_einsum_with_a_contraction_path_matches_torch():
    check_op(lambda a, b, c: em.einsum("ij,jk,k->i", a, b, c), [(40, 64), (64, 30), (30,)],
             torch_fn=lambda a, b, c: torch.einsum("ij,jk,k->i", a, b, c), fd=False,
             atol=1e-4, grad_atol=1e-3)


def test_einsum_same_operand_twice_sums_both_gradients():
    x = em.tensor([1.0, 2.0, 3.0], requires_grad=True)
    em.einsum("i,i->", x, x).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())


@pytest.mark.parametrize("spec,shapes", [("ij,jk->ik", [(2, 3), (3, 2)]), ("ii->i", [(3, 3)]),
                                         ("i,i,ij->j", [(2,), (2,), (2, 3)])])
def test_einsum_second_derivatives(spec, shapes):
    assert em.gradgradcheck(lambda *xs: em.einsum(spec, *xs), [rand(*s) for s in shapes])


def test_einsum_errors():
    with pytest.raises(ValueError, match="einsum: .* names 2 operands; got 1"):
        em.einsum("ij,jk->ik", em.ones((2, 3)))
    with pytest.raises(ValueError, match="einsum: axis 'j' has sizes 3 and 4"):
        em.einsum("ij,jk->ik", em.ones((2, 3)), em.ones((4, 2)))
    with pytest.raises(ValueError, match="einsum: subscripts 'ijk' do not fit operand 0"):
        em.einsum("ijk->i", em.ones((2, 3)))
    with pytest.raises(ValueError, match="einsum: output subscript 'z'"):
        em.einsum("ij->z", em.ones((2, 3)))


def test_einsum_keeps_float32():
    assert em.einsum("ij,jk->ik", em.ones((2, 3)), em.ones((3, 2))).dtype == np.float32


# ------------------------------------------------------------------ cross, trace
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(4, 3), (3,)], [(2, 1, 3), (5, 3)]])
def test_cross(shapes):
    check_op(em.cross, shapes,
             torch_fn=lambda a, b: torch.linalg.cross(*torch.broadcast_tensors(a, b)))


def test_cross_axis():
    check_op(lambda a, b: em.cross(a, b, axis=0), [(3, 4), (3, 4)],
             torch_fn=lambda a, b: torch.linalg.cross(a, b, dim=0))
    np.testing.assert_allclose(em.cross(em.eye(3), em.eye(3)[[1, 2, 0]]).numpy(),
                               np.cross(np.eye(3), np.eye(3)[[1, 2, 0]]))


def test_cross_second_derivatives_and_errors():
    assert em.gradgradcheck(em.cross, [rand(2, 3), rand(2, 3, seed=1)])
    with pytest.raises(ValueError, match=r"cross: needs 3-vectors .* \(2,\)"):
        em.cross(em.ones(2), em.ones(2))


@pytest.mark.parametrize("shape,offset", [((4, 4), 0), ((3, 5), 1), ((2, 3, 4), 0),
                                          ((4, 3), -1)])
def test_trace(shape, offset):
    check_op(lambda x: em.trace(x, offset),
             [shape], torch_fn=lambda t: torch.diagonal(t, offset, -2, -1).sum(-1))


def test_trace_second_derivatives_and_errors():
    assert em.gradgradcheck(lambda x: em.trace(x * x), [rand(3, 3)])
    with pytest.raises(ValueError, match=r"trace: expected a matrix .* \(3,\)"):
        em.trace(em.ones(3))


# ------------------------------------------------------------------ norm
VECTOR_NORMS = [
    ((5,), {}), ((3, 4), {}), ((3, 4), {"axis": 1}), ((3, 4), {"axis": 0, "keepdims": True}),
    ((5,), {"ord": 1}), ((5,), {"ord": inf}), ((5,), {"ord": -inf}), ((2, 5), {"ord": 3,
                                                                             "axis": -1}),
    ((5,), {"ord": 0.5}), ((5,), {"ord": 2}), ((2, 3, 4), {"axis": (0, 2)}),
]


def _torch_norm(t, ord=None, axis=None, keepdims=False):
    return torch.linalg.norm(t, ord, axis, keepdims)


@pytest.mark.parametrize("shape,kw", VECTOR_NORMS, ids=[str(k) for _, k in VECTOR_NORMS])
def test_vector_norm(shape, kw):
    check_op(lambda x: em.linalg.norm(x, **kw), [shape],
             torch_fn=lambda t: _torch_norm(t, **kw), away_from=0.0)


MATRIX_NORMS = [
    ("fro", None, False), ("nuc", None, False), (2, None, False), (-2, None, False),
    (1, None, False), (-1, None, False), (inf, None, False), (-inf, None, False),
    (inf, (0, 2), False), (2, (-1, -2), True), (1, (2, 0), True),
]


@pytest.mark.parametrize("ord,axis,keepdims", MATRIX_NORMS,
                         ids=[f"{o}-{a}-{k}" for o, a, k in MATRIX_NORMS])
def test_matrix_norm(ord, axis, keepdims):
    shape = (3, 4) if axis is None else (3, 2, 4)
    check_op(lambda x: em.linalg.norm(x, ord, axis, keepdims), [shape],
             torch_fn=lambda t: _torch_norm(t, ord, axis, keepdims), away_from=0.0)


def test_norm_at_zero_has_finite_subgradient():
    for ord in (None, 2, 3, 0.5):
        x = em.zeros(4, requires_grad=True)
        em.linalg.norm(x, ord).backward()
        assert np.all(x.grad.numpy() == 0), ord
    x = em.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    em.linalg.norm(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0], [0.6, 0.8]], rtol=1e-6)


def test_norm_count_and_second_derivatives_and_errors():
    assert em.linalg.norm(em.tensor([0.0, 2.0, -1.0]), 0).item() == 2
    assert em.gradgradcheck(lambda x: em.linalg.norm(x, axis=-1), [rand(2, 3)])
    assert em.gradgradcheck(lambda x: em.linalg.norm(x, 3), [rand(4)])
    with pytest.raises(ValueError, match="norm: unknown matrix ord 'bad'"):
        em.linalg.norm(em.ones((2, 2)), "bad")
    with pytest.raises(ValueError, match="norm: ord=2 needs a 1-D or 2-D input"):
        em.linalg.norm(em.ones((2, 2, 2)), 2)


# ------------------------------------------------------------------ inv, det, slogdet, solve
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_inv(shape):
    check_op(em.linalg.inv, inputs=[well_conditioned(*shape)], torch_fn=torch.linalg.inv)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_det(shape):
    check_op(em.linalg.det, inputs=[rand(*shape)], torch_fn=torch.linalg.det, grad_atol=2e-4)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    # PyTorch 2.13 returns a zero gradient here, which is wrong: d det(A)/dA is the cofactor
    # matrix, nonzero for a rank n-1 matrix. So the oracle is the cofactors, written out.
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    cofactors = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                           for j in range(3)] for i in range(3)])
    for dtype, atol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        x = em.tensor(a.astype(dtype), requires_grad=True)
        em.linalg.det(x).backward()
        np.testing.assert_allclose(x.grad.numpy(), cofactors, atol=atol)
    em.gradcheck(em.linalg.det, [a])  # and finite differences in float64


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_slogdet(shape):
    a = rand(*shape, seed=3)
    check_op(lambda x: em.linalg.slogdet(x).logabsdet, inputs=[a],
             torch_fn=lambda t: torch.linalg.slogdet(t).logabsdet)
    sign, logabs = em.linalg.slogdet(em.tensor(a.astype(np.float32)))
    np.testing.assert_array_equal(sign.numpy(), np.linalg.slogdet(a)[0])
    assert sign.dtype == np.float32 and logabs.dtype == np.float32


SOLVE = [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 2)), ((2, 3, 3), (3,)),
         ((3, 3), (2, 3, 1)), ((2, 1, 3, 3), (4, 3, 2))]


@pytest.mark.parametrize("a_shape,b_shape", SOLVE, ids=[f"{a}-{b}" for a, b in SOLVE])
def test_solve(a_shape, b_shape):
    check_op(em.linalg.solve, inputs=[well_conditioned(*a_shape), rand(*b_shape)],
             torch_fn=torch.linalg.solve)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 2)])
def test_pinv(shape):
    check_op(em.linalg.pinv, inputs=[rand(*shape, seed=2)], torch_fn=torch.linalg.pinv,
             grad_atol=3e-4)


@pytest.mark.parametrize("name", ["inv", "det", "solve"])
def test_second_derivatives(name):
    a = well_conditioned(3, 3)
    if name == "solve":
        assert em.gradgradcheck(em.linalg.solve, [a, rand(3, 2)])
    else:
        assert em.gradgradcheck(getattr(em.linalg, name), [a])
    assert em.gradgradcheck(lambda x: em.linalg.slogdet(x).logabsdet, [a])


def test_singular_matrices_raise_clear_errors():
    a = em.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(em.linalg.LinAlgError, match=r"inv: the matrix of shape \(2, 2\) is "
                                                    "singular"):
        em.linalg.inv(a)
    with pytest.raises(em.linalg.LinAlgError, match=r"solve: the matrix of shape \(2, 2\)"):
        em.linalg.solve(a, em.ones(2))
    assert issubclass(em.linalg.LinAlgError, ValueError)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "eigh"])
def test_non_square_input_is_rejected(name):
    with pytest.raises(ValueError, match=rf"{name}: expected a square matrix .* \(2, 3\)"):
        getattr(em.linalg, name)(em.ones((2, 3)))


def test_solve_shape_errors():
    with pytest.raises(ValueError, match=r"solve: expected a square matrix"):
        em.linalg.solve(em.ones((2, 3)), em.ones(2))
    with pytest.raises(ValueError, match=r"solve: a has shape \(3, 3\), so b needs 3 entries"):
        em.linalg.solve(em.eye(3), em.ones(2))
    with pytest.raises(ValueError, match=r"solve: a has shape \(3, 3\), so b needs shape"):
        em.linalg.solve(em.eye(3), em.ones((2, 2)))


# ------------------------------------------------------------------ eigh
def _eigh_losses(lin, x):
    w, v = lin.eigh(sym(x))
    top = v[..., -1:]  # projector on the top eigenvector: sign-free, depends on V only
    return top @ top.swapaxes(-1, -2), (v * w.exp().reshape(w.shape[:-1] + (1, -1))) @ \
        v.swapaxes(-1, -2)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eigh(shape):
    check_op(lambda x: em.linalg.eigh(sym(x)).eigenvalues, [shape],
             torch_fn=lambda t: torch.linalg.eigh(sym(t)).eigenvalues)
    check_op(lambda x: _eigh_losses(em.linalg, x), [shape], atol=1e-4, grad_atol=1e-3,
             torch_fn=lambda t: _eigh_losses(torch.linalg, t))


def test_eigh_values_and_vectors():
    a = sym(rand(4, 4, seed=5))
    w, v = em.linalg.eigh(em.tensor(a))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(((v * w) @ v.T).numpy(), a, atol=1e-5)
    np.testing.assert_allclose(em.linalg.eigvalsh(em.tensor(a)).numpy(), w.numpy())


def test_eigh_reads_one_triangle_as_numpy():
    a = rand(3, 3, seed=6)  # not symmetric: the UPLO triangle defines the matrix
    for uplo in ("L", "U"):
        w = em.linalg.eigvalsh(em.tensor(a), uplo)
        np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a, uplo), atol=1e-5)


def test_decomposition_second_derivatives():
    assert em.gradgradcheck(lambda x: em.linalg.eigvalsh(sym(x)), [rand(3, 3)])
    assert em.gradgradcheck(lambda x: em.linalg.svd(x).S, [rand(4, 3)])
    assert em.gradgradcheck(em.linalg.pinv, [rand(4, 3)])


def test_eigenvalue_gradient_is_finite_for_repeated_eigenvalues():
    x = em.tensor(np.eye(3) * 2, requires_grad=True)
    em.linalg.eigh(x).eigenvalues.sum().backward()  # d trace / dA = I, eigenvectors unused
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3), atol=1e-6)


# ------------------------------------------------------------------ svd
def _svd_losses(lin, x):
    u, s, vh = lin.svd(x, full_matrices=False)
    u1, v1 = u[..., :1], vh[..., :1, :]
    recon = (u * (s * s).reshape(s.shape[:-1] + (1, -1))) @ vh
    return recon, u1 @ u1.swapaxes(-1, -2), v1.swapaxes(-1, -2) @ v1


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (3, 3), (2, 4, 3)])
def test_svd(shape):
    check_op(lambda x: em.linalg.svd(x).S, [shape],
             torch_fn=lambda t: torch.linalg.svd(t, full_matrices=False).S)
    check_op(lambda x: _svd_losses(em.linalg, x), [shape], atol=1e-4, grad_atol=1e-3,
             torch_fn=lambda t: _svd_losses(torch.linalg, t))


def test_svd_reconstructs_and_rejects_full_matrices():
    a = rand(4, 3, seed=4)
    u, s, vh = em.linalg.svd(em.tensor(a))
    assert u.shape == (4, 3) and s.shape == (3,) and vh.shape == (3, 3)
    np.testing.assert_allclose(((u * s) @ vh).numpy(), a, atol=1e-5)
    with pytest.raises(ValueError, match="svd: only full_matrices=False"):
        em.linalg.svd(em.tensor(a), full_matrices=True)


# ------------------------------------------------------------------ namespace
def test_namespace():
    assert em.einsum is em.linalg.einsum and em.cross is em.linalg.cross
    assert em.trace is em.linalg.trace and em.linalg.matmul is em.matmul
    np.testing.assert_allclose(em.linalg.outer(em.ones(2), em.ones(3)).numpy(), np.ones((2, 3)))
    assert em.linalg.dot(em.ones(3), em.ones(3)).item() == 3
    assert em.linalg.inv(em.tensor([[2, 0], [0, 4]])).dtype == np.float32  # ints -> floatx
