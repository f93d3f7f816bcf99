"""A stand-in GPU for the device tests (see ``test_devices``' docstring).

``FakeGpuArray`` is a NumPy array whose type ember's backend files under "cuda" (its module
name starts with "cupy"); ``FakeCupy`` is a module whose functions are NumPy's with the results
viewed as FakeGpuArray. As CuPy does, its ufuncs refuse host (NumPy) arrays.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np


class FakeGpuArray(np.ndarray):
    """A NumPy array that ember's backend files under "cuda" (see the module docstring)."""

    def get(self) -> np.ndarray:  # CuPy's device -> host copy
        return np.array(self.view(np.ndarray), copy=True)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        for x in inputs + (out or ()):
            if isinstance(x, np.ndarray) and not isinstance(x, FakeGpuArray):
                raise TypeError(f"fake GPU: {ufunc.__name__} was given a host (NumPy) array")
        args = [x.view(np.ndarray) if isinstance(x, FakeGpuArray) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) for o in out)
        result = getattr(ufunc, method)(*args, **kwargs)
        return (out[0] if len(out) == 1 else out) if out is not None else _on_fake(result)


FakeGpuArray.__module__ = "cupy_fake"  # what backend.device_of looks at


def _on_fake(x):
    if type(x) is np.ndarray or isinstance(x, np.generic):  # CuPy reductions give 0-d arrays
        return np.asarray(x).view(FakeGpuArray)
    return tuple(_on_fake(v) for v in x) if isinstance(x, tuple) else x


class _FakeNamespace:
    """NumPy's functions (and submodules) with array results on the fake device."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if isinstance(attr, types.ModuleType):
            return _FakeNamespace(attr)
        if not callable(attr) or isinstance(attr, (type, np.ufunc)):
            return attr
        return lambda *a, **k: _on_fake(attr(*a, **k))


class FakeCupy(_FakeNamespace):
    __name__ = "cupy_fake"

    def __init__(self) -> None:
        super().__init__(np)
        runtime = types.SimpleNamespace(
            getDeviceCount=lambda: 1, getDevice=lambda: 0, deviceSynchronize=lambda: None,
            getDeviceProperties=lambda i: {"name": b"Fake GPU"})
        self.cuda = types.SimpleNamespace(runtime=runtime,
                                          Device=lambda i=0: contextlib.nullcontext())
        self.random = types.SimpleNamespace(
            default_rng=lambda seed=None: _FakeNamespace(np.random.default_rng(seed)))

    def asarray(self, a, dtype=None):
        if isinstance(a, FakeGpuArray) and (dtype is None or a.dtype == dtype):
            return a
        host = a.view(np.ndarray) if isinstance(a, np.ndarray) else a
        return np.array(host, dtype=dtype).view(FakeGpuArray)
