"""The trapezoid and Simpson rules on sampled values, as weights times samples.

Each rule is a weighted sum of the samples whose weights depend only on the spacing, so the
weights are computed once from ``x`` (NumPy) and the integral is one ember ``sum(y * w)``:
differentiable in ``y``. Simpson's rule fits a parabola through each pair of intervals; with
an even number of samples the last interval gets Cartwright's correction, as SciPy >= 1.11.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor
from ember.ops import moveaxis
from ember.ops import sum as _sum


def _prepare(y: Any, x: Any, dx: float, axis: int, who: str) -> tuple[Tensor, np.ndarray]:
    """y with the integration axis last, and the spacings h (..., N - 1) as float64."""
    t = y if isinstance(y, Tensor) else as_tensor(np.asarray(y, dtype="float64"))
    if t.ndim == 0:
        raise ValueError(f"{who}: y must have at least one axis of samples; got a scalar")
    if not -t.ndim <= axis < t.ndim:
        raise ValueError(f"{who}: axis {axis} is out of range for y of shape {tuple(t.shape)}")
    shape = tuple(t.shape)
    t = moveaxis(t, axis, -1) if axis not in (-1, t.ndim - 1) else t
    n = t.shape[-1]
    if x is None:
        h = np.full(max(n - 1, 0), float(dx))
    else:
        xs = backend.to_numpy(x.data) if isinstance(x, Tensor) else np.asarray(x)
        xs = xs.astype("float64")
        if xs.ndim == 1:
            if xs.shape[0] != n:
                raise ValueError(f"{who}: x has {xs.shape[0]} points but y has {n} along axis "
                                 f"{axis}")
        elif xs.shape == shape:
            xs = np.moveaxis(xs, axis, -1)
        else:
            raise ValueError(f"{who}: x must be 1-D or the shape of y {shape}; got {xs.shape}")
        h = np.diff(xs, axis=-1)
    return t, h


def _apply(t: Tensor, w: np.ndarray) -> Tensor:
    dt = t.data.dtype if t.data.dtype.kind == "f" else np.float64
    xp = backend.xp_of(t.data)
    return _sum(t * as_tensor(xp.asarray(w.astype(dt))), axis=-1)


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """sum over intervals of (x[i+1] - x[i]) (y[i] + y[i+1]) / 2 (``scipy.integrate.trapezoid``).

    Exact for straight lines; its error shrinks like h^2. ``x``: the sample points (1-D, or
    y's shape); without it the spacing is ``dx``.

    Example:
        >>> import ember as em
        >>> em.integrate.trapezoid(em.tensor([1.0, 2.0, 3.0]), dx=0.5).item()
        2.0
    """
    t, h = _prepare(y, x, dx, axis, "trapezoid")
    n = t.shape[-1]
    w = np.zeros(h.shape[:-1] + (n,))
    if n >= 2:
        w[..., :-1] += h / 2
        w[..., 1:] += h / 2
    return _apply(t, w)


def simpson(y: Any, x: Any = None, *, dx: float = 1.0, axis: int = -1) -> Tensor:
    """Composite Simpson's rule (``scipy.integrate.simpson``: same arguments and results).

    Exact for cubics; error like h^4 for smooth functions, so far fewer samples than the
    trapezoid rule for the same accuracy. Works with unequal spacing.

    Example:
        >>> import ember as em
        >>> round(em.integrate.simpson(em.tensor([0.0, 1.0, 4.0, 9.0, 16.0])).item(), 5)  # x^2
        21.33333
    """
    t, h = _prepare(y, x, dx, axis, "simpson")
    n = t.shape[-1]
    w = np.zeros(h.shape[:-1] + (n,))
    if n == 2:
        w += h / 2
        return _apply(t, w)
    if n < 2:
        return _apply(t, w)
    stop = n - 1 if n % 2 == 1 else n - 2  # points covered by whole parabolas: 0 .. stop
    h0, h1 = h[..., 0:stop:2], h[..., 1:stop:2]
    hsum = h0 + h1
    with np.errstate(divide="ignore", invalid="ignore"):
        c0 = hsum / 6 * np.where(h0 != 0, 2.0 - h1 / h0, 0.0)
        c1 = hsum / 6 * np.where(h0 * h1 != 0, hsum * hsum / (h0 * h1), 0.0)
        c2 = hsum / 6 * np.where(h1 != 0, 2.0 - h0 / h1, 0.0)
    w[..., 0:stop:2] += c0
    w[..., 1:stop + 1:2] += c1
    w[..., 2:stop + 1:2] += c2
    if n % 2 == 0:  # Cartwright's correction for the last interval
        a, b = h[..., -2], h[..., -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(a + b != 0, (2 * b * b + 3 * a * b) / (6 * (a + b)), 0.0)
            beta = np.where(a != 0, (b * b + 3 * a * b) / (6 * a), 0.0)
            eta = np.where(a * (a + b) != 0, b ** 3 / (6 * a * (a + b)), 0.0)
        w[..., -1] += alpha
        w[..., -2] += beta
        w[..., -3] -= eta
    return _apply(t, w)
