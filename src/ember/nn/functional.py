"""``torch.nn.functional``'s names and arguments over ember's ops (``import ... as F``).

Images and sequences are channels-last, as everywhere in ember: (N, H, W, C) for conv2d and
the pools, (N, L, C) for conv1d, the class axis last for cross_entropy. Weights follow
PyTorch's layouts, so weights made for PyTorch work: ``linear``'s weight is (out, in),
``conv2d``'s (C_out, C_in, kh, kw), ``conv1d``'s (C_out, C_in, k). An ember layer's kernel
is Keras-shaped: pass ``dense.kernel.T`` or ``conv.kernel.permute(3, 2, 0, 1)``.

Example:
    >>> import ember as em
    >>> import ember.nn.functional as F
    >>> x = em.randn(4, 3)
    >>> F.linear(x, em.ones(2, 3), em.zeros(2)).shape
    (4, 2)
    >>> F.one_hot(em.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
"""

from __future__ import annotations

import math
from typing import Any

from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor, as_tensor
from ember.backend import xp_of
from ember.nn._losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ember.ops import activation_ops as _act
from ember.ops import conv as _conv
from ember.ops import elementwise as _ew
from ember.ops import linear as _lin
from ember.ops import nn as _nn
from ember.ops import pool as _pool
from ember.ops import shape as _sh
from ember.ops.activation_names import known_as


# ------------------------------------------------------------------ activations
def relu(input: Any, inplace: bool = False) -> Tensor:
    return _act.relu(input)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    return _ew.clip(input, 0.0, 6.0)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """PyTorch's default slope 0.01 (Keras' is 0.2)."""
    return _act.leaky_relu(input, negative_slope)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _act.elu(input, alpha)


def selu(input: Any, inplace: bool = False) -> Tensor:
    return _act.selu(input)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """Exact (``"none"``) or ``"tanh"``-approximated GELU."""
    return _act.gelu(input, approximate)


