"""Gradients as functions: ``em.grad(f)`` and ``em.value_and_grad(f)``, nestable.

``em.grad(em.grad(f))`` works because an inner call that receives tensors already tracked by
an outer call records its own backward pass (``create_graph``) so the outer call can
differentiate through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ember.autograd.engine import grad as _grad
from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, wrap_array


def _prepare(args: tuple, argnums: Sequence[int]) -> tuple[list, list[Tensor], bool]:
    args = list(args)
    tracked = []
    nested = False
    for i in argnums:
        a = args[i]
        if isinstance(a, Tensor) and a.requires_grad and STATE.enabled:
            nested = True  # an outer transformation tracks it: keep its graph
            x = a
        else:
            x = wrap_array(a.data if isinstance(a, Tensor) else Tensor(a).data)
            if x.data.dtype.kind != "f":
                raise TypeError(f"grad: argument {i} must be floating point; got "
                                f"{x.data.dtype.name}")
            x.requires_grad = True
        args[i] = x
        tracked.append(x)
    return args, tracked, nested


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning ``(f(*args), df/d args[argnums])``; f must return a scalar.

    Example:
        >>> import ember as em
        >>> em.value_and_grad(lambda x: (x ** 2).sum())(em.tensor([1.0, 2.0]))
        (tensor(5.), tensor([2., 4.]))
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def wrapped(*args: Any, **kwargs: Any) -> tuple[Tensor, Any]:
        new_args, tracked, nested = _prepare(args, nums)
        prev = STATE.enabled
        STATE.enabled = True
        try:
            out = f(*new_args, **kwargs)
        finally:
            STATE.enabled = prev
        if not isinstance(out, Tensor) or out.data.size != 1:
            shape = getattr(out, "shape", type(out).__name__)
            raise TypeError(f"grad: the function must return a one-element tensor; got {shape}")
        if not out.requires_grad:
            grads = tuple(wrap_array(t.data * 0) for t in tracked)
        else:
            grads = _grad(out, tracked, create_graph=nested, allow_unused=True)
            grads = tuple(wrap_array(t.data * 0) if g is None else g
                          for g, t in zip(grads, tracked))
        value = out if nested else out.detach()
        return value, grads[0] if single else grads

    return wrapped


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The gradient function of a scalar-valued ``f`` (with respect to ``args[argnums]``).

    Example:
        >>> import ember as em
        >>> em.grad(lambda x: x ** 3)(em.tensor(2.0))
        tensor(12.)
        >>> em.grad(em.grad(lambda x: x ** 3))(em.tensor(2.0))
        tensor(12.)
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped
