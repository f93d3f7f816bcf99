"""The one-line op test: same seeded data into ember and PyTorch, compare values and gradients,
and check ember's gradient against central finite differences in float64.

    check_op(lambda x, y: x * y, shapes=[(3, 4), (4,)])

The same lambda serves both frameworks when the API matches; otherwise pass ``torch_fn``.
Inside an ``em.device("cuda")`` scope (the "cuda" variant that tests/conftest.py adds to the op
and layer tests) ember's inputs live on the GPU, its outputs and gradients must stay there, and
they are compared with PyTorch on the CPU; the finite differences, which check the same
device-independent gradient rule, run only in the CPU variant.
Tolerances follow tinygrad's and Chainer's: float32 values atol 1e-5 / rtol 1e-4 against
PyTorch, float64 finite differences atol 1e-5 / rtol 1e-4.

Inputs that are not floating point (integer labels or indices, boolean masks) are passed to both
frameworks unchanged and never differentiated. ``noncontig=True`` hands ember its float inputs
in a non-contiguous memory layout. ``fn`` may return a tensor or a tuple/list of tensors.
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
    """The same values in a non-contiguous layout (every other element of a doubled array)."""
    if a.ndim == 0:
        return a
    view = np.repeat(a, 2, axis=-1)[..., ::2]
    assert view.size <= 1 or a.shape[-1] <= 1 or not view.flags.c_contiguous
    return view


def _is_float(a: np.ndarray) -> bool:
    return np.asarray(a).dtype.kind == "f"


def check_op(fn: Callable, shapes: Sequence[tuple] | None = None,
             torch_fn: Callable | None = None, inputs: Sequence[np.ndarray] | None = None,
             atol: float = 1e-5, rtol: float = 1e-4, grad_atol: float = 1e-4,
             grad_rtol: float = 1e-3, fd: bool = True, fd_atol: float = 1e-5,
             fd_rtol: float = 1e-4, differentiable: Sequence[int] | None = None,
             noncontig: bool = False, **input_kwargs: Any) -> None:
    """Check ``fn`` against PyTorch (float32) and finite differences (float64)."""
    arrays = list(inputs) if inputs is not None else make_inputs(shapes, **input_kwargs)
    arrays = [np.asarray(a) for a in arrays]
    floats = [i for i, a in enumerate(arrays) if _is_float(a)]
    grad_idx = floats if differentiable is None else list(differentiable)
    device = em.devices.default_device()
    if fd and grad_idx and device == "cpu":
        _check_fd(fn, arrays, grad_idx, noncontig, fd_atol, fd_rtol)
    torch = pytest.importorskip("torch")
    _compare_torch(fn, torch_fn or fn, arrays, grad_idx, torch, atol, rtol, grad_atol,
                   grad_rtol, noncontig, device)


def _on_device(a: np.ndarray, device: str, noncontig: bool) -> Any:
    """``a`` on ``device``; a non-contiguous layout is made there (a copy would be compact)."""
    if device == "cpu":
        return non_contiguous(a) if noncontig else a
    if not noncontig or a.ndim == 0:
        return em.backend.to_device(a, device)
    return em.backend.to_device(np.repeat(a, 2, axis=-1), device)[..., ::2]


def _check_fd(fn: Callable, arrays: list[np.ndarray], grad_idx: list[int], noncontig: bool,
              atol: float, rtol: float) -> None:
    others = {i: a for i, a in enumerate(arrays) if i not in grad_idx}

    def partial(*xs: em.Tensor) -> Any:
        it = iter(xs)
        args = [em.tensor(others[i]) if i in others else next(it) for i in range(len(arrays))]
        if noncontig:
            args = [em.tensor(non_contiguous(a.data)) if i in others else a
                    for i, a in enumerate(args)]
        return fn(*args)

    em.gradcheck(partial, [arrays[i] for i in grad_idx], atol=atol, rtol=rtol)


def _outputs(out: Any) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _compare_torch(fn: Callable, torch_fn: Callable, arrays: list[np.ndarray],
                   grad_idx: list[int], torch: Any, atol: float, rtol: float,
                   grad_atol: float, grad_rtol: float, noncontig: bool,
                   device: str = "cpu") -> None:
    xs, ts = [], []
    for i, a in enumerate(arrays):
        a32 = a.astype(np.float32) if _is_float(a) else a
        ember_data = _on_device(a32, device, noncontig)
        xs.append(em.tensor(ember_data, requires_grad=i in grad_idx, device=device))
        ts.append(torch.tensor(a32, requires_grad=i in grad_idx))
    outs, touts = _outputs(fn(*xs)), _outputs(torch_fn(*ts))
    assert len(outs) == len(touts), f"{len(outs)} outputs vs torch {len(touts)}"
    for out, tout in zip(outs, touts):
        assert tuple(out.shape) == tuple(tout.shape), f"shape {out.shape} vs torch {tout.shape}"
        assert out.device == device, f"the output is on {out.device}, its inputs on {device}"
        if tout.dtype.is_floating_point:
            assert out.dtype == np.float32, f"ember returned {out.dtype} for float32 inputs"
        else:
            assert out.dtype.kind == np.dtype(str(tout.dtype).split(".")[-1]).kind, \
                f"ember returned {out.dtype}; torch {tout.dtype}"
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg="forward differs from PyTorch")
    pairs = [(o, t) for o, t in zip(outs, touts) if t.requires_grad]
    assert [o.requires_grad for o in outs] == [t.requires_grad for t in touts], \
        "requires_grad of the outputs differs from PyTorch"
    if not grad_idx or not pairs:
        return
    rng = np.random.default_rng(7)
    total, ttotal = None, None
    for out, tout in pairs:
        w = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        term, tterm = (out * em.tensor(w, device=device)).sum(), (tout * torch.tensor(w)).sum()
        total = term if total is None else total + term
        ttotal = tterm if ttotal is None else ttotal + tterm
    total.backward()
    ttotal.backward()
    for i in grad_idx:
        g = xs[i].grad.numpy() if xs[i].grad is not None else np.zeros(arrays[i].shape)
        tg = ts[i].grad.numpy() if ts[i].grad is not None else np.zeros(arrays[i].shape)
        assert xs[i].grad is None or xs[i].grad.device == device, f"grad {i} left {device}"
        assert g.shape == tuple(arrays[i].shape), f"grad {i} has shape {g.shape}"
        assert g.dtype == np.float32, f"grad {i} has dtype {g.dtype}"
        np.testing.assert_allclose(g, tg, atol=grad_atol, rtol=grad_rtol,
                                   err_msg=f"gradient of input {i} differs from PyTorch")
