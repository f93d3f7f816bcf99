"""PyTorch's shape ops, composed from ember's primitives (so their gradients come for free):
unsqueeze, expand, repeat, repeat_interleave, tile, unflatten, chunk, unbind, flip, roll,
moveaxis / movedim, cat, and ``split`` / ``flatten`` called the PyTorch way.

Example:
    >>> import ember as em
    >>> x = em.arange(6.0).reshape(2, 3)
    >>> em.unsqueeze(x, 0).shape, x.repeat(2, 1).shape, em.flip(x, 1).tolist()[0]
    ((1, 2, 3), (4, 3), [2.0, 1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op
from ember.backend import xp_of
from ember.ops import shape as _sh
from ember.ops.shape import _axis, _shape_arg, broadcast_to, concatenate, reshape, transpose


def unsqueeze(x: Any, dim: int) -> Tensor:
    """Insert a size-1 axis at ``dim`` (``expand_dims``)."""
    return _sh.expand_dims(x, dim)


def moveaxis(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Move axes to new positions, the others keeping their order (``numpy.moveaxis``)."""
    x = as_tensor(x)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: {len(src)} source axes but {len(dst)} destinations")
    src = [_axis("moveaxis", a, x.ndim) for a in src]
    dst = [_axis("moveaxis", a, x.ndim) for a in dst]
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))


movedim = moveaxis


def expand(x: Any, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` without copying (-1 keeps an axis), as ``Tensor.expand``."""
    x = as_tensor(x)
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a tensor with {x.ndim} dimensions")
    shape = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def expand_as(x: Any, other: Any) -> Tensor:
    """``expand(x, other.shape)``."""
    return broadcast_to(x, as_tensor(other).shape)


def tile(x: Any, reps: Any) -> Tensor:
    """Repeat the whole tensor ``reps`` times along each axis (``numpy.tile``)."""
    x = as_tensor(x)
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    n = max(len(reps), x.ndim)
    reps = (1,) * (n - len(reps)) + reps
    x = reshape(x, (1,) * (n - x.ndim) + x.shape)
    # (a, b) tiled (r, s): broadcast to (r, a, s, b), then merge the pairs
    inter = reshape(x, sum(((1, m) for m in x.shape), ()))
    big = broadcast_to(inter, sum(((r, m) for r, m in zip(reps, x.shape)), ()))
    return reshape(big, tuple(r * m for r, m in zip(reps, x.shape)))


def repeat(x: Any, *sizes: Any) -> Tensor:
    """PyTorch's ``Tensor.repeat``: tile by ``sizes`` (at least as many as x has axes)."""
    x = as_tensor(x)
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: give at least {x.ndim} repeats (one per axis); got {sizes}")
    return tile(x, sizes)


def repeat_interleave(x: Any, repeats: Any, dim: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (flattened when None), as PyTorch
    and ``numpy.repeat``; ``repeats`` may be one count per element."""
    x = as_tensor(x)
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    dim = _axis("repeat_interleave", dim, x.ndim)
    xp = xp_of(x.data)
    reps = repeats.data if isinstance(repeats, Tensor) else repeats
    index = xp.repeat(xp.arange(x.shape[dim]), reps)
    return _sh.take(x, index, axis=dim)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim`` .. ``end_dim`` (inclusive) into one, as ``torch.flatten``."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = _axis("flatten", start_dim, x.ndim), _axis("flatten", end_dim, x.ndim)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:s] + (-1,) + x.shape[e + 1:])


def unflatten(x: Any, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split axis ``dim`` into ``sizes`` (one may be -1)."""
    x = as_tensor(x)
    d = _axis("unflatten", dim, x.ndim)
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """PyTorch's name for ``concatenate``."""
    return concatenate(tensors, axis=dim if axis is None else axis)


def split_torch(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``torch.split``: an int is the size of each piece (the last may be smaller); a list
    gives the sizes (NumPy's ``split`` takes a count or cut indices instead)."""
    x = as_tensor(x)
    dim = _axis("split", dim, x.ndim)
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive; got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, but axis {dim} has "
                             f"{n} entries")
    cuts, start = [], 0
    for s in sizes[:-1]:
        start += s
        cuts.append(start)
    return tuple(_sh.split(x, cuts, axis=dim))


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ceil(n / chunks) (the last smaller), as PyTorch."""
    x = as_tensor(x)
    n = x.shape[_axis("chunk", dim, x.ndim)]
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive; got {chunks}")
    return split_torch(x, max(1, -(-n // chunks)), dim)


def unbind(x: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that axis removed."""
    x = as_tensor(x)
    dim = _axis("unbind", dim, x.ndim)
    pre = (slice(None),) * dim
    return tuple(x[pre + (i,)] for i in range(x.shape[dim]))


def flip(x: Any, dims: int | Sequence[int] | None = None) -> Tensor:
    """Reverse the order along ``dims`` (all axes when None); backward flips back."""
    x = as_tensor(x)
    axes = tuple(range(x.ndim)) if dims is None else (
        (dims,) if isinstance(dims, int) else tuple(dims))
    axes = tuple(_axis("flip", a, x.ndim) for a in axes)
    data = xp_of(x.data).flip(x.data, axes)
    return record_op(data, (x,), lambda g: (flip(g, axes),), "flip")


def roll(x: Any, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements cyclically along ``dims`` (the flattened tensor when None)."""
    x = as_tensor(x)
    if dims is None:
        flat = roll(reshape(x, (-1,)), shifts, 0)
        return reshape(flat, x.shape)
    xp = xp_of(x.data)
    data = xp.roll(x.data, shifts, dims)
    neg = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
    return record_op(data, (x,), lambda g: (roll(g, neg, dims),), "roll")


__all__ = ["unsqueeze", "moveaxis", "movedim", "expand", "expand_as", "tile", "repeat",
           "repeat_interleave", "unflatten", "cat", "chunk", "unbind", "flip", "roll"]
