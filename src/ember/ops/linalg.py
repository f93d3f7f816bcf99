"""Differentiable linear algebra: einsum, cross, trace, norm, inv, det, slogdet, solve, pinv,
(decompositions in ops/decompositions.py; leading batch axes where NumPy allows them).

Every backward rule is written with tensor ops (matmul, swapaxes, einsum, inv, ...), so second
derivatives work. A decomposition with several outputs (eigh, svd) records one node per output:
its backward is linear in the output gradients, so each output adds its own term to d(loss)/dA
and the engine sums them.
"""

from __future__ import annotations

import string
from typing import Any

from ember.autograd.tensor import Tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.ops.decompositions import svd
from ember.ops.elementwise import where
from ember.ops.linalg_common import (
    _eye,
    _float,
)
from ember.ops.shape import broadcast_to, reshape


# ------------------------------------------------------------------ einsum
def _parse(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Explicit letter subscripts per operand and for the output (ellipses become letters)."""
    subs = subscripts.replace(" ", "")
    ins, arrow, out = subs.partition("->")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands; got {len(shapes)}")
    n_ell = 0
    for t, shape in zip(terms, shapes):
        if "..." in t:
            n_ell = max(n_ell, len(shape) - (len(t) - 3))
    fresh = [c for c in string.ascii_letters if c not in subs][:n_ell]
    if len(fresh) < n_ell:
        raise ValueError(f"einsum: too many axes in {subscripts!r}")
    for i, (t, shape) in enumerate(zip(terms, shapes)):
        if "..." in t:
            k = len(shape) - (len(t) - 3)
            t = t.replace("...", "".join(fresh[n_ell - k:]) if k > 0 else "")
        if len(t) != len(shape) or not all(c in string.ascii_letters for c in t):
            raise ValueError(f"einsum: subscripts {terms[i]!r} do not fit operand {i} of shape "
                             f"{shape} (one letter per axis, '...' for the rest)")
        terms[i] = t
    letters = "".join(terms)
    if not arrow:  # implicit output: broadcast axes, then letters seen once, alphabetically
        out = "".join(fresh) + "".join(sorted(c for c in set(letters)
                                              if letters.count(c) == 1 and c not in fresh))
    else:
        out = out.replace("...", "".join(fresh))
        bad = [c for c in out if c not in letters or out.count(c) > 1]
        if bad:
            raise ValueError(f"einsum: output subscript {bad[0]!r} in {subscripts!r} is repeated "
                             "or names no input axis")
    return terms, out


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as ``numpy.einsum``, differentiable in every operand.

    Supports explicit (``->``) and implicit output, repeated letters (traces, diagonals),
    ``...`` for broadcast axes and size-1 broadcasting. Ellipsis axes left out of an explicit
    output are summed (as in PyTorch). Each operand's gradient is an einsum of the output
    gradient with the other operands.

    Example:
        >>> import ember as em
        >>> a, b = em.ones((2, 3)), em.ones((3, 4))
        >>> em.einsum("ij,jk->ik", a, b).shape
        (2, 4)
        >>> em.einsum("ii", em.eye(3)).item()
        3.0
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the first argument must be a subscripts string such as "
                        f"'ij,jk->ik'; got {type(subscripts).__name__}")
    ops = [_float(o) for o in operands]
    if not ops:
        raise ValueError("einsum: needs at least one operand")
    terms, out = _parse(subscripts, [o.shape for o in ops])
    sizes: dict[str, int] = {}
    for t, o in zip(terms, ops):
        for c, n in zip(t, o.shape):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(f"einsum: axis {c!r} has sizes {sizes[c]} and {n} in "
                                 f"{subscripts!r} (shapes {[o.shape for o in ops]})")
            sizes[c] = max(sizes.get(c, 1), n)
    for i, (t, o) in enumerate(zip(terms, ops)):
        full = tuple(sizes[c] for c in t)
        if o.shape != full:  # size-1 broadcasting made explicit; its backward sums back
            ops[i] = broadcast_to(o, full)
    return _einsum(terms, out, ops, sizes)


def _einsum(terms: list[str], out: str, ops: list[Tensor], sizes: dict[str, int]) -> Tensor:
    xp = xp_of(ops[0].data)
    spec = ",".join(terms) + "->" + out
    # a contraction path (BLAS for pairs) pays off from 3 operands or mid-sized ones; for tiny
    # operands planning it costs more than the plain loop
    plan = len(ops) > 2 or len(ops) == 2 and ops[0].size + ops[1].size >= 4096
    data = xp.einsum(spec, *[o.data for o in ops], optimize="greedy" if plan else False)

    def backward(g: Tensor) -> tuple:
        return tuple(_einsum_grad(k, g, terms, out, ops, sizes) if ops[k].requires_grad
                     else None for k in range(len(ops)))

    return record_op(xp.asarray(data), tuple(ops), backward, "einsum", tuple(ops))


def _einsum_grad(k: int, g: Tensor, terms: list[str], out: str, ops: list[Tensor],
                 sizes: dict[str, int]) -> Tensor:
    term = terms[k]
    uniq = "".join(dict.fromkeys(term))
    others = [t for i, t in enumerate(terms) if i != k]
    seen = set(out).union(*others)
    keep = "".join(c for c in uniq if c in seen)
    args = [g] + [o for i, o in enumerate(ops) if i != k]
    gk = _einsum([out] + others, keep, args, sizes)
    if keep != uniq:  # letters summed only inside operand k: their gradient is a broadcast
        gk = reshape(gk, tuple(sizes[c] if c in keep else 1 for c in uniq))
        gk = broadcast_to(gk, tuple(sizes[c] for c in uniq))
    if uniq == term:
        return gk
    # repeated letters (a diagonal): put the gradient back on it with identity matrices
    spare = iter(c for c in string.ascii_letters if c not in "".join(terms) + out)
    renamed, deltas, firsts = [], [], set()
    for c in term:
        if c in firsts:
            d = next(spare)
            renamed.append(d)
            deltas.append(c + d)
        else:
            firsts.add(c)
            renamed.append(c)
    eyes = [wrap_array(_eye(sizes[dl[0]], g)) for dl in deltas]
    return _einsum([uniq] + deltas, "".join(renamed), [gk] + eyes, sizes)


# ------------------------------------------------------------------ cross, trace
def cross(a: Any, b: Any, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``axis`` (other axes broadcast, as in PyTorch).

    Example:
        >>> import ember as em
        >>> em.cross(em.tensor([1.0, 0.0, 0.0]), em.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    a, b = _float(a), _float(b)
    nd = max(a.ndim, b.ndim)
    if not -nd <= axis < nd:
        raise ValueError(f"cross: axis {axis} is out of range for shapes {a.shape}, {b.shape}")
    ax = axis % nd - nd  # counted from the end, so that broadcasting aligns it in a and b
    if a.ndim < -ax or b.ndim < -ax or a.shape[ax] != 3 or b.shape[ax] != 3:
        raise ValueError(f"cross: needs 3-vectors along axis {axis}; got shapes {a.shape} and "
                         f"{b.shape}")
    xp = xp_of(a.data)
    try:
        data = xp.cross(a.data, b.data, axis=ax)
    except ValueError:
        raise ValueError(f"cross: shapes {a.shape} and {b.shape} cannot be broadcast") from None

    def backward(g: Tensor) -> tuple:
        # d/da <g, a x b> = b x g  and  d/db <g, a x b> = g x a
        return cross(b, g, ax), cross(g, a, ax)

    return record_op(data, (a, b), backward, "cross", (a, b))


def trace(x: Any, offset: int = 0) -> Tensor:
    """Sum of the diagonal of the last two axes (``numpy.linalg.trace``), per batch entry.

    Example:
        >>> import ember as em
        >>> em.trace(em.eye(3) * 2).item()
        6.0
    """
    x = _float(x)
    if x.ndim < 2:
        raise ValueError(f"trace: expected a matrix (..., n, m); got shape {x.shape}")
    xp = xp_of(x.data)
    data = xp.asarray(xp.trace(x.data, offset, axis1=-2, axis2=-1))
    n, m = x.shape[-2:]

    def backward(g: Tensor) -> tuple:
        return (reshape(g, g.shape + (1, 1)) * wrap_array(_eye(n, g, m, offset)),)

    return record_op(data, (x,), backward, "trace")


# ------------------------------------------------------------------ norm
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Vector or matrix norm with ``numpy.linalg.norm``'s ``ord``, ``axis`` and ``keepdims``.

    Vector ords: None/2, any p > 0, 1, inf, -inf, 0 (a count, not differentiable). Matrix ords
    (``axis`` a pair, or a 2-D input with ``ord`` given): None/'fro', 'nuc', 1, -1, 2, -2, inf,
    -inf. The gradient of the 2-norm at the zero vector is 0 (a subgradient), never NaN.

    Example:
        >>> import ember as em
        >>> em.linalg.norm(em.tensor([3.0, 4.0])).item()
        5.0
    """
    from ember.ops.reduction import max as rmax
    from ember.ops.reduction import min as rmin
    from ember.ops.reduction import sum as rsum

    x = _float(x)
    if axis is None:
        if ord is not None and x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs a 1-D or 2-D input (or axis); got shape "
                             f"{x.shape}")
        axis = tuple(range(x.ndim)) if ord is None or x.ndim == 2 else (0,)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(axes) not in (1, 2) and ord is not None:
        raise ValueError(f"norm: axis must name 1 or 2 axes for ord={ord!r}; got {axis!r}")
    if any(not -x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"norm: axis {axis!r} is out of range for shape {x.shape}")
    axes = tuple(a % x.ndim for a in axes)
    inf = float("inf")
    if ord is None or ord == "fro" and len(axes) == 2 or ord == 2 and len(axes) == 1:
        return _pnorm(x, 2.0, axes, keepdims)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: ord={ord!r} is a matrix norm; axis names one axis")
        if ord == inf:
            return rmax(abs(x), axis=axes, keepdims=keepdims)
        if ord == -inf:
            return rmin(abs(x), axis=axes, keepdims=keepdims)
        if ord == 0:
            return wrap_array((x.data != 0).sum(axis=axes, keepdims=keepdims).astype(x.data.dtype))
        if ord == 1:
            return rsum(abs(x), axis=axes, keepdims=keepdims)
        if ord < 0:
            raise ValueError(f"norm: negative vector ord {ord} is not supported")
        return _pnorm(x, float(ord), axes, keepdims)
    row, col = axes
    if ord in (2, -2, "nuc"):
        moved = _move_last(x, row, col)
        s = svd(moved).S
        res = rsum(s, axis=-1) if ord == "nuc" else (rmax if ord == 2 else rmin)(s, axis=-1)
    elif ord in (1, -1, inf, -inf):
        red, other = (row, col) if ord in (1, -1) else (col, row)
        sums = rsum(abs(x), axis=red, keepdims=True)
        res = (rmax if ord > 0 else rmin)(sums, axis=other, keepdims=True)
        res = reshape(res, tuple(n for i, n in enumerate(x.shape) if i not in axes))
    else:
        raise ValueError(f"norm: unknown matrix ord {ord!r} (expected None, 'fro', 'nuc', 1, "
                         "-1, 2, -2, inf, -inf)")
    if keepdims:
        res = reshape(res, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return res


def _move_last(x: Tensor, row: int, col: int) -> Tensor:
    from ember.ops.shape import transpose

    rest = [i for i in range(x.ndim) if i not in (row, col)]
    return transpose(x, rest + [row, col])


def _pnorm(x: Tensor, p: float, axes: tuple, keepdims: bool) -> Tensor:
    """(sum |x|^p)^(1/p) with a backward that gives 0 (not NaN) at the zero vector."""
    xp = xp_of(x.data)
    a = x.data * x.data if p == 2 else xp.abs(x.data) ** p
    s = a.sum(axis=axes, keepdims=True)
    kept = xp.sqrt(s) if p == 2 else s ** (1 / p)
    data = kept if keepdims else kept.reshape(tuple(n for i, n in enumerate(x.shape)
                                                    if i not in axes))

    def backward(g: Tensor) -> tuple:
        o = reshape(out, kept.shape)
        nz = o.data > 0
        safe = where(nz, o, 1.0)
        ge = reshape(g, kept.shape)
        if p == 2:
            return (ge * x / safe,)
        mag = where(x.data != 0, abs(x), 1.0)  # |0|^(p-2) would be inf for p < 2
        return (ge * x * mag ** (p - 2) / safe ** (p - 1),)

    out = record_op(xp.asarray(data), (x,), backward, "norm", (x,))
    return out
