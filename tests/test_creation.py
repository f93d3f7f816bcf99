"""Making tensors: dtypes (float32 by default, set_floatx), NumPy interop, seeded randomness."""

import numpy as np
import pytest

import ember as em


def test_tensor_dtypes_from_python_data():
    assert em.tensor(1.5).dtype == np.float32 and em.tensor([1.0, 2]).dtype == np.float32
    assert em.tensor([1, 2]).dtype == np.int64 and em.tensor(True).dtype == np.bool_
    assert em.tensor([[1, 2]], dtype="float64").dtype == np.float64
    assert em.tensor(3.0).shape == () and em.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert em.tensor([]).shape == (0,) and em.tensor([]).dtype == np.float32
    assert em.tensor(em.ones(2)).tolist() == [1.0, 1.0]


def test_numpy_arrays_keep_their_dtype_and_are_not_copied():
    a = np.arange(6.0).reshape(2, 3)
    t = em.tensor(a)
    assert t.dtype == np.float64 and np.shares_memory(t.data, a)
    f = em.from_numpy(a)
    a[0, 0] = 42.0
    assert f[0, 0].item() == 42.0 and t[0, 0].item() == 42.0
    assert em.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert em.tensor(np.ones(2, np.float64), dtype="float32").dtype == np.float32


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "rand", "randn"])
def test_filled_and_random_default_to_floatx(fn):
    make = getattr(em, fn)
    assert make(2, 3).shape == (2, 3) and make((2, 3)).shape == (2, 3)
    assert make(2).dtype == np.float32 and make().shape == ()
    assert make(2, dtype="float64").dtype == np.float64
    em.set_floatx("float64")
    assert make(2).dtype == np.float64
    em.set_floatx("float16")
    assert make(2).dtype == np.float16


def test_full_arange_linspace_eye():
    assert em.full((2, 2), 1.5).dtype == np.float32 and em.full(3, 7).dtype == np.int64
    assert em.full((2,), 2.0, dtype="float64").tolist() == [2.0, 2.0]
    assert em.arange(4).tolist() == [0, 1, 2, 3] and em.arange(4).dtype == np.int64
    assert em.arange(1, 2, 0.5).dtype == np.float32 and em.arange(1, 2, 0.5).tolist() == [1, 1.5]
    assert em.arange(5, dtype="float32").dtype == np.float32
    np.testing.assert_allclose(em.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert em.linspace(0, 1, 3).dtype == np.float32
    assert em.eye(3).dtype == np.float32 and em.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    em.set_floatx("float64")
    for t in (em.full((2,), 1.5), em.arange(0.0, 1.0, 0.5), em.linspace(0, 1, 2), em.eye(2),
              em.tensor(1.5), em.tensor([1.0]), em.tensor([1]) / 2):
        assert t.dtype == np.float64


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "rand_like", "randn_like"])
def test_like_functions_keep_shape_and_dtype(fn):
    src = em.ones((2, 3), dtype="float64")
    out = getattr(em, fn)(src)
    assert out.shape == (2, 3) and out.dtype == np.float64
    assert getattr(em, fn)(np.ones(2, np.float32)).dtype == np.float32
    assert em.full_like(src, 3.0).tolist() == [[3.0] * 3] * 2
    assert em.zeros_like(src, dtype="int64").dtype == np.int64
    assert em.ones_like(em.ones(2), requires_grad=True).requires_grad


def test_requires_grad_on_creation():
    assert em.zeros(2, requires_grad=True).requires_grad
    assert em.randn(2, requires_grad=True).is_leaf
    with pytest.raises(TypeError, match="floating-point"):
        em.full((2,), 1, requires_grad=True)


def test_set_floatx_validates():
    with pytest.raises(ValueError, match="set_floatx: expected one of"):
        em.set_floatx("int32")
    em.set_floatx(np.float64)
    assert em.floatx() == "float64"


def test_set_random_seed_is_bit_identical():
    def draw():
        x = em.randn(4, 5)
        return (x.numpy().copy(), em.rand(3).numpy().copy(), em.randint(0, 10, (6,)).numpy(),
                em.dropout(em.ones(8), 0.5).numpy(), np.random.rand(2))

    em.utils.set_random_seed(123)
    first = draw()
    em.utils.set_random_seed(123)
    second = draw()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    em.utils.set_random_seed(124)
    assert em.randn(4, 5).numpy().tobytes() != first[0].tobytes()


def test_random_values_are_sensible():
    x = em.randn(20_000).numpy()
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05
    u = em.rand(20_000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    r = em.randint(3, size=(1000,)).numpy()
    assert set(r.tolist()) == {0, 1, 2} and r.dtype == np.int64
    assert em.randint(5, 7, 4).shape == (4,)


def test_python_scalars_never_upcast_float32():
    x = em.randn(3)
    for y in (x + 1, x * 2.5, 1.5 - x, x / 3.0, x ** 2, 2 ** x, x + True, x * np.float64(0.1),
              x + np.float32(1), em.maximum(x, 0.0), x @ np.ones(3), x.sum() * 2.0,
              em.tensor(0.1) * 3):
        assert y.dtype == np.float32, y
    assert (em.ones(2, dtype="float64") * 2.0).dtype == np.float64


def test_device_argument_cpu():
    assert em.zeros(2, device="cpu").device == "cpu"
    assert em.tensor([1.0], device="cpu").device == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        em.zeros(2, device="tpu")
