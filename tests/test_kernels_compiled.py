"""``ember.kernels.compiled.loop``: compiles on the first call, once, and still compiles
where numba finds no directory to cache in."""

from __future__ import annotations

import numpy as np
import pytest

from ember.kernels import compiled

pytestmark = pytest.mark.skipif(not compiled.AVAILABLE, reason="needs numba (ember[fast])")


def _double(a):  # pragma: no cover - compiled
    for i in range(a.size):
        a[i] *= 2.0


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
