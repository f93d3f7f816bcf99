"""The torch.linalg functions added for PyTorch users: eig, qr, cholesky, solve_triangular,
lstsq, matrix_rank, and eigh refusing a matrix that is not symmetric."""

import numpy as np
import pytest

import ember as em
from oracle import check_op

torch = pytest.importorskip("torch")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def spd(x):
    """A symmetric positive-definite matrix from any square x (differentiable in x)."""
    n = x.shape[-1]
    return x @ x.swapaxes(-1, -2) + n * (em.eye(n, dtype=x.dtype) if isinstance(x, em.Tensor)
                                         else torch.eye(n, dtype=x.dtype))


def test_eigh_of_a_non_symmetric_matrix_raises_naming_the_tolerance():
    with pytest.raises(em.linalg.LinAlgError, match="not symmetric.*SYMMETRY_RTOL=0.0001"):
        em.linalg.eigh([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(em.linalg.LinAlgError, match="not symmetric"):
        em.linalg.eigvalsh(em.tensor(rand(2, 3, 3)))
    a = em.tensor(rand(4, 4, seed=3))
    sym = (a + a.T) * 0.5
    em.linalg.eigh(sym @ sym)  # round-off asymmetry of a product stays within the tolerance


def test_eig_gives_the_true_eigenvalues_complex_where_needed():
    w, v = em.linalg.eig(em.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert w.dtype == np.complex64
    np.testing.assert_allclose(np.sort(w.numpy().real), [-0.3722813, 5.3722813], rtol=1e-6)
    a = rand(4, 4, seed=2)
    w, v = em.linalg.eig(em.tensor(a, dtype="float64"))
    tw = torch.linalg.eigvals(torch.tensor(a)).numpy()
    np.testing.assert_allclose(np.sort_complex(w.numpy()), np.sort_complex(tw), atol=1e-10)
    np.testing.assert_allclose(a @ v.numpy(), v.numpy() * w.numpy(), atol=1e-10)  # A v = w v
    rot = em.linalg.eigvals(em.tensor([[0.0, -1.0], [1.0, 0.0]])).numpy()
    np.testing.assert_allclose(np.sort_complex(rot), [-1j, 1j], atol=1e-7)
    with pytest.raises(RuntimeError, match="eig: gradients .* not supported; use eigh"):
        em.linalg.eig(em.tensor(a, requires_grad=True))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
def test_qr(shape):
    # Q and R are unique up to signs; torch and NumPy (both LAPACK) choose the same ones
    check_op(lambda x: tuple(em.linalg.qr(x)), [shape],
             torch_fn=lambda t: tuple(torch.linalg.qr(t)), atol=1e-4)
    q, r = em.linalg.qr(em.tensor(rand(*shape)))
    np.testing.assert_allclose((q @ r).numpy(), rand(*shape), atol=1e-5)
    assert em.gradgradcheck(lambda x: em.linalg.qr(x).R, [rand(4, 3)])


def test_qr_modes_and_errors():
    a = rand(4, 2)
    assert em.linalg.qr(em.tensor(a), mode="complete").Q.shape == (4, 4)
    np.testing.assert_allclose(abs(em.linalg.qr(em.tensor(a), mode="r").R.numpy()),
                               abs(np.linalg.qr(a, mode="r")), atol=1e-6)
    with pytest.raises(RuntimeError, match="m >= n"):
        em.linalg.qr(em.tensor(rand(2, 4), requires_grad=True))
    with pytest.raises(ValueError, match="mode must be"):
        em.linalg.qr(em.tensor(a), mode="full")


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_cholesky(shape):
    check_op(lambda x: em.linalg.cholesky(spd(x)), [shape],
             torch_fn=lambda t: torch.linalg.cholesky(spd(t)), atol=1e-4)
    check_op(lambda x: em.linalg.cholesky(spd(x), upper=True), [shape],
             torch_fn=lambda t: torch.linalg.cholesky(spd(t), upper=True), atol=1e-4)
    assert em.gradgradcheck(lambda x: em.linalg.cholesky(spd(x)), [rand(3, 3)])


def test_cholesky_of_a_matrix_that_is_not_positive_definite_raises():
    with pytest.raises(em.linalg.LinAlgError, match="cholesky: .* not positive definite"):
        em.linalg.cholesky(em.tensor([[1.0, 2.0], [2.0, 1.0]]))


def _tri(t, upper):
    n = t.shape[-1]
    eye = em.eye(n, dtype=t.dtype) if isinstance(t, em.Tensor) else torch.eye(n, dtype=t.dtype)
    return t + 3 * eye  # well away from singular; the other triangle is ignored by both


@pytest.mark.parametrize("upper,left,unit", [(True, True, False), (False, True, False),
                                             (False, False, False), (True, True, True)])
def test_solve_triangular(upper, left, unit):
    b_shape = (3, 2) if left else (2, 3)
    check_op(lambda a, b: em.linalg.solve_triangular(_tri(a, upper), b, upper=upper, left=left,
                                                     unitriangular=unit),
             [(3, 3), b_shape],
             torch_fn=lambda a, b: torch.linalg.solve_triangular(
                 _tri(a, upper), b, upper=upper, left=left, unitriangular=unit))


@pytest.mark.parametrize("a_shape,b_shape", [((5, 3), (5, 2)), ((3, 3), (3, 1))])
def test_lstsq(a_shape, b_shape):
    check_op(lambda a, b: em.linalg.lstsq(a, b).solution, [a_shape, b_shape],
             torch_fn=lambda a, b: torch.linalg.lstsq(a, b).solution, atol=1e-4)
    a, b = rand(*a_shape, seed=4), rand(*b_shape, seed=5)
    res = em.linalg.lstsq(em.tensor(a, dtype="float64"), em.tensor(b, dtype="float64"))
    ref = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(res.solution.numpy(), ref[0], atol=1e-10)
    assert res.rank.item() == ref[2]
    if a_shape[0] > a_shape[1]:
        np.testing.assert_allclose(res.residuals.numpy(), ref[1], atol=1e-10)
    vec = em.linalg.lstsq(em.tensor(a), em.tensor(b[:, 0])).solution
    assert vec.shape == (a_shape[1],)


def test_matrix_rank_matches_torch():
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])
    for a in (rank1, rand(4, 3), np.zeros((2, 2)), rand(2, 3, 3)):
        got = em.linalg.matrix_rank(em.tensor(a, dtype="float32"))
        ref = torch.linalg.matrix_rank(torch.tensor(a, dtype=torch.float32))
        assert got.dtype == np.int64 and got.numpy().tolist() == ref.numpy().tolist()
    assert em.linalg.matrix_rank(em.tensor(rank1), atol=1e-6).item() == 1
    assert em.linalg.matrix_rank(em.tensor(np.eye(3) * 1e-3), tol=1e-2).item() == 0
