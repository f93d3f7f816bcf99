"""The one-line op test: same seeded data into ember and PyTorch, compare values and gradients,
and check ember's gradient against central finite differences in float64.

    check_op(lambda x, y: x * y, shapes=[(3, 4), (4,)])

The same lambda serves both frameworks when the API matches; otherwise pass ``torch_fn``.
Tolerances follow tinygrad's and Chainer's: float32 values atol 1e-5 / rtol 1e-4 against
PyTorch, float64 finite differences atol 1e-5 / rtol 1e-4.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import ember as em


def make_inputs(shapes: Sequence[tuple], low: float = -2.0, high: float = 2.0,
                seed: int = 0, positive: bool = False, away_from: float | None = None,
                ) -> list[np.ndarray]:
    """Seeded float64 arrays; ``positive`` draws from [0.5, high]; ``away_from`` keeps values
    at least 0.1 away from a kink (for relu, abs, ...)."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        lo = 0.5 if positive else low
        a = rng.uniform(lo, high, size=shape)
        if away_from is not None:
            close = np.abs(a - away_from) < 0.1
            a[close] += 0.2
        out.append(a)
    return out


def non_contiguous(a: np.ndarray) -> np.ndarray:
    """The same values in a non-contiguous layout (a transposed copy transposed back)."""
    if a.ndim < 2:
        return np.repeat(a, 2)[::2] if a.ndim == 1 else a
    return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)


def check_op(fn: Callable, shapes: Sequence[tuple] | None = None,
             torch_fn: Callable | None = None, inputs: Sequence[np.ndarray] | None = None,
             atol: float = 1e-5, rtol: float = 1e-4, grad_atol: float = 1e-4,
             grad_rtol: float = 1e-3, fd: bool = True, fd_atol: float = 1e-5,
             fd_rtol: float = 1e-4, differentiable: Sequence[int] | None = None,
             **input_kwargs: Any) -> None:
    """Check ``fn`` against PyTorch (float32) and finite differences (float64)."""
    arrays = list(inputs) if inputs is not None else make_inputs(shapes, **input_kwargs)
    grad_idx = list(range(len(arrays))) if differentiable is None else list(differentiable)
    if fd:
        others = {i: a for i, a in enumerate(arrays) if i not in grad_idx}

        def partial(*xs: em.Tensor) -> em.Tensor:
            it = iter(xs)
            args = [em.tensor(others[i]) if i in others else next(it)
                    for i in range(len(arrays))]
            return fn(*args)

        em.gradcheck(partial, [arrays[i] for i in grad_idx], atol=fd_atol, rtol=fd_rtol)
    torch = pytest.importorskip("torch")
    _compare_torch(fn, torch_fn or fn, arrays, grad_idx, torch, atol, rtol, grad_atol, grad_rtol)


def _compare_torch(fn: Callable, torch_fn: Callable, arrays: list[np.ndarray],
                   grad_idx: list[int], torch: Any, atol: float, rtol: float,
                   grad_atol: float, grad_rtol: float) -> None:
    xs = [em.tensor(a.astype(np.float32), requires_grad=i in grad_idx)
          for i, a in enumerate(arrays)]
    ts = [torch.tensor(a.astype(np.float32), requires_grad=i in grad_idx)
          for i, a in enumerate(arrays)]
    out = fn(*xs)
    tout = torch_fn(*ts)
    assert out.dtype == np.float32, f"ember returned {out.dtype} for float32 inputs"
    assert tuple(out.shape) == tuple(tout.shape), f"shape {out.shape} vs torch {tout.shape}"
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=atol, rtol=rtol,
                               err_msg="forward differs from PyTorch")
    if not grad_idx or not out.requires_grad:
        return
    w = np.random.default_rng(7).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * em.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for i in grad_idx:
        g = xs[i].grad.numpy() if xs[i].grad is not None else np.zeros(arrays[i].shape)
        tg = ts[i].grad.numpy() if ts[i].grad is not None else np.zeros(arrays[i].shape)
        assert g.shape == tuple(arrays[i].shape), f"grad {i} has shape {g.shape}"
        np.testing.assert_allclose(g, tg, atol=grad_atol, rtol=grad_rtol,
                                   err_msg=f"gradient of input {i} differs from PyTorch")
