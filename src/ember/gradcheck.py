"""Check hand-written gradients against central finite differences, in float64.

Use it when writing your own op or layer:

    >>> import ember as em
    >>> em.gradcheck(lambda x: (x.sin() * x).sum(), [em.randn(3, 4)])
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ember import backend
from ember.autograd.engine import grad as _grad
from ember.autograd.mode import enable_grad, no_grad
from ember.autograd.tensor import Tensor, wrap_array


class GradcheckError(AssertionError):
    """Raised when analytic and numerical gradients disagree."""


def _float64_inputs(inputs: Sequence[Any]) -> list[Tensor]:
    out = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else Tensor(x).data
        out.append(wrap_array(data.astype("float64")))
    return out


def _scalarize(f: Callable, xs: list[Tensor], weights: list | None) -> tuple[Tensor, list]:
    """sum(f(xs) * w) with fixed random weights w: one scalar probes the whole Jacobian."""
    out = f(*xs)
    outs = out if isinstance(out, (tuple, list)) else [out]
    if weights is None:
        rng = backend.numpy_module().random.default_rng(1234)
        weights = [rng.standard_normal(o.shape) for o in outs]
    total = None
    for o, w in zip(outs, weights):
        xp = backend.xp_of(o.data)
        term = (o.astype("float64") * wrap_array(xp.asarray(w))).sum()
        total = term if total is None else total + term
    return total, weights


def gradcheck(f: Callable, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, raise_exception: bool = True) -> bool:
    """Compare the autodiff gradient of ``f`` at ``inputs`` with central differences.

    ``f`` takes the inputs as tensors and returns a tensor (or a tuple of tensors). The inputs
    are copied to float64; every element of every floating-point input is perturbed by
    +/- ``eps``. Returns True, or raises ``GradcheckError`` naming the input and element with
    the worst disagreement (returns False instead with ``raise_exception=False``).
    """
    xs = _float64_inputs(inputs)
    for x in xs:
        x.requires_grad = True
    with enable_grad():
        loss, weights = _scalarize(f, xs, None)
        analytic = _grad(loss, xs, allow_unused=True) if loss.requires_grad else [None] * len(xs)
    for i, x in enumerate(xs):
        a = backend.to_numpy(analytic[i].data) if analytic[i] is not None else 0 * x.numpy()
        numeric = _numeric_grad(f, xs, i, weights, eps)
        np = backend.numpy_module()
        bad = ~np.isclose(a, numeric, atol=atol, rtol=rtol)
        if bad.any():
            j = np.unravel_index(np.argmax(np.abs(a - numeric) * bad), a.shape) if a.ndim else ()
            msg = (f"gradcheck: input {i} (shape {x.shape}): analytic {a[j]:.8g} vs numerical "
                   f"{numeric[j]:.8g} at index {tuple(int(k) for k in j)}; "
                   f"{int(bad.sum())} of {a.size} elements differ (atol={atol}, rtol={rtol})")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def _numeric_grad(f: Callable, xs: list[Tensor], i: int, weights: list, eps: float) -> Any:
    x = xs[i]
    np = backend.numpy_module()
    out = np.zeros(x.shape)
    with no_grad():
        for k in np.ndindex(*x.shape):  # indexing (not a flat view) keeps any memory layout
            orig = x.data[k].item()
            x.data[k] = orig + eps
            plus = _scalarize(f, xs, weights)[0].item()
            x.data[k] = orig - eps
            minus = _scalarize(f, xs, weights)[0].item()
            x.data[k] = orig
            out[k] = (plus - minus) / (2 * eps)
    return out


def gradgradcheck(f: Callable, inputs: Sequence[Any], **kwargs: Any) -> bool:
    """Check second derivatives: gradcheck of x -> d(sum(f(x) * w))/dx (create_graph)."""
    xs = _float64_inputs(inputs)
    rng = backend.numpy_module().random.default_rng(4321)
    with enable_grad():
        probe = f(*[wrap_array(x.data) for x in xs])
    w = rng.standard_normal(probe.shape)

    def first_grads(*args: Tensor) -> tuple:
        tracked = []
        for a in args:
            if not a.requires_grad:
                a = wrap_array(a.data)
                a.requires_grad = True
            tracked.append(a)
        with enable_grad():
            out = (f(*tracked) * wrap_array(w)).sum()
            gs = _grad(out, tracked, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else t * 0 for g, t in zip(gs, tracked))

    return gradcheck(first_grads, xs, **kwargs)
