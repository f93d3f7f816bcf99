"""The tensor API a PyTorch user reaches for, one line per case: the same lambda runs on an
ember and a torch tensor; check_op compares values and gradients with PyTorch and the
gradient with finite differences (float64), also on non-contiguous inputs."""

import numpy as np
import pytest

import ember as em
from oracle import check_op

torch = pytest.importorskip("torch")

IDX = np.array([[0, 2, 1, 2], [1, 0, 0, 2], [2, 1, 2, 0]])  # for gather / scatter along dim 0

CASES = [
    ("unsqueeze", [(3, 4)], lambda x: x.unsqueeze(1), None),
    ("unsqueeze_neg", [(3, 4)], lambda x: x.unsqueeze(-1), None),
    ("squeeze_dim", [(3, 1, 4)], lambda x: x.squeeze(1), None),
    ("expand", [(3, 1)], lambda x: x.expand(2, 3, 4), None),
    ("expand_keep", [(3, 1)], lambda x: x.expand(-1, 5), None),
    ("expand_as", [(1, 4), (3, 4)], lambda x, y: x.expand_as(y) * y, None),
    ("repeat", [(2, 3)], lambda x: x.repeat(2, 3), None),
    ("repeat_more_dims", [(2, 3)], lambda x: x.repeat(2, 1, 2), None),
    ("repeat_interleave", [(2, 3)], lambda x: x.repeat_interleave(2, dim=1), None),
    ("repeat_interleave_flat", [(2, 3)], lambda x: x.repeat_interleave(3), None),
    ("tile", [(2, 3)], lambda x: x.tile((2, 2)), None),
    ("flatten_range", [(2, 3, 4, 5)], lambda x: x.flatten(1, 2), None),
    ("flatten_all", [(2, 3, 4)], lambda x: x.flatten(), None),
    ("unflatten", [(2, 12)], lambda x: x.unflatten(1, (3, 4)), None),
    ("view", [(2, 6)], lambda x: x.view(3, 4), None),
    ("cat", [(2, 3), (2, 2)], lambda x, y: em.cat([x, y], dim=1),
     lambda x, y: torch.cat([x, y], dim=1)),
    ("chunk", [(7, 2)], lambda x: x.chunk(3), None),
    ("chunk_dim", [(2, 6)], lambda x: x.chunk(4, dim=1), None),
    ("split_size", [(7, 2)], lambda x: x.split(3), None),
    ("split_sizes", [(2, 6)], lambda x: x.split([1, 2, 3], dim=1), None),
    ("unbind", [(3, 2)], lambda x: x.unbind(1), None),
    ("gather", [(3, 4)], lambda x: x.gather(0, em.tensor(IDX)),
     lambda x: x.gather(0, torch.tensor(IDX))),
    ("gather_smaller", [(3, 4)], lambda x: x.gather(1, em.tensor(IDX[:2, :2])),
     lambda x: x.gather(1, torch.tensor(IDX[:2, :2]))),
    ("scatter", [(3, 4), (3, 4)],
     lambda x, s: x.scatter(1, em.tensor(np.array([[3, 0, 1, 2]] * 3)), s),
     lambda x, s: x.scatter(1, torch.tensor(np.array([[3, 0, 1, 2]] * 3)), s)),
    ("scatter_add", [(3, 4), (3, 4)], lambda x, s: x.scatter_add(0, em.tensor(IDX), s),
     lambda x, s: x.scatter_add(0, torch.tensor(IDX), s)),
    ("index_select", [(4, 3)], lambda x: x.index_select(0, em.tensor([3, 0, 3])),
     lambda x: x.index_select(0, torch.tensor([3, 0, 3]))),
    ("masked_fill", [(3, 4)], lambda x: x.masked_fill(x > 0.5, -1.0), None),
    ("masked_select", [(3, 4)], lambda x: x.masked_select(x > 0), None),
    ("where", [(3, 4), (3, 4)], lambda x, y: em.where(x > y, x, y * 2),
     lambda x, y: torch.where(x > y, x, y * 2)),
    ("clamp", [(3, 4)], lambda x: x.clamp(-0.5, 0.7), None),
    ("clamp_min", [(3, 4)], lambda x: x.clamp(min=0.1), None),
    ("topk", [(3, 5)], lambda x: tuple(x.topk(2)), None),
    ("topk_smallest", [(5, 3)], lambda x: tuple(x.topk(2, dim=0, largest=False)), None),
    ("sort", [(3, 5)], lambda x: tuple(x.sort()), None),
    ("sort_desc", [(3, 5)], lambda x: tuple(x.sort(dim=0, descending=True)), None),
    ("argsort", [(3, 5)], lambda x: x.argsort(dim=1), None),
    ("cumsum", [(3, 4)], lambda x: x.cumsum(1), None),
    ("cumsum0", [(3, 4)], lambda x: x.cumsum(dim=0), None),
    ("cumprod", [(3, 4)], lambda x: x.cumprod(1), None),
    ("diff", [(3, 5)], lambda x: x.diff(), None),
    ("diff2", [(4, 3)], lambda x: x.diff(n=2, dim=0), None),
    ("flip", [(3, 4)], lambda x: x.flip(0), None),
    ("flip2", [(2, 3, 4)], lambda x: x.flip((0, 2)), None),
    ("roll", [(3, 4)], lambda x: x.roll(1, 1), None),
    ("roll_flat", [(3, 4)], lambda x: x.roll(5), None),
    ("roll_two", [(3, 4)], lambda x: x.roll((1, -2), (0, 1)), None),
    ("tril", [(4, 4)], lambda x: x.tril(), None),
    ("triu_k", [(3, 5)], lambda x: x.triu(1), None),
    ("tril_batch", [(2, 3, 3)], lambda x: x.tril(-1), None),
    ("diag_vec", [(3,)], lambda x: x.diag(), None),
    ("diag_mat", [(3, 4)], lambda x: x.diag(1), None),
    ("diagonal", [(2, 3, 4)], lambda x: x.diagonal(0, 1, 2), None),
    ("trace", [(4, 4)], lambda x: x.trace(), None),
    ("outer", [(3,), (4,)], lambda x, y: em.outer(x, y), lambda x, y: torch.outer(x, y)),
    ("kron", [(2, 3), (2, 2)], lambda x, y: x.kron(y), None),
    ("norm", [(3, 4)], lambda x: x.norm(), None),
    ("dist", [(3, 4), (3, 4)], lambda x, y: x.dist(y), None),
    ("dist_p1", [(3, 4), (3, 4)], lambda x, y: x.dist(y, 1), None),
    ("lerp", [(3, 4), (3, 4)], lambda x, y: x.lerp(y, 0.3), None),
    ("sign", [(3, 4)], lambda x: x.sign(), None),
    ("floor", [(3, 4)], lambda x: x.floor() + x, None),
    ("ceil", [(3, 4)], lambda x: x.ceil() * x, None),
    ("round", [(3, 4)], lambda x: x.round() + x, None),
    ("trunc", [(3, 4)], lambda x: x.trunc() - x, None),
    ("nan_to_num", [(3, 4)], lambda x: x.nan_to_num(), None),
    ("max_dim", [(3, 4)], lambda x: tuple(x.max(dim=1)), None),
    ("min_dim_keep", [(3, 4)], lambda x: tuple(x.min(dim=0, keepdim=True)), None),
    ("sum_dim", [(3, 4)], lambda x: x.sum(dim=1, keepdim=True), None),
    ("mean_dims", [(2, 3, 4)], lambda x: x.mean(dim=(0, 2)), None),
    ("prod_dim", [(3, 4)], lambda x: x.prod(dim=1), None),
    ("std_dim", [(3, 4)], lambda x: x.std(dim=1), None),  # dim=: PyTorch's correction=1
    ("std_correction", [(3, 4)], lambda x: x.std(dim=0, correction=0),
     lambda t: t.std(dim=0, correction=0)),
    ("var_unbiased", [(3, 4)], lambda x: x.var(dim=1, unbiased=True, keepdim=True), None),
    ("median_dim", [(3, 5)], lambda x: tuple(x.median(dim=1)), None),
    ("median_all", [(3, 5)], lambda x: x.median(), None),
    ("quantile", [(3, 5)], lambda x: x.quantile(0.3, dim=1), None),
    ("quantile_all", [(3, 5)], lambda x: x.quantile(0.75), None),
    ("quantile_many", [(3, 5)], lambda x: em.quantile(x, em.tensor([0.1, 0.5]), dim=0,
                                                      keepdim=True),
     lambda t: torch.quantile(t, torch.tensor([0.1, 0.5]), dim=0, keepdim=True)),
    ("contiguous", [(3, 4)], lambda x: x.T.contiguous(), lambda t: t.T.contiguous()),
    ("clone", [(3, 4)], lambda x: x.clone() * 2, None),
    ("type_as", [(3, 4), (3, 4)], lambda x, y: x.type_as(y) + y, None),
    ("permute", [(2, 3, 4)], lambda x: x.permute(2, 0, 1), None),
    ("movedim", [(2, 3, 4)], lambda x: x.movedim(0, 2), None),
    ("transpose_swap", [(2, 3, 4)], lambda x: x.transpose(0, 2), None),
    ("swapaxes", [(2, 3, 4)], lambda x: x.swapaxes(1, 2), None),
    ("squeeze_dim_kw", [(3, 1, 4)], lambda x: x.squeeze(dim=1), None),
    ("softmax_dim", [(3, 4)], lambda x: x.softmax(dim=0), None),
    ("log_softmax_dim", [(3, 4)], lambda x: x.log_softmax(dim=1), None),
    ("logsumexp_dim", [(3, 4)], lambda x: x.logsumexp(dim=1, keepdim=True), None),
    ("stack_dim", [(2, 3), (2, 3)], lambda x, y: em.stack([x, y], dim=1),
     lambda x, y: torch.stack([x, y], dim=1)),
    ("split_fn_dim", [(2, 5)], lambda x: em.split(x, 2, dim=1),
     lambda x: torch.split(x, 2, dim=1)),
]


