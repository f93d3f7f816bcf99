"""Making tensors: from data, filled with constants, ranges and random values.

Floating-point results use the default float type (``em.floatx()``, float32) unless ``dtype``
says otherwise; random draws come from the generator seeded by ``em.utils.set_random_seed``.
With ``device=None`` a tensor goes to the ``em.device`` scope's device (the CPU outside any).
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.devices import scoped_device


def _device(device: Any) -> Any:
    """``device``, or the ``em.device`` scope's when it is None (None outside every scope)."""
    return device if device is not None else scoped_device()


def _shape(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(n) for n in shape)


def _finish(data: Any, requires_grad: bool) -> Tensor:
    t = wrap_array(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           device: str | None = None) -> Tensor:
    """A tensor from a number, a (nested) list or an array; NumPy arrays are not copied.

    Example:
        >>> import ember as em
        >>> em.tensor([[1, 2], [3, 4]]).shape
        (2, 2)
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=_device(device))


def from_numpy(array: Any) -> Tensor:
    """A tensor sharing memory with a NumPy array (its dtype kept)."""
    return wrap_array(array)


def _filled(fill: str, shape: tuple, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    xp = backend.module_for(_device(device))
    data = getattr(xp, fill)(_shape(shape), dtype=dtype or backend.floatx())
    return _finish(data, requires_grad)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          device: str | None = None) -> Tensor:
    """A tensor of zeros: ``em.zeros(2, 3)`` or ``em.zeros((2, 3))``."""
    return _filled("zeros", shape, dtype, requires_grad, device)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         device: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _filled("ones", shape, dtype, requires_grad, device)


def empty(*shape: Any, dtype: Any = None, device: str | None = None) -> Tensor:
    """An uninitialized tensor (its values are whatever memory held)."""
    return _filled("empty", shape, dtype, False, device)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: str | None = None) -> Tensor:
    """A tensor filled with ``fill_value``."""
    xp = backend.module_for(_device(device))
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        dtype = backend.floatx() if isinstance(fill_value, float) else None
    return _finish(xp.full(shape, fill_value, dtype=dtype), requires_grad)


def _like(t: Any) -> tuple:
    data = t.data if isinstance(t, Tensor) else t
    return data.shape, data.dtype, backend.device_of(data)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape, dtype and device of ``t``."""
    shape, dt, dev = _like(t)
    return zeros(shape, dtype=dtype or dt, requires_grad=requires_grad, device=dev)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape, dtype and device of ``t``."""
    shape, dt, dev = _like(t)
    return ones(shape, dtype=dtype or dt, requires_grad=requires_grad, device=dev)


def full_like(t: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` with the shape, dtype and device of ``t``."""
    shape, dt, dev = _like(t)
    return full(shape, fill_value, dtype=dtype or dt, device=dev)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           device: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop), as ``numpy.arange`` (floats get floatx)."""
    xp = backend.module_for(_device(device))
    if stop is None:
        start, stop = 0, start
    if dtype is None and any(isinstance(v, float) for v in (start, stop, step)):
        dtype = backend.floatx()
    return wrap_array(xp.arange(start, stop, step, dtype=dtype))


def linspace(start: float, stop: float, num: int = 50, endpoint: bool = True, dtype: Any = None,
             device: str | None = None) -> Tensor:
    """``num`` evenly spaced values from start to stop."""
    xp = backend.module_for(_device(device))
    return wrap_array(xp.linspace(start, stop, num, endpoint=endpoint,
                                  dtype=dtype or backend.floatx()))


def eye(n: int, m: int | None = None, dtype: Any = None, device: str | None = None) -> Tensor:
    """The identity matrix (n x m)."""
    xp = backend.module_for(_device(device))
    return wrap_array(xp.eye(n, m, dtype=dtype or backend.floatx()))


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         device: str | None = None) -> Tensor:
    """Uniform random values in [0, 1)."""
    xp = backend.module_for(_device(device))
    dt = dtype or backend.floatx()
    data = backend.rng(xp).random(_shape(shape), dtype=_rng_dtype(dt)).astype(dt, copy=False)
    return _finish(data, requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          device: str | None = None) -> Tensor:
    """Standard normal random values."""
    xp = backend.module_for(_device(device))
    dt = dtype or backend.floatx()
    data = backend.rng(xp).standard_normal(_shape(shape), dtype=_rng_dtype(dt))
    return _finish(data.astype(dt, copy=False), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), device: str | None = None
            ) -> Tensor:
    """Random integers in [low, high)."""
    xp = backend.module_for(_device(device))
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    return wrap_array(backend.rng(xp).integers(low, high, size=size))


def _rng_dtype(dtype: Any) -> str:
    name = backend.numpy_module().dtype(dtype).name
    return name if name in ("float32", "float64") else "float32"


def rand_like(t: Any) -> Tensor:
    shape, dt, dev = _like(t)
    return rand(shape, dtype=dt, device=dev)


def randn_like(t: Any) -> Tensor:
    shape, dt, dev = _like(t)
    return randn(shape, dtype=dt, device=dev)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with any DLPack array (PyTorch, JAX, CuPy, NumPy ...).

    Example:
        >>> import ember as em, numpy as np
        >>> em.from_dlpack(np.arange(3)).tolist()
        [0, 1, 2]
    """
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(f"from_dlpack: {type(obj).__name__} does not support DLPack "
                        "(no __dlpack__); use em.tensor(...) instead")
    device = getattr(obj, "__dlpack_device__", lambda: (1, 0))()
    xp = backend.numpy_module() if device[0] in (1, 3) else backend.cupy_module()
    return wrap_array(xp.from_dlpack(obj))


def is_tensor(obj: Any) -> bool:
    """True for an ember Tensor (PyTorch's ``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def manual_seed(seed: int) -> None:
    """Seed every generator ember draws from (PyTorch's name for
    ``em.utils.set_random_seed``)."""
    backend.set_seed(seed)
