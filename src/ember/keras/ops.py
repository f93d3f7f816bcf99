"""``keras.ops``: the tensor vocabulary of the Keras tutorials, on ember's ops.

Names whose Keras signature differs from ember's (``zeros(shape)``, ``cast(x, dtype)``,
``top_k(x, k)`` returning ``(values, indices)``, ``shape(x)`` as a tuple) are small wrappers
here; every other name is ember's op of the same name (``mean``, ``sum``, ``exp``,
``matmul``, ``concatenate``, ``expand_dims``, ``reshape``, ...), so nothing is duplicated.

Example:
    >>> from ember.keras import ops
    >>> values, indices = ops.top_k(ops.convert_to_tensor([1.0, 3.0, 2.0]), k=2)
    >>> ops.convert_to_numpy(indices).tolist()
    [1, 2]
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember import ops as _ops
from ember.autograd.tensor import Tensor, as_tensor


def _dtype(dtype: Any) -> Any:
    return backend.floatx() if dtype is None else dtype


def convert_to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as an ember tensor (of ``dtype`` when given)."""
    t = x if isinstance(x, Tensor) else as_tensor(x)
    return t if dtype is None else cast(t, dtype)


def convert_to_numpy(x: Any) -> Any:
    """``x`` as a NumPy array (copied from the GPU when it lives there)."""
    return backend.to_numpy(x.data if isinstance(x, Tensor) else x)


def cast(x: Any, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return convert_to_tensor(x).astype(dtype)


def shape(x: Any) -> tuple:
    """The shape as a tuple of ints."""
    return tuple(convert_to_tensor(x).shape)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros of ``shape`` (floatx by default)."""
    from ember.creation import zeros as _zeros

    return _zeros(tuple(_as_shape(shape)), dtype=_dtype(dtype))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones of ``shape`` (floatx by default)."""
    from ember.creation import ones as _ones

    return _ones(tuple(_as_shape(shape)), dtype=_dtype(dtype))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    from ember.creation import full as _full

    return _full(tuple(_as_shape(shape)), fill_value, dtype=_dtype(dtype))


def _as_shape(shape: Any) -> tuple:
    return (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:
    """The ``k`` largest values along the last axis and their indices."""
    return _ops.topk(convert_to_tensor(x), k, dim=-1, largest=True, sorted=sorted)


def stop_gradient(x: Any) -> Tensor:
    """``x`` cut from the graph: no gradient flows back through it."""
    return convert_to_tensor(x).detach()


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_ops, name)
    except AttributeError:
        raise AttributeError(f"ember.keras.ops has no {name!r} (neither has ember's op "
                             "namespace)") from None
