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

import numpy as np

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


def _t(x: Any) -> Tensor:
    return convert_to_tensor(x)


# Keras' NumPy-style names composed of ember's differentiable ops (gradients come with them)
def multiply(x1: Any, x2: Any) -> Tensor:
    return _t(x1) * _t(x2)


def subtract(x1: Any, x2: Any) -> Tensor:
    return _t(x1) - _t(x2)


def divide(x1: Any, x2: Any) -> Tensor:
    return _t(x1) / _t(x2)


true_divide = divide


def negative(x: Any) -> Tensor:
    return -_t(x)


def absolute(x: Any) -> Tensor:
    return _ops.abs(_t(x))


def power(x1: Any, x2: Any) -> Tensor:
    return _t(x1) ** x2


def reciprocal(x: Any) -> Tensor:
    return 1.0 / _t(x)


def rsqrt(x: Any) -> Tensor:
    return 1.0 / _ops.sqrt(_t(x))


def log2(x: Any) -> Tensor:
    return _ops.log(_t(x)) * (1.0 / 0.6931471805599453)


def log10(x: Any) -> Tensor:
    return _ops.log(_t(x)) * (1.0 / 2.302585092994046)


def sinh(x: Any) -> Tensor:
    e = _ops.exp(_t(x))
    return (e - 1.0 / e) * 0.5


def cosh(x: Any) -> Tensor:
    e = _ops.exp(_t(x))
    return (e + 1.0 / e) * 0.5


def relu6(x: Any) -> Tensor:
    return _ops.clip(_t(x), 0.0, 6.0)


def softsign(x: Any) -> Tensor:
    x = _t(x)
    return x / (1.0 + _ops.abs(x))


def hard_sigmoid(x: Any) -> Tensor:
    return _ops.clip(_t(x) / 6.0 + 0.5, 0.0, 1.0)


def swish(x: Any) -> Tensor:
    x = _t(x)
    return x * _ops.sigmoid(x)


def amax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return _ops.max(_t(x), axis=axis, keepdims=keepdims)


def amin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return _ops.min(_t(x), axis=axis, keepdims=keepdims)


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple:
    """Mean and (population) variance over ``axes``."""
    x = _t(x)
    mean = _ops.mean(x, axis=tuple(axes) if isinstance(axes, list) else axes, keepdims=True)
    var = _ops.mean((x - mean) ** 2, axis=tuple(axes) if isinstance(axes, list) else axes,
                    keepdims=keepdims)
    if not keepdims:
        mean = _ops.mean(x, axis=tuple(axes) if isinstance(axes, list) else axes)
    return mean, var


def ravel(x: Any) -> Tensor:
    return _ops.reshape(_t(x), (-1,))


def hstack(xs: Any) -> Tensor:
    xs = [_t(x) for x in xs]
    return _ops.concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


def vstack(xs: Any) -> Tensor:
    xs = [_t(x) if _t(x).ndim > 1 else _ops.reshape(_t(x), (1, -1)) for x in xs]
    return _ops.concatenate(xs, axis=0)


def unstack(x: Any, num: Any = None, axis: int = 0) -> list:
    x = _t(x)
    return [_ops.take(x, convert_to_tensor(i), axis=axis) for i in range(x.shape[axis])]


def ndim(x: Any) -> int:
    return _t(x).ndim


def size(x: Any) -> int:
    return int(np.prod(_t(x).shape, dtype=np.int64))


def copy(x: Any) -> Tensor:
    return _t(x) * 1.0 if _t(x).data.dtype.kind == "f" else convert_to_tensor(
        backend.to_numpy(_t(x).data).copy())


def count_nonzero(x: Any, axis: Any = None) -> Tensor:
    return convert_to_tensor(np.count_nonzero(backend.to_numpy(_t(x).data), axis=axis))


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_ops, name)
    except AttributeError:
        pass
    import ember

    try:  # creation functions and the rest of ember's namespace (zeros_like, arange, ...)
        return getattr(ember, name)
    except AttributeError:
        raise AttributeError(f"ember.keras.ops has no {name!r} (neither has ember's op "
                             "namespace)") from None
