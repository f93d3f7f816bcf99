"""``ember.kernels.compiled.loop``: compiles on the first call, once, and still compiles
where numba finds no directory to cache in; the ``@scalar`` helpers a loop calls (and theirs)
compile with it."""

from __future__ import annotations

import numpy as np
import pytest

from ember.kernels import compiled

pytestmark = pytest.mark.skipif(not compiled.AVAILABLE, reason="needs numba (ember[fast])")


def _double(a):  # pragma: no cover - compiled
    for i in range(a.size):
        a[i] *= 2.0


@compiled.scalar
def _square(x):  # pragma: no cover - compiled
    return x * x


@compiled.scalar
def _square_plus_one(x):  # pragma: no cover - compiled
    return _square(x) + 1.0


def _apply(a, out):  # pragma: no cover - compiled
    for i in range(a.size):
        out[i] = _square_plus_one(a[i])


def test_a_loop_compiles_the_helpers_it_calls_and_theirs():
    assert _square_plus_one(3.0) == 10.0  # a plain Python function until a loop compiles
    loop = compiled.loop(_apply)
    a, out = np.arange(4.0), np.empty(4)
    loop(a, out)
    assert out.tolist() == [1.0, 2.0, 5.0, 10.0]
    helper = globals()["_square_plus_one"]
    assert hasattr(helper, "py_func") and helper.py_func(2.0) == 5.0  # now numba's
    assert compiled.loop(_apply)(a, out) is None  # a second loop finds it compiled


def test_a_loop_compiles_on_its_first_call_only():
    loop = compiled.loop(_double)
    assert not loop.is_compiled()
    a = np.arange(3.0)
    loop(a)
    loop(a)
    assert loop.is_compiled() and a.tolist() == [0.0, 4.0, 8.0]


def test_without_a_cache_directory_the_loop_still_compiles(monkeypatch):
    import numba

    real = numba.njit

    def njit(*args, cache=False, **kwargs):
        if cache:
            raise RuntimeError("cannot cache function '_double': no locator available")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", njit)
    loop = compiled.loop(_double)
    a = np.ones(2)
    loop(a)
    assert a.tolist() == [2.0, 2.0]
