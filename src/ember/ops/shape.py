"""Shape and indexing ops: reshape, transpose, broadcast, concatenate, pad, index, gather.

Each backward moves the gradient back to where its values came from, using these same ops, so
higher-order gradients work.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from ember.autograd.broadcast import broadcast_to, sum_to  # noqa: F401 - em.broadcast_to, em.sum_to
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import floatx, xp_of


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _axis(op: str, axis: int, ndim: int) -> int:
    """``axis`` in [0, ndim), or an error naming the op (NumPy's would not)."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim


def reshape(x: Any, *shape: Any) -> Tensor:
    """The same values in a new shape (one axis may be -1)."""
    x = as_tensor(x)
    shape = _shape_arg(shape)
    try:
        data = x.data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
            f"{shape}"
        ) from None
    in_shape = x.shape
    return record_op(data, (x,), lambda g: (reshape(g, in_shape),), "reshape")


def flatten(x: Any, start_axis: int = 0) -> Tensor:
    """Merge the axes from ``start_axis`` on into one (``flatten(x, 1)`` keeps the batch)."""
    x = as_tensor(x)
    return reshape(x, x.shape[:start_axis] + (-1,))


def transpose(x: Any, axes: Sequence[int] | int | None = None, axis2: int | None = None, *,
              dim0: int | None = None, dim1: int | None = None) -> Tensor:
    """Permute the axes, as ``numpy.transpose``, or swap two of them, as ``torch.transpose``.

    ``transpose(x)`` reverses the axes; ``transpose(x, (2, 0, 1))`` permutes them (NumPy);
    ``transpose(x, 0, 1)`` or ``transpose(x, dim0=0, dim1=1)`` swaps two axes (PyTorch). The
    method follows the same rule: ``t.transpose(0, 1)`` swaps (on a 2-D tensor too, where
    NumPy would read the identity permutation), ``t.transpose(2, 0, 1)`` with every axis
    named permutes.

    Example:
        >>> import ember as em
        >>> em.zeros(2, 3, 4).transpose(0, 2).shape
        (4, 3, 2)
    """
    x = as_tensor(x)
    if dim0 is not None or dim1 is not None:
        if dim0 is None or dim1 is None or axes is not None:
            raise ValueError("transpose: give both dim0 and dim1 (and no axes)")
        return swapaxes(x, dim0, dim1)
    if axis2 is not None:
        return swapaxes(x, axes, axis2)
    if axes is None:
        axes = tuple(range(x.ndim - 1, -1, -1))
    elif isinstance(axes, int):
        raise ValueError(f"transpose: one axis ({axes}) given; pass two axes to swap, or a "
                         f"permutation of all {x.ndim}")
    axes = tuple(a % x.ndim for a in axes) if x.ndim else ()
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of 0..{x.ndim - 1}")
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
    return record_op(x.data.transpose(axes), (x,), lambda g: (transpose(g, inverse),), "transpose")


def permute(x: Any, *axes: int) -> Tensor:
    """PyTorch's name for ``transpose`` with explicit axes."""
    return transpose(x, _shape_arg(axes))


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = as_tensor(x)
    axis1, axis2 = _axis("swapaxes", axis1, x.ndim), _axis("swapaxes", axis2, x.ndim)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, tuple(axes))


