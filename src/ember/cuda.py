"""``em.cuda``: is a GPU usable, how many, what is it called, and waiting for it.

Everything here answers without raising where CuPy or a GPU is missing (False, 0, a no-op),
except ``get_device_name``, which has nothing to name and says what to install.

Example:
    >>> import ember as em
    >>> em.cuda.is_available() in (True, False)
    True
    >>> em.cuda.device_count() >= 0
    True

On a machine with a GPU::

    if em.cuda.is_available():
        x = em.randn(1024, 1024, device="cuda")
        y = x @ x
        em.cuda.synchronize()   # GPU work is asynchronous: wait before reading a clock
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.devices import Device, require_cuda


def _cupy_or_none() -> Any:
    """CuPy when it imports and sees a GPU, else None (never raises)."""
    try:
        return backend.cupy_module()
    except RuntimeError:
        return None


def is_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    return backend.cuda_available()


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or without a GPU)."""
    cupy = _cupy_or_none()
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # pragma: no cover - a driver error reads as "no GPU"
        return 0


def current_device() -> int:
    """The index of the GPU new CUDA arrays go to (raises where CUDA is unavailable)."""
    require_cuda("em.cuda.current_device")
    return int(backend.cupy_module().cuda.runtime.getDevice())


def get_device_name(device: Any = None) -> str:
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3' (``device``: an index, 'cuda:N' or None
    for the current GPU); raises a clear error where CUDA is unavailable."""
    require_cuda("em.cuda.get_device_name")
    cupy = backend.cupy_module()
    index = _index(device, cupy)
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device: Any = None) -> None:
    """Wait until the GPU has finished all queued work (a no-op without CuPy or a GPU).

    CUDA kernels run asynchronously: time GPU code with ``synchronize()`` before reading the
    clock, or the clock measures only the launches.
    """
    cupy = _cupy_or_none()
    if cupy is None:
        return
    with cupy.cuda.Device(_index(device, cupy)):
        cupy.cuda.runtime.deviceSynchronize()


def empty_cache() -> None:
    """Give CuPy's cached, unused GPU memory back to the driver (a no-op without CuPy)."""
    cupy = _cupy_or_none()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()


def _index(device: Any, cupy: Any) -> int:
    if device is None:
        return int(cupy.cuda.runtime.getDevice())
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = Device(device)
    if d.type != "cuda":
        raise ValueError(f"em.cuda: expected a GPU index or 'cuda:N'; got {device!r}")
    return int(cupy.cuda.runtime.getDevice()) if d.index is None else d.index


__all__ = ["current_device", "device_count", "empty_cache", "get_device_name", "is_available",
           "synchronize"]