def silu(input: Any, inplace: bool = False) -> Tensor:
    return _act.silu(input)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta (linear above ``threshold``, as PyTorch)."""
    x = as_tensor(input)
    if beta == 1.0:
        soft = _act.softplus(x)
    else:
        soft = _act.softplus(x * beta) / beta
    return _ew.where(x.data * beta > threshold, x, soft)


def sigmoid(input: Any) -> Tensor:
    return _ew.sigmoid(input)


def tanh(input: Any) -> Tensor:
    return _ew.tanh(input)


def softmax(input: Any, dim: int = -1) -> Tensor:
    return _nn.softmax(input, dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    return _nn.log_softmax(input, dim)


# ------------------------------------------------------------------ linear, dropout, embedding
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """input @ weight.T + bias, with PyTorch's (out_features, in_features) weight."""
    w = as_tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features); got "
                         f"{w.shape}")
    x = as_tensor(input)
    if x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input has {x.shape[-1]} features, the weight of shape "
                         f"{w.shape} expects {w.shape[1]}")
    return _lin.linear(x, _sh.transpose(w), None if bias is None else as_tensor(bias))


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Tensor:
    """out[n, o] = x1[n] @ weight[o] @ x2[n] + bias[o] (weight (out, in1, in2))."""
    from ember.ops.linalg import einsum

    out = einsum("ni,oij,nj->no", as_tensor(input1), as_tensor(weight), as_tensor(input2))
    return out if bias is None else out + bias


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p) while
    ``training`` (True by default, as PyTorch's functional form)."""
    if p == 1.0 and training:
        return as_tensor(input) * 0.0
    return _nn.dropout(input, p, training)


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input`` indices; with
    ``padding_idx`` that row gets no gradient, as in PyTorch."""
    w = as_tensor(weight)
    idx = input.data if isinstance(input, Tensor) else xp_of(w.data).asarray(input)
    rows = _sh.take(w, idx, axis=0)
    if padding_idx is None:
        return rows
    return _ew.where((idx != padding_idx)[..., None], rows, rows.detach())


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows (PyTorch's dtype); ``num_classes=-1`` takes max + 1."""
    t = as_tensor(tensor)
    if num_classes == -1:
        num_classes = int(t.data.max()) + 1 if t.data.size else 0
    return _sh.one_hot(t, num_classes, dtype="int64")


def pad(input: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding with PyTorch's ``pad`` order: pairs from the LAST axis backwards,
    ``(left, right)`` for the last, then ``(top, bottom)`` for the one before."""
    x = as_tensor(input)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: needs (before, after) pairs for at most {x.ndim} axes; got "
                         f"{pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(b < 0 or a < 0 for b, a in widths):
        raise ValueError(f"pad: negative padding (cropping) is not supported; got {pad}")
    return _sh.pad(x, widths, mode=mode, constant_values=value)


# ------------------------------------------------------------------ normalization
def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize each channel (last axis): with ``training`` by the batch statistics (and
    running_mean / running_var updated in place with ``momentum``, the variance unbiased,
    as PyTorch), otherwise by the running statistics."""
    x = as_tensor(input)
    if training:
        out = _lin.batch_norm(x, None if weight is None else as_tensor(weight),
                              None if bias is None else as_tensor(bias), -1, eps)
        if running_mean is not None:
            axes = tuple(range(x.ndim - 1))
            n = x.data.size // x.shape[-1]
            with no_grad():
                mean = x.data.mean(axis=axes)
                var = x.data.var(axis=axes) * (n / max(n - 1, 1))
                running_mean.mul_(1 - momentum).add_(Tensor(mean * momentum))
                running_var.mul_(1 - momentum).add_(Tensor(var * momentum))
        return out
    out = (x - running_mean) / _ew.sqrt(as_tensor(running_var) + eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` axes, then * weight + bias."""
    x = as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: the input's trailing shape {x.shape} does not end with "
                         f"normalized_shape {shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return _lin.layer_norm(x, None if weight is None else as_tensor(weight),
                           None if bias is None else as_tensor(bias), axes, eps)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p over ``dim``, eps)."""
    from ember.ops.linalg import norm

    x = as_tensor(input)
    n = norm(x, ord=p, axis=dim, keepdims=True)
    return x / _ew.maximum(n, eps)


# ------------------------------------------------------------------ convolution and pooling
def _torch_padding(padding: Any, rank: int) -> Any:
    if isinstance(padding, str):
        return padding
    if isinstance(padding, int):
        return padding if rank == 2 else (padding, padding)
    return tuple(padding) if rank == 2 else (padding[0], padding[0])


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution of (N, H, W, C_in) images with a PyTorch (C_out, C_in, kh, kw) weight;
    ``padding`` an int, (ph, pw), "valid" or "same". Returns (N, H', W', C_out)."""
    if groups != 1:
        raise ValueError(f"conv2d: groups={groups} is not supported (only groups=1)")
    w = as_tensor(weight)
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be (C_out, C_in, kh, kw); got {w.shape}")
    return _conv.conv2d(input, _sh.transpose(w, (2, 3, 1, 0)), bias, stride,
                        _torch_padding(padding, 2), dilation)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: int = 1, padding: Any = 0,
           dilation: int = 1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, L, C_in) sequences with a PyTorch (C_out, C_in, k) weight."""
    if groups != 1:
        raise ValueError(f"conv1d: groups={groups} is not supported (only groups=1)")
    w = as_tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"conv1d: weight must be (C_out, C_in, k); got {w.shape}")
    if isinstance(padding, (tuple, list)):
        padding = padding[0]
    pad_arg = padding if isinstance(padding, str) else (padding, padding)
    return _conv.conv1d(input, _sh.transpose(w, (2, 1, 0)), bias, stride, pad_arg, dilation)


def _pool_padded(x: Tensor, padding: Any, fill: float) -> Tensor:
    ph, pw = (padding, padding) if isinstance(padding, int) else tuple(padding)
    if ph or pw:
        x = _sh.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=fill)
    return x


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: int = 1, ceil_mode: bool = False) -> Tensor:
    """Max over each window of (N, H, W, C) images; ``stride`` defaults to the window."""
    if dilation != 1 or ceil_mode:
        raise ValueError("max_pool2d: dilation and ceil_mode are not supported")
    x = _pool_padded(as_tensor(input), padding, -math.inf)
    return _pool.max_pool2d(x, kernel_size, stride, "valid")


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over each window of (N, H, W, C) images (zero padding counted, as PyTorch)."""
    if ceil_mode or (padding and not count_include_pad):
        raise ValueError("avg_pool2d: ceil_mode and count_include_pad=False are not supported")
    x = _pool_padded(as_tensor(input), padding, 0.0)
    return _pool.avg_pool2d(x, kernel_size, stride, "valid")


def max_pool1d(input: Any, kernel_size: int, stride: Any = None, padding: int = 0) -> Tensor:
    """Max over each window of (N, L, C) sequences."""
    x = as_tensor(input)
    if padding:
        x = _sh.pad(x, ((0, 0), (padding, padding), (0, 0)), constant_values=-math.inf)
    return _pool.max_pool1d(x, kernel_size, stride, "valid")


def avg_pool1d(input: Any, kernel_size: int, stride: Any = None, padding: int = 0) -> Tensor:
    """Mean over each window of (N, L, C) sequences."""
    x = as_tensor(input)
    if padding:
        x = _sh.pad(x, ((0, 0), (padding, padding), (0, 0)))
    return _pool.avg_pool1d(x, kernel_size, stride, "valid")


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Only ``output_size=1`` (global average pooling): (N, 1, 1, C)."""
    if output_size not in (1, (1, 1), [1, 1]):
        raise ValueError(f"adaptive_avg_pool2d: only output_size=1 is supported; got "
                         f"{output_size!r}")
    return as_tensor(input).mean(axis=(1, 2), keepdims=True)


__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "sigmoid",
    "tanh", "softmax", "log_softmax", "linear", "bilinear", "dropout", "embedding", "one_hot",
    "pad", "batch_norm", "layer_norm", "normalize", "conv2d", "conv1d", "max_pool2d",
    "avg_pool2d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool2d", "cross_entropy",
    "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div",
]

# PyTorch's spellings of the activations an op can fuse (see ember.ops.activation_names)
for _name, _fn in (("relu", relu), ("sigmoid", sigmoid), ("tanh", tanh), ("softmax", softmax)):
    known_as(_name, _fn)