def expand_dims(x: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Insert a size-1 axis at ``axis`` (or PyTorch's ``dim``)."""
    x = as_tensor(x)
    if dim is not None:
        axis = dim
    if axis is None:
        raise TypeError("expand_dims: give the position of the new axis (axis= or dim=)")
    xp = xp_of(x.data)
    if isinstance(axis, int):
        axis = _axis("expand_dims", axis, x.ndim + 1)
    data = xp.expand_dims(x.data, axis)
    return record_op(data, (x,), lambda g: (squeeze(g, axis),), "expand_dims")


def squeeze(x: Any, axis: int | Sequence[int] | None = None, *, dim: Any = None) -> Tensor:
    """Remove size-1 axes (all of them, or the ones named by ``axis`` or PyTorch's ``dim``)."""
    x = as_tensor(x)
    if dim is not None:
        axis = dim
    if axis is not None:
        axis = axis if isinstance(axis, int) else tuple(axis)
        for a in (axis,) if isinstance(axis, int) else axis:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, "
                                 "not 1")
    data = x.data.squeeze() if axis is None else x.data.squeeze(axis)
    in_shape = x.shape
    return record_op(data, (x,), lambda g: (reshape(g, in_shape),), "squeeze")


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``dim`` is PyTorch's name; ``em.cat`` too)."""
    if dim is not None:
        axis = dim
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("concatenate: needs at least one tensor")
    xp = xp_of(ts[0].data)
    axis = _axis("concatenate", axis, ts[0].ndim)
    try:
        data = xp.concatenate([t.data for t in ts], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in ts)
        raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}") from None
    ax = axis % data.ndim
    bounds = [0]
    for t in ts:
        bounds.append(bounds[-1] + t.shape[ax])

    def backward(g: Tensor) -> tuple:
        pre = (slice(None),) * ax
        return tuple(g[pre + (slice(bounds[i], bounds[i + 1]),)] for i in range(len(ts)))

    return record_op(data, tuple(ts), backward, "concatenate")


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along a new axis (``dim`` is PyTorch's name)."""
    if dim is not None:
        axis = dim
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in ts}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape; got {sorted(shapes)}")
    axis = _axis("stack", axis, ts[0].ndim + 1)
    return concatenate([expand_dims(t, axis) for t in ts], axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0, *,
          dim: int | None = None) -> Any:
    """Split into equal sections or at the given indices, as ``numpy.split``.

    Called the PyTorch way, with ``dim=`` (as ``t.split(...)`` always is), it is
    ``torch.split``: an int is each piece's size, a list the sizes.
    """
    if dim is not None:
        from ember.ops.shape_extra import split_torch

        return split_torch(x, indices_or_sections, dim)
    x = as_tensor(x)
    axis = _axis("split", axis, x.ndim)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of size {n} does not divide into "
                             f"{indices_or_sections} equal sections")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    edges = [0] + cuts + [n]
    pre = (slice(None),) * axis
    return [x[pre + (slice(edges[i], edges[i + 1]),)] for i in range(len(edges) - 1)]


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Tensor:
    """Pad with a constant, as ``numpy.pad`` (``pad_width`` per axis: (before, after))."""
    x = as_tensor(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported; got {mode!r}")
    xp = xp_of(x.data)
    widths = _pad_widths(pad_width, x.ndim)
    data = xp.pad(x.data, widths, mode="constant", constant_values=constant_values)
    index = tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
    return record_op(data, (x,), lambda g: (g[index],), "pad")


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    if isinstance(pad_width, int):
        return [(pad_width, pad_width)] * ndim
    pw = [tuple(p) if isinstance(p, (tuple, list)) else (p, p) for p in pad_width]
    if len(pw) == 1:
        pw = pw * ndim
    if len(pw) != ndim or any(b < 0 or a < 0 for b, a in pw):
        raise ValueError(f"pad: pad_width {pad_width} does not give (before, after) >= 0 for "
                         f"each of {ndim} axes")
    return pw


def _index_data(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return xp_of(index).asarray(index) if index and not isinstance(index[0], slice) else index
    return index


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(hasattr(i, "shape") and getattr(i, "ndim", 0) > 0 or isinstance(i, list)
               for i in items)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with basic or advanced (integer / boolean array) indexing."""
    x = as_tensor(x)
    index = _index_data(index)
    try:
        data = x.data[index]
    except IndexError as exc:
        raise IndexError(f"index into a tensor of shape {x.shape}: {exc}") from None
    shape = x.shape
    return record_op(data, (x,), lambda g: (index_add(g, index, shape),), "getitem")


def index_add(values: Any, index: Any, shape: Sequence[int]) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``index`` (repeats accumulate).

    This is the backward of ``getitem``; its own backward is ``getitem`` again.
    """
    v = as_tensor(values)
    xp = xp_of(v.data)
    out = xp.zeros(tuple(shape), dtype=v.data.dtype)
    if _is_advanced(index):
        xp.add.at(out, index, v.data)
    else:
        out[index] = v.data
    return record_op(out, (v,), lambda g: (getitem(g, index),), "index_add")


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Pick entries along ``axis`` by integer index, as ``numpy.take`` (gather)."""
    x = as_tensor(x)
    idx = indices.data if isinstance(indices, Tensor) else indices
    if axis is None:
        return getitem(reshape(x, -1), xp_of(x.data).asarray(idx))
    ax = axis % x.ndim
    return getitem(x, (slice(None),) * ax + (xp_of(x.data).asarray(idx),))


def take_along_axis(x: Any, indices: Any, axis: int) -> Tensor:
    """Gather with an index array of the same rank, as ``numpy.take_along_axis`` (PyTorch's
    ``gather`` when the index has x's shape off ``axis``); the other axes broadcast."""
    x = as_tensor(x)
    xp = xp_of(x.data)
    idx = xp.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.ndim != x.ndim or idx.dtype.kind not in "iu":
        raise ValueError(f"take_along_axis: indices must be integers with as many axes as x; "
                         f"got {idx.dtype.name} of shape {idx.shape} for x of shape {x.shape}")
    ax = axis % x.ndim
    target = []
    for i, (n, m) in enumerate(zip(x.shape, idx.shape)):
        if i != ax and n != m and 1 not in (n, m):
            raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not broadcast "
                             f"against x of shape {x.shape} off axis {ax}")
        target.append(m if i == ax else builtins.max(n, m) if 0 not in (n, m) else 0)
    if idx.shape != tuple(target):
        idx = xp.broadcast_to(idx, tuple(target))
    x_shape = tuple(x.shape[ax] if i == ax else n for i, n in enumerate(target))
    if x.shape != x_shape:
        x = broadcast_to(x, x_shape)
    grids = xp.ogrid[tuple(slice(n) for n in target)]
    full = tuple(idx if i == ax else grids[i] for i in range(x.ndim))
    return getitem(x, full)


def check_label_range(labels: Any, n: int, who: str) -> None:
    """Raise unless every integer label lies in [0, n), naming ``who``: a negative label would
    otherwise index from the end. One reduction: seen as unsigned, a negative label is huge."""
    if not labels.size:
        return
    top = labels.view(labels.dtype.str.replace("i", "u")) if labels.dtype.kind == "i" \
        else labels
    if int(top.max()) >= n:
        raise ValueError(f"{who}: labels must lie in [0, {n}); got values from "
                         f"{int(labels.min())} to {int(labels.max())}")


def one_hot(indices: Any, num_classes: int, dtype: Any = None) -> Tensor:
    """Integer labels -> one-hot rows (not differentiable)."""
    idx = indices.data if isinstance(indices, Tensor) else indices
    xp = xp_of(idx)
    idx = xp.asarray(idx)
    if idx.dtype.kind not in "iu":
        if idx.size and not xp.all(idx == xp.round(idx)):
            raise ValueError("one_hot: labels must be integers")
        idx = idx.astype("int64")
    check_label_range(idx, num_classes, "one_hot")
    eye = xp.eye(num_classes, dtype=dtype or floatx())
    return wrap_array(eye[idx])
