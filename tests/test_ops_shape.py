"""Shape and indexing ops against PyTorch and finite differences (one line per case)."""

import numpy as np
import pytest

import ember as em
from oracle import check_op, make_inputs

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("shape, new", [((3, 4), (4, 3)), ((3, 4), (-1,)), ((2, 6), (2, -1, 2)),
                                        ((), (1, 1)), ((0, 3), (3, 0)), ((1,), ())])
def test_reshape(shape, new):
    check_op(lambda x: x.reshape(new), torch_fn=lambda t: t.reshape(new), shapes=[shape])
    check_op(lambda x: em.reshape(x, *new), torch_fn=lambda t: t.reshape(new), shapes=[shape],
             noncontig=True)


def test_reshape_error_and_view_alias():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(3, 4\) "
                                         r"\(12 elements\) into \(5, -1\)"):
        em.ones((3, 4)).reshape(5, -1)
    assert em.ones((3, 4)).view(2, 6).shape == (2, 6)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, -2)])
def test_transpose_permute(axes):
    tfn = (lambda t: t.permute(*reversed(range(t.ndim)))) if axes is None else \
        (lambda t: t.permute(*axes))
    check_op(lambda x: em.transpose(x, axes), torch_fn=tfn, shapes=[(2, 3, 4)], noncontig=True)
    if axes is not None:
        check_op(lambda x: x.permute(*axes), torch_fn=tfn, shapes=[(2, 3, 4)])
        check_op(lambda x: em.permute(x, axes), torch_fn=tfn, shapes=[(2, 3, 4)])
        check_op(lambda x: x.transpose(*axes), torch_fn=tfn, shapes=[(2, 3, 4)])


def test_T_and_swapaxes():
    check_op(lambda x: x.T, torch_fn=lambda t: t.T, shapes=[(3, 4)])
    check_op(lambda x: x.T, torch_fn=lambda t: t, shapes=[(5,)])
    check_op(lambda x: x.swapaxes(0, -1), torch_fn=lambda t: t.swapaxes(0, -1), shapes=[(2, 3, 4)])
    check_op(lambda x: em.swapaxes(x, 1, 2), torch_fn=lambda t: t.swapaxes(1, 2),
             shapes=[(2, 3, 4)], noncontig=True)


@pytest.mark.parametrize("name, call", [
    ("concatenate", lambda: em.concatenate([em.ones((2, 3))] * 2, axis=2)),
    ("stack", lambda: em.stack([em.ones(2)], axis=-3)),
    ("swapaxes", lambda: em.swapaxes(em.ones((2, 3)), 0, 2)),
    ("expand_dims", lambda: em.expand_dims(em.ones(2), 3)),
    ("split", lambda: em.split(em.ones(4), 2, axis=1)),
])
def test_axis_out_of_range_names_the_op(name, call):
    with pytest.raises(ValueError, match=f"{name}: axis .* is out of range for a tensor"):
        call()


def test_transpose_rejects_non_permutation():
    with pytest.raises(ValueError, match="transpose: axes"):
        em.transpose(em.ones((2, 3)), (0, 0))


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_expand_dims(axis):
    check_op(lambda x: em.expand_dims(x, axis), torch_fn=lambda t: t.unsqueeze(axis),
             shapes=[(3, 4)])


@pytest.mark.parametrize("axis, dims", [(None, None), (0, 0), (-1, 3), ((0, 2), (0, 2))])
def test_squeeze(axis, dims):
    tfn = (lambda t: t.squeeze()) if dims is None else (lambda t: t.squeeze(dims))
    check_op(lambda x: x.squeeze(axis), torch_fn=tfn, shapes=[(1, 3, 1, 1)])
    check_op(lambda x: em.squeeze(x, list(axis) if isinstance(axis, tuple) else axis),
             torch_fn=tfn, shapes=[(1, 3, 1, 1)])


def test_squeeze_non_unit_axis_error():
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of shape \(1, 3\) has size 3"):
        em.ones((1, 3)).squeeze(1)


@pytest.mark.parametrize("shape, target", [((3, 1), (2, 3, 4)), ((), (2, 2)), ((4,), (3, 4)),
                                           ((1, 1), (0, 5))])