@pytest.mark.parametrize("name, shapes, fn, torch_fn", CASES, ids=[c[0] for c in CASES])
def test_torch_api_op(name, shapes, fn, torch_fn):
    kwargs = {"away_from": 0.0} if name in ("sign", "floor", "ceil", "round", "trunc") else {}
    check_op(fn, shapes, torch_fn=torch_fn, noncontig=name not in ("view",), **kwargs)


def test_cumprod_gradient_with_zeros_matches_torch():
    a = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0]])
    check_op(lambda x: x.cumprod(1), inputs=[a])


def test_mode_matches_torch_including_ties():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = rng.integers(0, 4, size=(3, 7)).astype(np.float32)
        dim = int(rng.integers(0, 2))
        e, t = em.tensor(a).mode(dim), torch.tensor(a).mode(dim)
        assert e.values.tolist() == t.values.tolist(), a
        assert e.indices.tolist() == t.indices.tolist(), a
    check_op(lambda x: x.mode(1).values, inputs=[np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 1.0]])],
             fd=False)  # ties are the point here; finite differences would split them


@pytest.mark.parametrize("name, fn", [
    ("isnan", lambda x: x.isnan()), ("isinf", lambda x: x.isinf()),
    ("isfinite", lambda x: x.isfinite()), ("eq", lambda x: x.eq(x.round())),
    ("ne", lambda x: x.ne(0)), ("gt", lambda x: x.gt(0)), ("ge", lambda x: x.ge(1.0)),
    ("lt", lambda x: x.lt(x.flip(0))), ("le", lambda x: x.le(0)),
    ("logical_and", lambda x: (x > 0).logical_and(x < 1)),
    ("logical_or", lambda x: (x > 1).logical_or(x < -1)),
    ("logical_xor", lambda x: (x > 0).logical_xor(x > 1)),
    ("logical_not", lambda x: (x > 0).logical_not()),
    ("argmax_keepdim", lambda x: x.argmax(dim=1, keepdim=True)),
    ("argmin_dim", lambda x: x.argmin(dim=0)),
    ("nonzero", lambda x: (x > 0).nonzero()),
    ("where_one_arg", lambda x: (em if isinstance(x, em.Tensor) else torch).where(x > 0)),
    ("argwhere", lambda x: (x > 0.5).argwhere()),
    ("unique", lambda x: (x * 2).round().unique()),
    ("unique_counts", lambda x: (x * 2).round().unique(return_inverse=True,
                                                       return_counts=True)),
    ("bincount", lambda x: (x.abs() * 2).long().flatten().bincount()),
    ("histc", lambda x: x.histc(bins=5, min=-2, max=2)),
    ("nan_to_num", lambda x: x.nan_to_num(posinf=9.0)),
    ("numel_as_tensor", lambda x: x.long() * x.numel()),
])
def test_non_differentiable_ops_match_torch(name, fn):
    a = np.array([[0.5, -1.5, 2.0, 0.0], [1.0, 1.5, -0.25, 2.0], [np.nan, np.inf, -1.0, 0.5]])
    if name in ("bincount", "unique", "unique_counts", "histc", "lt", "argmax_keepdim",
                "argmin_dim", "numel_as_tensor"):
        a = a[:2]
    outs = fn(em.tensor(a, dtype="float32"))
    touts = fn(torch.tensor(a, dtype=torch.float32))
    outs, touts = (outs, touts) if isinstance(outs, tuple) else ((outs,), (touts,))
    for o, t in zip(outs, touts):
        np.testing.assert_array_equal(o.numpy(), t.numpy(), err_msg=name)


