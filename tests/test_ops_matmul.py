"""matmul, dot and outer against PyTorch and finite differences: 1-D operands, batch
broadcasting, empty and non-contiguous inputs, and the error messages."""

import numpy as np
import pytest

import ember as em
from oracle import check_op

torch = pytest.importorskip("torch")

MATMUL = [[(3, 4), (4, 5)], [(4,), (4,)], [(4,), (4, 5)], [(3, 4), (4,)], [(2, 3, 4), (4, 5)],
          [(3, 4), (2, 4, 5)], [(2, 1, 3, 4), (3, 4, 2)], [(4,), (2, 4, 3)], [(2, 3, 4), (4,)],
          [(0, 4), (4, 3)], [(3, 0), (0, 2)], [(1, 4), (4, 1)]]


@pytest.mark.parametrize("shapes", MATMUL, ids=str)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, shapes)
    check_op(em.matmul, shapes, torch_fn=torch.matmul, noncontig=True)


def test_matmul_method_and_reflected_operand():
    check_op(lambda a, b: a.matmul(b), [(2, 3), (3, 2)], torch_fn=torch.matmul)
    w = np.ones((3, 2), dtype=np.float32)
    x = em.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    out = w.T @ x.T  # ndarray @ Tensor goes to Tensor.__rmatmul__
    assert isinstance(out, em.Tensor) and out.shape == (2, 2) and out.requires_grad


def test_matmul_inner_dimension_error_message():
    with pytest.raises(ValueError) as info:
        em.matmul(em.ones((32, 784)), em.ones((128, 10)))
    assert str(info.value) == "matmul: (32, 784) @ (128, 10): inner dimensions 784 and 128 differ"
    with pytest.raises(ValueError, match=r"matmul: \(3,\) @ \(4,\): inner dimensions 3 and 4"):
        em.ones(3) @ em.ones(4)
    with pytest.raises(ValueError, match=r"batch dimensions \(2,\) and \(3,\) cannot be broadcast"):
        em.ones((2, 3, 4)) @ em.ones((3, 4, 5))
    with pytest.raises(ValueError, match="at least one axis"):
        em.matmul(em.tensor(2.0), em.ones(3))


@pytest.mark.parametrize("shapes", [[(4,), (4,)], [(3, 4), (4,)], [(4,), (4, 2)],
                                    [(3, 4), (4, 2)], [(), (3,)]])
def test_dot(shapes):
    def tfn(a, b):
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        return a @ b

    check_op(em.dot, shapes, torch_fn=tfn)
    check_op(lambda a, b: a.dot(b), shapes, torch_fn=tfn)


def test_dot_keeps_float32_with_a_float64_array():
    assert em.dot(em.ones(3), np.ones(3)).dtype == np.float32


def test_dot_rejects_3d():
    with pytest.raises(ValueError, match="dot: supports 1-D and 2-D operands"):
        em.dot(em.ones((2, 2, 2)), em.ones(2))


@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(1,), (2,)], [(0,), (3,)]])
def test_outer(shapes):
    check_op(em.outer, shapes, torch_fn=torch.outer)


def test_matmul_keeps_float32_and_mixes_ints():
    assert (em.ones((2, 3)) @ em.ones((3, 2))).dtype == np.float32
    assert (em.tensor([[1, 2]]) @ em.ones((2, 1))).dtype == np.float32
    assert (em.tensor([[1, 2]]) @ em.tensor([[3], [4]])).tolist() == [[11]]