def test_broadcast_to(shape, target):
    check_op(lambda x: em.broadcast_to(x, target), torch_fn=lambda t: t.broadcast_to(target),
             shapes=[shape])
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast"):
        em.broadcast_to(em.ones((2, 3)), (3, 3))


@pytest.mark.parametrize("shapes, axis", [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], -1),
                                          ([(0, 3), (2, 3)], 0), ([(1, 2, 2), (1, 1, 2)], 1)])
def test_concatenate(shapes, axis):
    check_op(lambda *xs: em.concatenate(xs, axis=axis), shapes=shapes,
             torch_fn=lambda *ts: torch.cat(ts, dim=axis), noncontig=True)


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_stack(axis):
    check_op(lambda *xs: em.stack(xs, axis=axis), shapes=[(2, 3)] * 3,
             torch_fn=lambda *ts: torch.stack(ts, dim=axis))


def test_concatenate_stack_errors():
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\), \(2, 4\) differ"):
        em.concatenate([em.ones((2, 3)), em.ones((2, 4))])
    with pytest.raises(ValueError, match="stack: all tensors need the same shape"):
        em.stack([em.ones(2), em.ones(3)])
    with pytest.raises(ValueError, match="needs at least one tensor"):
        em.concatenate([])


@pytest.mark.parametrize("how, axis", [(3, 0), (2, 1), ([1, 3], 0), ([2], -1), ([0, 0, 4], 1)])
def test_split(how, axis):
    check_op(lambda x: em.split(x, how, axis=axis), shapes=[(6, 4)],
             torch_fn=lambda t: torch.tensor_split(t, how, dim=axis))


def test_split_uneven_error():
    with pytest.raises(ValueError, match="split: axis 0 of size 5 does not divide into 2"):
        em.split(em.ones(5), 2)


@pytest.mark.parametrize("width, value", [(((1, 2), (0, 3)), 0.0), (1, 2.5),
                                          (((2, 0), (1, 1)), -1.0), ([(1, 1)], 0.0)])
