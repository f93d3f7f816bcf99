"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

``run_backward`` accumulates into leaves' ``.grad`` (``Tensor.backward``); ``grad`` returns
gradients for chosen tensors without touching ``.grad`` (what ``em.grad`` builds on). Both use
one walk: sort the nodes topologically, then visit them from the output down, calling each
node's backward rule once with the sum of the gradients that reached it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.autograd.broadcast import sum_to
from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, wrap_array


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from ``root`` through recorded nodes, inputs before outputs.

    An iterative depth-first post-order: a tensor is appended only after everything it depends
    on. It is marked visited when expanded, not when pushed: marking at push time would let a
    tensor reached early through a short path (x in y = x * f(x)) come out before f(x), and its
    gradient would be passed on before f(x) had added its share.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        node = t._node
        if node is None:
            continue
        if node.backward is None:
            raise RuntimeError(
                f"backward through '{node.op}' a second time: its graph was freed after the "
                "first backward; pass retain_graph=True the first time if you need it again"
            )
        for p in node.parents:
            if p.requires_grad and id(p) not in visited:
                stack.append((p, False))
    return order


def _initial_grad(root: Tensor, grad: Any) -> Tensor:
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {root.shape} needs `grad` of that shape "
                "(d(loss)/d(tensor), e.g. t.backward(em.ones_like(t))), or reduce it to a "
                "scalar first (t.sum().backward())"
            )
        xp = _xp(root)
        return wrap_array(xp.ones(root.shape, dtype=root.data.dtype))
    g = grad if isinstance(grad, Tensor) else Tensor(grad, dtype=root.data.dtype)
    if g.shape != root.shape:
        raise RuntimeError(f"backward(): grad has shape {g.shape}; the tensor has {root.shape}")
    return g


def _xp(t: Tensor) -> Any:
    from ember.backend import get_array_module

    return get_array_module(t.data)


def _propagate(root: Tensor, grad: Tensor, retain_graph: bool, create_graph: bool,
               targets: dict[int, int] | None) -> list[Tensor | None] | None:
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad (no input had requires_grad=True, "
            "or it was computed under no_grad())"
        )
    order = _topological_order(root)
    grads: dict[int, Tensor] = {id(root): grad}
    assigned = {id(_base(grad.data))}  # arrays already handed out: the root grad, leaf grads
    results: list[Tensor | None] | None = None if targets is None else [None] * len(targets)
    needed = None if targets is None else _leading_to(order, targets)
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        for t in reversed(order):
            g = grads.pop(id(t), None)
            node = t._node
            if g is None or (needed is not None and id(t) not in needed):
                if node is not None and not retain_graph:
                    node.release()  # nothing flows through it (or nowhere useful): free it
                continue
            if targets is not None and id(t) in targets:
                results[targets[id(t)]] = g
            if node is None:
                if targets is None:
                    if t.grad is None:
                        t.grad = g if create_graph else _owned(g, assigned)
                    else:
                        t.grad = _accumulate(t.grad, g, create_graph)
                continue
            if node.fused and create_graph:
                raise RuntimeError(
                    f"{node.op}: its backward is a fused array kernel, so it cannot be "
                    "differentiated twice (create_graph=True); compose it from basic ops for "
                    "higher-order gradients"
                )
            if node.saved:
                node.check_versions()
            parent_grads = node.backward(g)
            for p, pg in zip(node.parents, parent_grads):
                if pg is None or not p.requires_grad:
                    continue
                pd, gd = p.data, pg.data
                if gd.shape != pd.shape:
                    pg = sum_to(pg, pd.shape)
                if gd.dtype is not pd.dtype and gd.dtype != pd.dtype:
                    pg = pg.astype(pd.dtype)
                key = id(p)
                old = grads.get(key)
                grads[key] = pg if old is None else old + pg
            if not retain_graph:
                node.release()
    finally:
        STATE.enabled = prev
    return results


def _leading_to(order: list[Tensor], targets: dict[int, int]) -> set[int]:
    """Ids of the tensors in ``order`` that are targets or were computed from one: only their
    backward rules matter to ``grad()`` (d loss / d input need not compute weight gradients)."""
    needed: set[int] = set()
    for t in order:  # inputs come before the outputs computed from them
        node = t._node
        if id(t) in targets or (node is not None and any(id(p) in needed for p in node.parents)):
            needed.add(id(t))
    return needed


def _base(array: Any) -> Any:
    base = getattr(array, "base", None)
    return array if base is None else base


def _owned(g: Tensor, assigned: set[int]) -> Tensor:
    """A leaf's gradient must be its own writable array (optimizers clip it in place).

    Copy read-only views (from broadcast_to) and arrays already given to another leaf or
    passed in by the caller: ``(a + b).backward(g)`` hands the same ``g`` to both inputs.
    """
    data = g.data
    flags = getattr(data, "flags", None)
    if (flags is not None and not flags.writeable) or id(_base(data)) in assigned:
        g = wrap_array(data.copy())
        data = g.data
    assigned.add(id(_base(data)))
    return g


def _accumulate(old: Tensor, new: Tensor, create_graph: bool) -> Tensor:
    if create_graph:
        return old + new
    return wrap_array(old.data + new.data)


def run_backward(root: Tensor, grad: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
    """What ``Tensor.backward`` does: accumulate d(root)/d(leaf) into each leaf's ``.grad``."""
    _propagate(root, _initial_grad(root, grad), retain_graph or create_graph, create_graph, None)


def grad(outputs: Tensor, inputs: Sequence[Tensor] | Tensor, grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) for each of ``inputs`` (which may be non-leaves); ``.grad`` untouched.

    Example:
        >>> import ember as em
        >>> x = em.tensor(3.0, requires_grad=True)
        >>> em.autograd.grad(x ** 2, x)
        (tensor(6.),)
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad(): input {i} does not require grad")
    targets = {id(x): i for i, x in enumerate(inputs)}
    keep = create_graph if retain_graph is None else retain_graph
    res = _propagate(outputs, _initial_grad(outputs, grad_outputs), keep, create_graph, targets)
    for i, r in enumerate(res):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {i} was not used to compute the output; pass allow_unused=True "
                "to get None for it"
            )
    return tuple(res)
