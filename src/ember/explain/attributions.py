"""Gradient attributions: saliency, gradient x input, Integrated Gradients, SmoothGrad.

Each takes a model, a NumPy batch ``x`` and the explained ``target`` (a class index, one per
sample, or a function of the output) and returns a NumPy array of ``x``'s shape. The numbers are
Captum's (``captum.attr``) on the same network: the test suite ports ember models to PyTorch and
compares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ember.explain import _core

IG_METHODS = ("riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle",
              "gausslegendre")


def saliency(model: Any, x: Any, target: Any = None, abs: bool = True) -> np.ndarray:
    """The gradient of the explained score with respect to the input (Simonyan et al., 2014):
    ``|d f_target(x) / d x|`` (signed with ``abs=False``), as Captum's ``Saliency``.

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(3)]); x = np.ones((2, 4), "float32")
        >>> em.explain.saliency(model, x, target=1).shape
        (2, 4)
    """
    xb = _core.as_batch(model, x, "saliency")
    t = _core.check_target(target, len(xb), _core.n_outputs(model, xb), "saliency")
    g = _core.input_gradients(model, xb, t, "saliency")
    return np.abs(g) if abs else g


def gradient_x_input(model: Any, x: Any, target: Any = None) -> np.ndarray:
    """``x * d f_target(x) / d x`` (Shrikumar et al., 2016), as Captum's ``InputXGradient``.

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(1, use_bias=False)])
        >>> x = np.array([[1.0, 2.0]], "float32"); a = em.explain.gradient_x_input(model, x)
        >>> bool(np.allclose(a.sum(), model.predict(x, verbose=0).sum()))  # linear: exact
        True
    """
    xb = _core.as_batch(model, x, "gradient_x_input")
    t = _core.check_target(target, len(xb), _core.n_outputs(model, xb), "gradient_x_input")
    return xb * _core.input_gradients(model, xb, t, "gradient_x_input")


def ig_rule(method: str, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The quadrature ``(step_sizes, alphas)`` of Integrated Gradients, exactly as Captum's
    ``approximation_methods`` builds them.

    Note Captum's ``riemann_trapezoid``: the points are ``linspace(0, 1, n)`` but the weights are
    ``1/n`` (halved at the ends), so they sum to ``1 - 1/n``, not 1; the attributions then come
    out ``(n-1)/n`` of the integral (1.6 % short at 64 steps). ember keeps Captum's numbers;
    ``gausslegendre`` (Captum's default) or ``riemann_middle`` integrate without that bias.
    """
    if method not in IG_METHODS:
        raise ValueError(f"integrated_gradients: method must be one of {IG_METHODS}; got "
                         f"{method!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 2:
        raise ValueError(f"integrated_gradients: n_steps must be an integer >= 2; got "
                         f"{n_steps!r}")
    n = int(n_steps)
    if method == "gausslegendre":
        points, weights = np.polynomial.legendre.leggauss(n)
        return 0.5 * weights, 0.5 * (points + 1)
    steps = np.full(n, 1.0 / n)
    if method == "riemann_trapezoid":
        steps[0] /= 2
        steps[-1] /= 2
        # Captum takes torch.linspace in float32 and converts to Python floats
        return steps, np.linspace(0, 1, n, dtype=np.float32).astype(np.float64)
    start, stop = {"riemann_left": (0, 1 - 1 / n), "riemann_right": (1 / n, 1),
                   "riemann_middle": (1 / (2 * n), 1 - 1 / (2 * n))}[method]
    return steps, np.linspace(start, stop, n, dtype=np.float32).astype(np.float64)


def _baselines(baselines: Any, xb: np.ndarray, who: str) -> np.ndarray:
    if baselines is None:
        return np.zeros_like(xb)
    b = np.asarray(baselines, dtype=xb.dtype)
    try:
        return np.ascontiguousarray(np.broadcast_to(b, xb.shape))
    except ValueError:
        raise ValueError(f"{who}: baselines must be a number or broadcast to x's shape "
                         f"{xb.shape}; got shape {b.shape}") from None


def integrated_gradients(model: Any, x: Any, target: Any = None, baselines: Any = None,
                         n_steps: int = 50, method: str = "riemann_trapezoid",
                         return_convergence_delta: bool = False,
                         internal_batch_size: int | None = 1024) -> Any:
    """Integrated Gradients (Sundararajan et al., 2017), as Captum's ``IntegratedGradients``:

        IG_i(x) = (x_i - b_i) * integral_0^1 d f(b + a (x - b)) / d x_i  da

    approximated by ``method`` over ``n_steps`` points. All ``n_steps * N`` scaled inputs run
    through the model in batches of at most ``internal_batch_size`` rows. With
    ``return_convergence_delta=True`` it returns ``(attributions, delta)`` where
    ``delta = sum_i IG_i - (f(x) - f(b))`` per sample (completeness says it should be 0).

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(4, activation="tanh"), em.layers.Dense(2)])
        >>> x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
        >>> a, delta = em.explain.integrated_gradients(model, x, target=0, n_steps=64,
        ...     method="gausslegendre", return_convergence_delta=True)
        >>> a.shape, bool(np.abs(delta).max() < 1e-4)
        ((3, 5), True)
    """
    who = "integrated_gradients"
    xb = _core.as_batch(model, x, who)
    n = len(xb)
    t = _core.check_target(target, n, _core.n_outputs(model, xb), who)
    b = _baselines(baselines, xb, who)
    step_sizes, alphas = ig_rule(method, n_steps)
    diff = xb - b
    rows = int(internal_batch_size) if internal_batch_size else len(alphas) * n
    steps_per_chunk = max(1, rows // n)
    total = np.zeros(xb.shape, dtype=np.float64 if xb.dtype == np.float64 else np.float32)
    per_pass = _core.pass_rows(model, xb)  # the chunk runs in passes of this many rows
    for k in range(0, len(alphas), steps_per_chunk):
        a = alphas[k:k + steps_per_chunk].astype(xb.dtype)
        shape = (len(a),) + (1,) * xb.ndim
        scaled = (b[None] + a.reshape(shape) * diff[None]).reshape((-1,) + xb.shape[1:])
        grads = _core.input_gradients(model, scaled, _core.repeat_target(t, len(a), False), who,
                                      batch_size=per_pass)
        w = step_sizes[k:k + steps_per_chunk].astype(xb.dtype).reshape(shape)
        total += (grads.reshape((len(a),) + xb.shape) * w).sum(axis=0)
    attributions = (total * diff).astype(xb.dtype)
    if not return_convergence_delta:
        return attributions
    ends = _core.scores(model, np.concatenate([xb, b]), _core.repeat_target(t, 2, False), who)
    delta = attributions.reshape(n, -1).sum(axis=1) - (ends[:n] - ends[n:])
    return attributions, delta


_NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


def smoothgrad(method: Callable | str, model: Any, x: Any, /, target: Any = None,
               nt_samples: int = 5, stdevs: float = 1.0, nt_type: str = "smoothgrad",
               noise: Any = None, seed: int | None = None, **method_kwargs: Any) -> Any:
    """A noise tunnel over any attribution method (Smilkov et al., 2017), as Captum's
    ``NoiseTunnel``: the mean of ``method`` over ``nt_samples`` copies of each input with
    Gaussian noise of standard deviation ``stdevs`` added (in the input's units, not a fraction
    of its range — Captum's convention). ``nt_type="smoothgrad_sq"`` averages the squared
    attributions, ``"vargrad"`` returns their variance.

    ``noise`` fixes the draw: an array of shape ``(N, nt_samples, *x.shape[1:])`` (sample ``i``'s
    ``s``-th noise at ``noise[i, s]``; Captum's draw of shape ``(N * nt_samples, ...)`` reshapes
    to it); otherwise it is drawn from ``numpy.random.default_rng(seed)``. The remaining
    keyword arguments go to ``method`` (e.g. ``n_steps``, and even ``method=`` of Integrated
    Gradients: the first three parameters are positional-only).

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Dense(3, activation="relu"), em.layers.Dense(2)])
        >>> x = np.ones((2, 4), "float32")
        >>> em.explain.smoothgrad("saliency", model, x, target=0, stdevs=0.1, seed=0).shape
        (2, 4)
    """
    who = "smoothgrad"
    fn = _method(method)
    if nt_type not in _NT_TYPES:
        raise ValueError(f"{who}: nt_type must be one of {_NT_TYPES}; got {nt_type!r}")
    if isinstance(nt_samples, bool) or not isinstance(nt_samples, (int, np.integer)) \
            or nt_samples < 1:
        raise ValueError(f"{who}: nt_samples must be a positive integer; got {nt_samples!r}")
    xb = _core.as_batch(model, x, who)
    n, s = len(xb), int(nt_samples)
    if noise is None:
        rng = np.random.default_rng(seed)
        noise = rng.normal(0.0, float(stdevs), size=(n, s) + xb.shape[1:])
    noise = np.asarray(noise, dtype=xb.dtype)
    if noise.shape != (n, s) + xb.shape[1:]:
        raise ValueError(f"{who}: noise must have shape {(n, s) + xb.shape[1:]} (samples, "
                         f"nt_samples, ...); got {noise.shape}")
    noisy = (xb[:, None] + noise).reshape((n * s,) + xb.shape[1:])
    t = _core.check_target(target, n, None, who)
    kwargs = dict(method_kwargs)
    base = kwargs.get("baselines")
    if base is not None and np.ndim(base) == xb.ndim and np.shape(base)[0] == n:
        kwargs["baselines"] = np.repeat(np.asarray(base, dtype=xb.dtype), s, axis=0)
    out = fn(model, noisy, _core.repeat_target(t, s, True), **kwargs)
    delta = None
    if isinstance(out, tuple):
        out, delta = out
    a = out.reshape((n, s) + xb.shape[1:])
    if nt_type == "smoothgrad":
        result = a.mean(axis=1)
    elif nt_type == "smoothgrad_sq":
        result = (a * a).mean(axis=1)
    else:
        result = (a * a).mean(axis=1) - a.mean(axis=1) ** 2
    result = result.astype(xb.dtype)
    return result if delta is None else (result, delta)


def _method(method: Callable | str) -> Callable:
    if callable(method):
        return method
    from ember import explain

    names = ("saliency", "gradient_x_input", "integrated_gradients", "guided_backprop")
    if method not in names:
        raise ValueError(f"smoothgrad: method must be an attribution function or one of "
                         f"{names}; got {method!r}")
    return getattr(explain, method)