def test_pad(width, value):
    w = [width] * 2 if isinstance(width, int) else list(width) * (2 // len(width))
    w = [(p, p) if isinstance(p, int) else p for p in w]
    torch_pad = tuple(v for pair in reversed(w) for v in pair)  # last axis first
    check_op(lambda x: em.pad(x, width, constant_values=value), shapes=[(3, 2)],
             torch_fn=lambda t: F.pad(t, torch_pad, value=value))


def test_pad_errors():
    with pytest.raises(ValueError, match="pad: only mode='constant'"):
        em.pad(em.ones(3), 1, mode="reflect")
    with pytest.raises(ValueError, match="pad: pad_width"):
        em.pad(em.ones((2, 2)), [(1, 1), (1, 1), (1, 1)])


@pytest.mark.parametrize("start", [0, 1, 2])
def test_flatten(start):
    check_op(lambda x: em.flatten(x, start), torch_fn=lambda t: t.flatten(start),
             shapes=[(2, 3, 2)], noncontig=True)
    assert em.ones((2, 3, 4)).flatten(1).shape == (2, 12)


INDEXES = {
    "int": (1, 1), "neg_int": (-1, -1), "slice": (np.s_[:, 1:3], np.s_[:, 1:3]),
    "step": (np.s_[::2, 1::2], np.s_[::2, 1::2]), "none_ellipsis": (np.s_[None, ..., 0],
                                                                    np.s_[None, ..., 0]),
    "list_repeated": ([0, 0, 2, 0], [0, 0, 2, 0]),
    "array_2d": (np.array([[0, 1], [1, 1]]), torch.tensor([[0, 1], [1, 1]])),
    "pairs_repeated": (([0, 0, 2], [1, 1, 3]), ([0, 0, 2], [1, 1, 3])),
    "slice_then_list": (np.s_[1:, [3, 3, 0]], np.s_[1:, [3, 3, 0]]),
    "tensor_index": (em.tensor([2, 2, 1]), torch.tensor([2, 2, 1])),
    "mask": (np.array([True, False, True]), torch.tensor([True, False, True])),
    "mask_2d": (np.arange(12).reshape(3, 4) % 3 == 0,
                torch.tensor(np.arange(12).reshape(3, 4) % 3 == 0)),
    "empty_slice": (np.s_[2:2], np.s_[2:2]),
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_getitem(name):
    idx, tidx = INDEXES[name]
    check_op(lambda x: x[idx], torch_fn=lambda t: t[tidx], shapes=[(3, 4)])
    check_op(lambda x: em.getitem(x, idx), torch_fn=lambda t: t[tidx], shapes=[(3, 4)],
             noncontig=True)


def test_getitem_reversed_slice():
    check_op(lambda x: x[::-1, 1], torch_fn=lambda t: t.flip(0)[:, 1], shapes=[(3, 4)])


def test_repeated_indices_accumulate():
    x = em.zeros(3, requires_grad=True)
    x[[0, 0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_getitem_with_tensor_mask():
    x = em.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    y = x[x > 0]
    y.sum().backward()
    assert y.tolist() == [1.0, 4.0] and x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"index into a tensor of shape \(3,\)"):
        em.ones(3)[5]


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take(axis):
    idx = [2, 0, 2, 1]
    tfn = (lambda t: t.flatten()[idx]) if axis is None else \
        (lambda t: t.index_select(axis, torch.tensor(idx)))
    check_op(lambda x: em.take(x, idx, axis=axis), torch_fn=tfn, shapes=[(3, 3)])
    check_op(lambda x: x.take(em.tensor(idx), axis), torch_fn=tfn, shapes=[(3, 3)])


@pytest.mark.parametrize("axis, idx_shape", [(1, (3, 2)), (0, (2, 4)), (-1, (3, 5)),
                                             (1, (3, 1))])
def test_take_along_axis_matches_gather(axis, idx_shape):
    x_shape = (3, 4)
    idx = np.random.default_rng(0).integers(0, x_shape[axis], size=idx_shape)
    check_op(lambda x, i: em.take_along_axis(x, i, axis), shapes=None,
             inputs=[make_inputs([x_shape])[0], idx], torch_fn=lambda t, i: t.gather(axis, i))


@pytest.mark.parametrize("x_shape, idx", [((3, 4), [[3, 0]]), ((1, 4), [[3], [0]]),
                                          ((3, 4), np.zeros((3, 0), int))])
def test_take_along_axis_broadcasts_like_numpy(x_shape, idx):
    x, idx = np.arange(float(np.prod(x_shape))).reshape(x_shape), np.array(idx)
    out = em.take_along_axis(em.tensor(x, requires_grad=True), idx, axis=1)
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(x, idx, axis=1))
    out.sum().backward()  # the gradient comes back in x's shape


def test_take_along_axis_errors():
    with pytest.raises(ValueError, match="take_along_axis: indices must be integers"):
        em.take_along_axis(em.ones((2, 3)), np.array([0, 1]), axis=1)
    with pytest.raises(ValueError, match="do not broadcast"):
        em.take_along_axis(em.ones((3, 4)), np.zeros((2, 1), int), axis=1)


@pytest.mark.parametrize("labels", [[0, 2, 1, 2], [[0, 1], [3, 3]], []])
def test_one_hot(labels):
    labels = np.array(labels, dtype=np.int64)
    out = em.one_hot(labels, 4)
    ref = F.one_hot(torch.tensor(labels), 4).numpy()
    assert out.dtype == np.float32 and out.shape == ref.shape
    np.testing.assert_array_equal(out.numpy(), ref)
    assert em.one_hot(em.tensor(labels), 4, dtype="int64").dtype == np.int64


def test_one_hot_errors():
    with pytest.raises(ValueError, match=r"one_hot: labels must lie in \[0, 3\)"):
        em.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"one_hot: labels .*got values from -1"):
        em.one_hot([-1, 2], 3)  # never wraps around to the last class
    with pytest.raises(ValueError, match="one_hot: labels must be integers"):
        em.one_hot(np.array([0.5]), 3)


def test_sum_to_and_index_add():
    check_op(lambda x: em.sum_to(x, (3, 1)), torch_fn=lambda t: t.sum(dim=(0, 2), keepdim=True)[0],
             shapes=[(2, 3, 4)])
    out = em.index_add(em.ones(3), [0, 0, 2], (4,))
    assert out.tolist() == [2.0, 0.0, 1.0, 0.0]
