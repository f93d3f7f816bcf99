"""Reductions against PyTorch and finite differences: every axis form, keepdims, ties, zeros."""

import numpy as np
import pytest

import ember as em
from oracle import check_op, make_inputs

torch = pytest.importorskip("torch")

# (shape, axis): None, int, negative int, tuple, tuple with a negative, empty tuple, size-1 axis
AXES = [((3, 4), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 1)),
        ((3, 4), ()), ((3, 1, 2), 1), ((), None), ((4,), 0)]
IDS = [f"{s}-{a}" for s, a in AXES]
EMPTY = [((0, 3), 0), ((0, 3), 1), ((2, 0), None), ((2, 0), -1)]  # sums of nothing, no rows


def _dim(axis, ndim=None):
    """PyTorch's dim for ``axis``: all axes spelled out when ``ndim`` is given."""
    if axis is None:
        return {} if ndim is None else {"dim": tuple(range(ndim))}
    return {"dim": axis}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axis", AXES + EMPTY, ids=IDS + [str(e) for e in EMPTY])
def test_sum_mean(shape, axis, keepdims):
    check_op(lambda x: x.sum(axis=axis, keepdims=keepdims), shapes=[shape], noncontig=True,
             torch_fn=lambda t: t.sum(**_dim(axis, t.ndim), keepdim=keepdims) if axis != ()
             else t.clone())
    if axis != ():  # torch.mean over an empty dim tuple means all axes
        check_op(lambda x: em.mean(x, axis, keepdims), shapes=[shape],
                 torch_fn=lambda t: t.mean(**_dim(axis, t.ndim), keepdim=keepdims))


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axis", [((3, 4), None), ((3, 4), 0), ((2, 3, 4), (0, -1)),
                                         ((5,), -1)])
def test_var_std(shape, axis, keepdims, ddof):
    kw = dict(**_dim(axis), keepdim=keepdims, correction=ddof)
    check_op(lambda x: x.var(axis=axis, keepdims=keepdims, ddof=ddof),
             torch_fn=lambda t: t.var(**kw), shapes=[shape], noncontig=True)
    check_op(lambda x: em.std(x, axis=axis, keepdims=keepdims, ddof=ddof),
             torch_fn=lambda t: t.std(**kw), shapes=[shape])


def test_std_of_constant_has_zero_gradient_like_torch():
    check_op(lambda x: x.std(axis=1), torch_fn=lambda t: t.std(dim=1, correction=0),
             inputs=[np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])], fd=False)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axis", [s for s in AXES if s[1] != ()] + [((0, 3), 1)],
                         ids=IDS[:5] + IDS[6:] + ["empty"])
def test_max_min(op, shape, axis, keepdims):
    tfn = getattr(torch, "a" + op)
    check_op(lambda x: getattr(x, op)(axis=axis, keepdims=keepdims), noncontig=True,
             torch_fn=lambda t: tfn(t, **_dim(axis, t.ndim), keepdim=keepdims), shapes=[shape])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_max_min_ties_split_the_gradient_evenly_like_amax(op, axis):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0], [-1.0, 0.0, -1.0]])
    tfn = getattr(torch, "a" + op)
    check_op(lambda t: getattr(em, op)(t, axis=axis), fd=False, inputs=[x],
             torch_fn=lambda t: tfn(t, **_dim(axis)) if axis is not None else tfn(t))


@pytest.mark.parametrize("shape, axis", [((3, 4), None), ((3, 4), 1), ((2, 3, 2), (0, 2)),
                                         ((4,), 0)])
def test_prod(shape, axis):
    if isinstance(axis, tuple) or axis is None:  # torch.prod takes one dim: reduce in steps
        def tfn(t):
            for d in sorted(axis or range(t.ndim), reverse=True):
                t = t.prod(dim=d)
            return t
    else:
        def tfn(t):
            return t.prod(dim=axis)
    check_op(lambda x: x.prod(axis=axis), torch_fn=tfn, shapes=[shape], noncontig=True)


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (2, 3)], [(1, 0), (1, 2)], [(0, 0), (1, 1)]])
def test_prod_with_zeros_matches_torch(zeros):
    x = make_inputs([(3, 4)])[0]
    for idx in zeros:
        x[idx] = 0.0
    check_op(lambda t: t.prod(axis=1), torch_fn=lambda t: t.prod(dim=1), inputs=[x])
    check_op(lambda t: t.prod(), torch_fn=lambda t: t.prod(), inputs=[x])


