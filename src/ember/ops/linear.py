"""Affine ops recorded as one node each: ``linear`` (x @ kernel + bias) and the
standardize-then-scale-and-shift of batch and layer normalization.

``linear``'s reference backward is written on Tensors; its fast kernel (relu fused, arrays on
a plain backward) is ``ember.kernels.dense_relu``. The normalizations' backward is written once
in operations that NumPy arrays and Tensors share (``@``, ``*``, ``.sum``, ``.mean``,
``.reshape``): on a plain backward it runs on the arrays (fast, no graph); with
``create_graph=True`` it runs on Tensors, so second derivatives work.

Example:
    >>> import ember as em
    >>> from ember.ops.linear import linear
    >>> x = em.ones((2, 3)); w = em.ones((3, 4), requires_grad=True); b = em.zeros(4)
    >>> linear(x, w, b).shape
    (2, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.kernels import registry as kernels
from ember.ops.activation_names import apply, name_of


def _wrap(a: Any) -> Any:
    return a if a is None or isinstance(a, Tensor) else wrap_array(a)


# ------------------------------------------------------------------ linear
def linear(x: Any, kernel: Tensor, bias: Tensor | None = None, relu: bool = False,
           activation: Any = None) -> Tensor:
    """``activation(x @ kernel + bias)`` over the last axis of ``x`` (any rank >= 1).

    ``kernel`` has shape (in, out) as in Keras (PyTorch's Linear stores its transpose).
    ``activation`` is None, a name or a function; one the op knows (relu, however spelled) is
    fused into the product's node by the fast kernel (``ember.kernels.dense_relu``), any other
    is applied to the result. ``relu=True`` is ``activation="relu"``.

    Example:
        >>> import ember as em
        >>> linear(em.tensor([[1.0, -2.0]]), em.eye(2), activation="relu")
        tensor([[1., 0.]])
    """
    x = as_tensor(x)
    xd, kd = x.data, kernel.data
    if kd.ndim != 2:
        raise ValueError(f"linear: the kernel must be 2-D (in, out); got {kernel.shape}")
    if xd.ndim < 1 or xd.shape[-1] != kd.shape[0]:
        raise ValueError(f"linear: inputs of shape {x.shape} do not fit a kernel of shape "
                         f"{kernel.shape} (the last input axis must have {kd.shape[0]} entries)")
    if relu:
        activation = "relu"
    act = name_of(activation)
    fast = kernels.fast("linear")
    if fast is not None:
        out = fast(x, kernel, bias, act == "relu")
        return out if act in ("relu", "linear") else apply(activation, out)
    return apply(activation, _linear(x, kernel, bias))


def _linear(x: Tensor, kernel: Tensor, bias: Tensor | None) -> Tensor:
    """The reference: y = x @ K + b as one node. Backward: dx = g @ K^T, dK = x^T @ g,
    db = g summed over every axis but the last, written on Tensors (so that, with
    ``create_graph=True``, they are recorded and second derivatives work)."""
    n_in, n_out = kernel.shape
    out = x.data.reshape(-1, n_in) @ kernel.data
    if bias is not None:
        out += bias.data

    def backward(g: Tensor) -> tuple:
        g2 = g.reshape((-1, n_out))
        dx = (g2 @ kernel.T).reshape(x.shape) if x.requires_grad else None
        dk = x.reshape((-1, n_in)).T @ g2 if kernel.requires_grad else None
        if bias is None:
            return dx, dk
        return dx, dk, g2.sum(axis=0) if bias.requires_grad else None

    parents = (x, kernel) if bias is None else (x, kernel, bias)
    return record_op(out.reshape(x.shape[:-1] + (n_out,)), parents, backward, "linear",
                (x, kernel))


# ------------------------------------------------------------------ normalization
def _standardize(x: Any, axes: tuple, epsilon: float) -> tuple:
    """(x - mean) / sqrt(var + eps) over ``axes``; works on arrays and on Tensors alike.

    Returns (xhat, 1 / sqrt(var + eps), mean, var), the statistics with kept axes."""
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=axes, keepdims=True)
    inv = (var + epsilon) ** -0.5
    return xc * inv, inv, mean, var


def _normalize(x: Tensor, stat_axes: tuple, param_axes: tuple, gamma: Tensor | None,
               beta: Tensor | None, epsilon: float) -> tuple:
    """One node: standardize over ``stat_axes``, then * gamma + beta (which span
    ``param_axes``). Returns (output Tensor, mean array, biased variance array)."""
    xd = x.data
    pshape = tuple(n if i in param_axes else 1 for i, n in enumerate(xd.shape))
    other_axes = tuple(i for i in range(xd.ndim) if i not in param_axes)
    xhat, inv, mean, var = _standardize(xd, stat_axes, epsilon)
    gd = None if gamma is None else gamma.data.reshape(pshape)
    if gd is not None:
        out = xhat * gd
        if beta is not None:
            out += beta.data.reshape(pshape)
    else:
        out = xhat + beta.data.reshape(pshape) if beta is not None else xhat.copy()
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)

    def backward(g: Tensor) -> tuple:
        if STATE.enabled:  # create_graph: recompute the statistics from x, recorded
            gg, (xh, iv) = g, _standardize(x, stat_axes, epsilon)[:2]
            gam = None if gamma is None else gamma.reshape(pshape)
        else:
            gg, xh, iv, gam = g.data, xhat, inv, gd
        grads = [None]
        if x.requires_grad:
            dxhat = gg * gam if gam is not None else gg
            grads[0] = _wrap(iv * (dxhat - dxhat.mean(axis=stat_axes, keepdims=True)
                                   - xh * (dxhat * xh).mean(axis=stat_axes, keepdims=True)))
        if gamma is not None:
            grads.append(_wrap((gg * xh).sum(axis=other_axes).reshape(gamma.shape))
                         if gamma.requires_grad else None)
        if beta is not None:
            grads.append(_wrap(gg.sum(axis=other_axes).reshape(beta.shape))
                         if beta.requires_grad else None)
        return tuple(grads)

    return record_op(out, parents, backward, "normalize", (x,)), mean, var


def _axes_tuple(axis: int | Sequence[int], ndim: int, fn: str) -> tuple:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{fn}: axis {a} is out of range for an input with {ndim} axes")
    return tuple(sorted(a % ndim for a in axes))


def batch_norm(x: Any, gamma: Tensor | None = None, beta: Tensor | None = None,
               axis: int = -1, epsilon: float = 1e-3) -> Tensor:
    """Normalize each feature (``axis``) by the batch mean and biased variance of the other
    axes, then scale by ``gamma`` and shift by ``beta`` (shape (features,)); one node."""
    x = as_tensor(x)
    keep = _axes_tuple(axis, x.ndim, "batch_norm")
    stats = tuple(i for i in range(x.ndim) if i not in keep)
    return _normalize(x, stats, keep, gamma, beta, epsilon)[0]


def layer_norm(x: Any, gamma: Tensor | None = None, beta: Tensor | None = None,
               axis: int | Sequence[int] = -1, epsilon: float = 1e-3) -> Tensor:
    """Normalize each sample over ``axis`` (an axis or several), then * gamma + beta (shaped
    like those axes); one node.

    Example:
        >>> import ember as em
        >>> from ember.ops.linear import layer_norm
        >>> y = layer_norm(em.tensor([[1.0, 2.0, 3.0]]), epsilon=0.0)
        >>> [round(v, 4) for v in y.tolist()[0]]
        [-1.2247, 0.0, 1.2247]
    """
    x = as_tensor(x)
    axes = _axes_tuple(axis, x.ndim, "layer_norm")
    return _normalize(x, axes, axes, gamma, beta, epsilon)[0]