def test_bitwise_ops_on_integers_match_torch():
    a, b = np.array([5, 3, 12, 7]), np.array([3, 6, 10, 1])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        got = getattr(em.tensor(a), name)(em.tensor(b))
        assert got.tolist() == getattr(torch.tensor(a), name)(torch.tensor(b)).tolist()
    assert em.tensor(a).bitwise_not().tolist() == torch.tensor(a).bitwise_not().tolist()
    assert (em.tensor(a) ^ em.tensor(b)).tolist() == (a ^ b).tolist()
    with pytest.raises(TypeError, match="bitwise_and: expects integer or boolean"):
        em.bitwise_and(em.ones(2), em.ones(2))


def test_describing_and_converting_a_tensor():
    t = em.randn(2, 3)
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.size == 6 and t.size + 1 == 7  # NumPy's t.size still reads as the element count
    assert t.numel() == 6 and t.dim() == 2 and t.ndim == 2
    assert t.to(em.float64).dtype == np.float64 and t.to("cpu", em.float64).dtype == em.double
    assert t.long().dtype == em.int64 and t.int().dtype == em.int32
    assert t.float().dtype == em.float32
    assert t.type_as(em.zeros(1, dtype=em.float64)).dtype == np.float64
    assert t.to(em.zeros(1, dtype=em.float16)).dtype == em.half
    assert em.tensor([[1.5]]).item() == 1.5 and em.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert em.is_tensor(t) and not em.is_tensor(np.ones(2))
    assert em.allclose(t, t + 1e-9) and not em.allclose(t, t + 1)
    assert em.equal(t, t.clone()) and not em.equal(t, t[:1])
    assert em.long == em.int64 and em.float == em.float32 and em.bool == np.bool_
    assert not t.T.is_contiguous() and t.T.contiguous().is_contiguous()