def test_prod_with_zeros_refuses_second_derivatives_clearly():
    x = em.tensor([0.0, 2.0, 3.0], requires_grad=True)
    (g,) = em.autograd.grad(x.prod(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [6.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="prod"):
        em.autograd.grad(em.prod(x), x, create_graph=True)[0].sum().backward()


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axis", [((3, 4), None), ((3, 4), 1), ((2, 3, 4), (0, 2)),
                                         ((3, 4), -2), ((5,), 0), ((0, 3), 1)])
def test_logsumexp(shape, axis, keepdims):
    dim = axis if axis is not None else tuple(range(len(shape)))
    check_op(lambda x: em.logsumexp(x, axis=axis, keepdims=keepdims), noncontig=True,
             torch_fn=lambda t: torch.logsumexp(t, dim=dim, keepdim=keepdims), shapes=[shape])


def test_logsumexp_extremes():
    x = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [-np.inf, 0.0, 1.0]])
    check_op(lambda t: em.logsumexp(t, axis=1), fd=False, inputs=[x],
             torch_fn=lambda t: torch.logsumexp(t, dim=1))
    assert em.logsumexp(em.tensor([-np.inf, -np.inf])).item() == -np.inf
    assert em.logsumexp(em.zeros((0, 3)), axis=0).tolist() == [-np.inf] * 3


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (-1, True), (1, False)])
def test_argmax_argmin(op, axis, keepdims):
    x = make_inputs([(3, 4)])[0]
    x[1, 2] = x[1, 3] = 5.0 if op == "argmax" else -5.0  # ties: the first index wins
    out = getattr(em.tensor(x), op)(axis=axis, keepdims=keepdims)
    ref = getattr(torch, op)(torch.tensor(x), dim=axis, keepdim=keepdims)
    assert out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
def test_all_any(op, axis):
    x = np.array([[1, 0, 2], [3, 4, 5]])
    out = getattr(em, op)(em.tensor(x), axis=axis)
    np.testing.assert_array_equal(out.numpy(), getattr(np, op)(x, axis=axis))
    assert out.dtype == np.bool_ and getattr(em.tensor(x) > 0, op)(axis=axis).shape == out.shape


def test_empty_reductions():
    e = em.zeros((0, 3), requires_grad=True)
    assert e.sum().item() == 0.0 and e.sum(axis=0).tolist() == [0.0] * 3
    assert e.sum(axis=1).shape == (0,) and e.max(axis=1).shape == (0,)
    assert np.isnan(e.mean().item()) and np.isnan(e.mean(axis=0).numpy()).all()
    e.sum().backward()
    assert e.grad.shape == (0, 3)
    with pytest.raises(ValueError, match="max: reduction over an empty axis"):
        e.max(axis=0)


def test_integer_and_bool_reductions():
    x = em.tensor([[1, 2], [3, 4]])
    assert x.sum().item() == 10 and x.sum().dtype == np.int64
    assert x.mean().dtype == np.float32 and x.mean().item() == 2.5
    assert em.tensor([True, False, True]).sum().item() == 2


def test_float32_reductions_stay_float32():
    x = em.randn(3, 4)
    for y in (x.sum(), x.mean(0), x.var(), x.std(1, ddof=1), x.max(), x.prod(0),
              em.logsumexp(x, 1)):
        assert y.dtype == np.float32


def test_bad_axis_errors():
    x = em.ones((2, 3))
    with pytest.raises(ValueError, match="axis 2 is out of range for a tensor with 2"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="same axis twice"):
        x.mean(axis=(1, -1))


@pytest.mark.parametrize("shape", [(32, 10), (10000, 10), (5, 3, 7), (4, 1), (3, 33), (0, 10),
                                   (7,), (2, 40, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_kept_equals_numpy_max_with_kept_axis(shape, dtype):
    from ember.ops.reduction import max_kept

    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    if a.size > 2:
        a.reshape(-1)[1] = np.nan  # a NaN propagates into its row's max, as NumPy's does
    for axis in range(-a.ndim, a.ndim):
        if a.shape[axis] == 0:
            continue
        got = max_kept(a, axis)
        want = a.max(axis=axis, keepdims=True)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_max_kept_reads_a_strided_view_correctly():
    from ember.ops.reduction import max_kept

    a = np.random.default_rng(1).standard_normal((20, 24))[::2, ::3]  # (10, 8), not contiguous
    np.testing.assert_array_equal(max_kept(a, -1), a.max(axis=-1, keepdims=True))


def test_logsumexp_propagates_nan_as_pytorch():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, -np.inf, 0.0], [-np.inf, -np.inf, -np.inf],
                  [np.inf, 1.0, np.nan], [np.inf, -np.inf, 0.0]], np.float32)
    got = em.logsumexp(em.tensor(x), axis=1).numpy()
    want = torch.logsumexp(torch.tensor(x), dim=1).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)])
    assert np.isnan(em.logsumexp(em.tensor([1.0, np.nan])).item())