def test_max_with_dim_returns_values_and_indices_as_pytorch():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], dtype=np.float32)
    values, indices = em.tensor(a).max(dim=1)
    tv, ti = torch.tensor(a).max(dim=1)
    assert values.tolist() == tv.tolist() and indices.tolist() == ti.tolist()
    assert em.tensor(a).max(dim=1).indices.dtype == np.int64
    assert em.tensor(a).max(axis=1).tolist() == [5.0, 7.0]  # NumPy's spelling: values only
    assert em.tensor(a).max(em.tensor(a) * 0 + 4).tolist() == np.maximum(a, 4).tolist()
    with pytest.raises(TypeError, match="give `axis` or `dim`"):
        em.tensor(a).sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        em.tensor(a).mean(dims=1)


def test_std_var_defaults_follow_the_calling_convention():
    a = np.arange(6.0).reshape(2, 3)
    assert np.isclose(em.tensor(a).std().item(), a.std())          # ddof=0 (NumPy, Keras)
    np.testing.assert_allclose(em.tensor(a).std(axis=1).numpy(), a.std(axis=1))
    np.testing.assert_allclose(em.tensor(a).var(dim=1).numpy(), a.var(axis=1, ddof=1))
    np.testing.assert_allclose(em.tensor(a).var(dim=1, ddof=0).numpy(), a.var(axis=1))
    assert np.isclose(em.tensor(a).std(unbiased=True).item(), a.std(ddof=1))
    assert np.isclose(em.tensor(a).var(ddof=1).item(), a.var(ddof=1))


def test_meshgrid_matches_torch_for_both_indexings():
    x, y = np.arange(3.0), np.arange(4.0)
    for indexing in ("ij", "xy"):
        got = em.meshgrid(em.tensor(x), em.tensor(y), indexing=indexing)
        ref = torch.meshgrid(torch.tensor(x), torch.tensor(y), indexing=indexing)
        for g, r in zip(got, ref):
            np.testing.assert_array_equal(g.numpy(), r.numpy())


def test_inference_mode_and_manual_seed():
    w = em.ones(2, requires_grad=True)
    with em.inference_mode():
        assert not (w * 2).requires_grad
    with em.inference_mode(False):
        assert (w * 2).requires_grad
    em.manual_seed(5)
    a = em.randn(3).tolist()
    em.manual_seed(5)
    assert em.randn(3).tolist() == a


def test_numpy_interop_refuses_a_tensor_that_needs_grad():
    t = em.tensor([1.0, 2.0])
    assert np.asarray(t).tolist() == [1.0, 2.0] and np.shares_memory(np.asarray(t), t.data)
    w = em.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="requires grad.*detach"):
        np.asarray(w)
    assert np.asarray(w.detach()).tolist() == [1.0, 2.0]


def test_torch_and_dlpack_tensors_come_in_without_a_copy():
    src = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t, d = em.tensor(src), em.from_dlpack(src)
    src[0, 0] = 42.0
    assert t[0, 0].item() == 42.0 and d[0, 0].item() == 42.0 and t.dtype == np.float32
    assert em.from_dlpack(np.arange(3)).tolist() == [0, 1, 2]
    with pytest.raises(TypeError, match="requires grad; pass t.detach"):
        em.tensor(torch.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="does not support DLPack"):
        em.from_dlpack([1, 2])
