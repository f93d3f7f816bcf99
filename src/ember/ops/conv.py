"""Convolutions on channels-last data: ``conv2d`` (N, H, W, C), ``conv1d`` (N, L, C) and
``conv2d_transpose``, each one large matrix product over strided patch views (im2col).

Forward: a strided view of the (padded) input holds every kh x kw patch without copying; one
contiguous copy of it makes the patch matrix P (N*Ho*Wo rows, kh*kw*Cin columns), and
``P @ kernel.reshape(kh*kw*Cin, Cout)`` is the whole convolution. Backward reuses the saved P:
``dkernel = P^T @ g``, ``dbias = sum(g)``, and ``dx`` adds ``g @ kernel[i, j]^T`` onto the input
shifted by each kernel offset (i, j): a loop over the kh*kw offsets only (col2im), never over
pixels. ``dx`` is computed only when the input needs it (not for a network's first layer).

Kernels use Keras' layout (kh, kw, in_channels, out_channels). The backward passes are array
kernels (``fused=True``): exact first derivatives, no double backward. ``_conv`` below is the
reference; by default the measured fast kernel ``ember.kernels.conv_patches`` replaces it
(transposed patches for few channels, the bias in the product, a fused relu).

Example:
    >>> import ember as em
    >>> x = em.ones((1, 5, 5, 1))
    >>> em.ops.conv.conv2d(x, em.ones((3, 3, 1, 2)), padding="same").shape
    (1, 5, 5, 2)
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor, as_tensor, record_op, wrap_array
from ember.backend import xp_of
from ember.kernels import registry as kernels
from ember.ops.activation_names import apply, name_of
from ember.ops.im2col import add_windows, patch_matrix

# --------------------------------------------------------------------------- window helpers
# (shared with ember.ops.pool)

def pair(v: Any, name: str, what: str) -> tuple[int, int]:
    """(a, b) from an int or a pair of positive ints."""
    vals = (v, v) if isinstance(v, int) else tuple(v)
    if len(vals) != 2 or not all(isinstance(a, int) and a >= 1 for a in vals):
        raise ValueError(f"{name}: {what} must be a positive int or a pair of them; got {v!r}")
    return vals


def _same(size: int, k_eff: int, stride: int) -> tuple[int, int]:
    # TensorFlow/Keras: output ceil(size / stride); odd total padding puts the extra at the end.
    total = max((-(-size // stride) - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def pad_amounts(padding: Any, in_hw: tuple, k: tuple, s: tuple, d: tuple,
                name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) for "valid", "same", an int, (ph, pw) or explicit pairs."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            return tuple(_same(n, (kk - 1) * dd + 1, ss)  # type: ignore[return-value]
                         for n, kk, ss, dd in zip(in_hw, k, s, d))
    elif isinstance(padding, int) and padding >= 0:
        return (padding, padding), (padding, padding)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        out = []
        for p in padding:
            if isinstance(p, int):
                p = (p, p)
            if not (isinstance(p, (tuple, list)) and len(p) == 2
                    and all(isinstance(a, int) and a >= 0 for a in p)):
                break
            out.append(tuple(p))
        else:
            return tuple(out)  # type: ignore[return-value]
    raise ValueError(f"{name}: padding must be 'valid', 'same', an int, (pad_h, pad_w) or "
                     f"((top, bottom), (left, right)) of non-negative ints; got {padding!r}")


def out_size(padded: int, k: int, s: int, d: int, name: str, axis: str, x_shape: tuple,
             k_shape: tuple) -> int:
    """Output length along one axis; a clear error when the window does not fit."""
    k_eff = (k - 1) * d + 1
    if k_eff > padded:
        raise ValueError(f"{name}: the window's {axis} {k_eff} (size {k}, dilation {d}) is larger "
                         f"than the padded input's {axis} {padded} (input {x_shape}, window "
                         f"{k_shape}); use padding='same' or a smaller window")
    return (padded - k_eff) // s + 1


# --------------------------------------------------------------------------- convolution


def _float_input(x: Tensor, kernel: Tensor, name: str) -> Any:
    """x's data, in the kernel's float type when x is not floating point (e.g. uint8 images)."""
    if kernel.data.dtype.kind != "f":
        raise TypeError(f"{name}: the kernel must be floating point; got {kernel.data.dtype.name}")
    if x.data.dtype.kind != "f":
        return x.data.astype(kernel.data.dtype)
    if x.data.dtype != kernel.data.dtype:
        raise TypeError(f"{name}: x is {x.data.dtype.name} but the kernel is "
                        f"{kernel.data.dtype.name}; convert one (e.g. x.astype('"
                        f"{kernel.data.dtype.name}'))")
    return x.data


def _padded(xd: Any, pads: tuple) -> Any:
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return xd
    n, h, w, c = xd.shape
    out = xp_of(xd).zeros((n, h + pt + pb, w + pl + pr, c), dtype=xd.dtype)
    out[:, pt:pt + h, pl:pl + w] = xd
    return out


def _cropped(a: Any, pads: tuple, hw: tuple) -> Any:
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr) and a.shape[1:3] == tuple(hw):
        return a
    return xp_of(a).ascontiguousarray(a[:, pt:pt + hw[0], pl:pl + hw[1]])


def _conv(x: Tensor, kernel: Tensor, bias: Tensor | None, xd: Any, wd: Any, strides: tuple,
          pads: tuple, dilation: tuple, name: str) -> Tensor:
    """The reference convolution, on data in 4-D form (xd: NHWC, wd: (kh, kw, Cin, Cout)):
    ``O = P @ K + b`` with P the patch matrix and K the kernel as a (kh*kw*Cin, Cout) matrix.
    Gradients come back in ``x``'s and ``kernel``'s own shapes (conv1d passes 3-D tensors).
    The fast kernel (``ember.kernels.conv_patches``) replaces it by default."""
    xp = xp_of(xd)
    n, h, w, c = xd.shape
    kh, kw, _, cout = wd.shape
    xpad = _padded(xd, pads)
    hp, wp = xpad.shape[1:3]
    ho = out_size(hp, kh, strides[0], dilation[0], name, "height", x.shape, kernel.shape)
    wo = out_size(wp, kw, strides[1], dilation[1], name, "width", x.shape, kernel.shape)
    P = patch_matrix(xpad, (kh, kw), strides, dilation, (ho, wo))  # (N*Ho*Wo, kh*kw*Cin)
    out = P @ wd.reshape(-1, cout)
    if bias is not None:
        out += bias.data

    def backward(g: Tensor) -> tuple:
        g2 = g.data.reshape(-1, cout)  # one row per output pixel
        dw = wrap_array((P.T @ g2).reshape(kernel.shape)) if kernel.requires_grad else None
        db = wrap_array(g2.sum(axis=0)) if bias is not None and bias.requires_grad else None
        dx = None
        if x.requires_grad:  # col2im: every pixel's g @ K^T added back onto its window
            dxp = xp.zeros((n, hp, wp, c), dtype=g2.dtype)
            add_windows(dxp, g2, wd, (ho, wo), strides, dilation)
            dx = wrap_array(_cropped(dxp, pads, (h, w)).reshape(x.shape))
        return dx, dw, db

    parents = (x, kernel) if bias is None else (x, kernel, bias)
    out_shape = (n, ho, wo, cout) if x.ndim == 4 else (n, wo, cout)
    return record_op(out.reshape(out_shape), parents, backward, name, (x, kernel), fused=True)


def _run_conv(x: Tensor, kernel: Tensor, bias: Tensor | None, xd: Any, wd: Any,
              strides: tuple, pads: tuple, dilation: tuple, name: str,
              activation: Any) -> Tensor:
    """The fast kernel where it is selected (fusing a relu), else the reference; then the
    activation the kernel did not fuse."""
    act = name_of(activation)
    fast = kernels.fast("conv2d")
    if fast is not None:
        out = fast(x, kernel, bias, xd, wd, strides, pads, dilation, name, act == "relu")
        return out if act in ("relu", "linear") else apply(activation, out)
    return apply(activation, _conv(x, kernel, bias, xd, wd, strides, pads, dilation, name))


def _check(x: Tensor, kernel: Tensor, bias: Any, rank: int, name: str, x_layout: str,
           k_layout: str, in_axis: int = -2) -> Tensor | None:
    """Ranks, channel match (x's last axis vs the kernel's ``in_axis``) and the bias shape."""
    if x.ndim != rank:
        raise ValueError(f"{name}: x must be {rank}-D {x_layout}, channels last; got shape "
                         f"{x.shape}")
    if kernel.ndim != rank:
        raise ValueError(f"{name}: kernel must be {rank}-D {k_layout}; got shape {kernel.shape}")
    if x.shape[-1] != kernel.shape[in_axis]:
        raise ValueError(f"{name}: x {x.shape} has {x.shape[-1]} channels (last axis) but the "
                         f"kernel {kernel.shape}, laid out {k_layout}, expects "
                         f"{kernel.shape[in_axis]}")
    if bias is None:
        return None
    bias = as_tensor(bias)
    n_out = kernel.shape[-1 if in_axis == -2 else -2]
    if bias.shape != (n_out,):
        raise ValueError(f"{name}: bias must have shape ({n_out},), one value per output "
                         f"channel; got {bias.shape}")
    return bias


def conv2d(x: Any, kernel: Any, bias: Any = None, strides: Any = (1, 1),
           padding: Any = "valid", dilation: Any = (1, 1), relu: bool = False,
           activation: Any = None) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras and PyTorch) of channels-last images.

    Args:
        x: (N, H, W, Cin) images.
        kernel: (kh, kw, Cin, Cout) filters (Keras' layout).
        bias: optional (Cout,), added to every output pixel.
        strides: int or (sh, sw).
        padding: "valid" (none), "same" (output size ceil(H / sh); an odd total padding puts
            the extra row/column at the bottom/right, as TensorFlow/Keras), an int p,
            (ph, pw), or ((top, bottom), (left, right)).
        dilation: int or (dh, dw): spacing between kernel taps (Keras' ``dilation_rate``).
        activation: applied to the result: None, a name or a function. One the op knows
            (relu, however spelled) is fused into the convolution's node by the fast kernel.
        relu: the same as ``activation="relu"``.

    Returns:
        (N, Ho, Wo, Cout).

    Example:
        >>> import ember as em
        >>> em.ops.conv.conv2d(em.ones((2, 28, 28, 1)), em.ones((3, 3, 1, 32)), strides=2).shape
        (2, 13, 13, 32)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = _check(x, kernel, bias, 4, "conv2d", "(batch, height, width, channels)",
                  "(kh, kw, in_channels, out_channels)")
    strides = pair(strides, "conv2d", "strides")
    dilation = pair(dilation, "conv2d", "dilation")
    pads = pad_amounts(padding, x.shape[1:3], kernel.shape[:2], strides, dilation, "conv2d")
    xd = _float_input(x, kernel, "conv2d")
    return _run_conv(x, kernel, bias, xd, kernel.data, strides, pads, dilation, "conv2d",
                     "relu" if relu else activation)


def conv1d(x: Any, kernel: Any, bias: Any = None, strides: int = 1, padding: Any = "valid",
           dilation: int = 1, relu: bool = False, activation: Any = None) -> Tensor:
    """1-D convolution of channels-last sequences (Keras' ``Conv1D``), through conv2d's code.

    Args:
        x: (N, L, Cin); kernel: (k, Cin, Cout); bias: optional (Cout,).
        padding: "valid", "same", "causal" (left padding only: output t sees inputs up to t),
            an int, or (left, right).
        activation: as conv2d's (a relu is fused); ``relu=True`` is ``activation="relu"``.

    Example:
        >>> import ember as em
        >>> em.ops.conv.conv1d(em.ones((2, 10, 3)), em.ones((3, 3, 4)), padding="causal").shape
        (2, 10, 4)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = _check(x, kernel, bias, 3, "conv1d", "(batch, length, channels)",
                  "(k, in_channels, out_channels)")
    stride = pair((1, *_one(strides)), "conv1d", "strides")[1]
    dil = pair((1, *_one(dilation)), "conv1d", "dilation")[1]
    k = kernel.shape[0]
    if isinstance(padding, str) and padding.lower() == "causal":
        lr = ((k - 1) * dil, 0)
    elif isinstance(padding, str):
        lr = pad_amounts(padding, (1, x.shape[1]), (1, k), (1, stride), (1, dil), "conv1d")[1]
    else:
        lr = pad_amounts((0, padding), (1, 1), (1, 1), (1, 1), (1, 1), "conv1d")[1]
    xd = _float_input(x, kernel, "conv1d")
    x4 = xd.reshape(xd.shape[0], 1, xd.shape[1], xd.shape[2])
    w4 = kernel.data.reshape((1,) + kernel.shape)
    return _run_conv(x, kernel, bias, x4, w4, (1, stride), ((0, 0), lr), (1, dil), "conv1d",
                     "relu" if relu else activation)


def _one(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _transpose_out(size: int, k: int, s: int, d: int, padding: str, out_pad: int | None
                   ) -> tuple[int, int]:
    """Keras' output length of a transposed convolution, and the rows cropped at the start."""
    k_eff = (k - 1) * d + 1
    if out_pad is None:
        length = size * s + max(k_eff - s, 0) if padding == "valid" else size * s
    else:
        length = (size - 1) * s + k_eff - 2 * (k_eff // 2 if padding == "same" else 0) + out_pad
    # The padding of the conv2d this op is the gradient of (TensorFlow computes it the same way).
    start = max((size - 1) * s + k_eff - length, 0) // 2 if padding == "same" else 0
    return length, start


def conv2d_transpose(x: Any, kernel: Any, bias: Any = None, strides: Any = (1, 1),
                     padding: str = "valid", output_padding: Any = None,
                     dilation: Any = (1, 1), activation: Any = None) -> Tensor:
    """Transposed 2-D convolution (Keras' ``Conv2DTranspose``): the input-gradient of conv2d,
    used to upsample. Each input pixel scatters ``x[n, h, w] @ kernel[i, j].T`` to output
    pixel (h * sh + i * dh, w * sw + j * dw), minus the cropped "same" padding.

    Args:
        x: (N, H, W, Cin).
        kernel: (kh, kw, out_channels, in_channels), Keras' layout for this layer.
        padding: "valid" (output (H - 1) * sh + dilated kh, or H * sh if larger) or "same"
            (output H * sh).
        output_padding: None, an int or a pair: Keras' explicit output size adjustment.
        activation: applied to the result (None, a name or a function; not fused).

    Example:
        >>> import ember as em
        >>> em.ops.conv.conv2d_transpose(em.ones((1, 4, 4, 8)), em.ones((3, 3, 2, 8)),
        ...                              strides=2, padding="same").shape
        (1, 8, 8, 2)
    """
    name = "conv2d_transpose"
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = _check(x, kernel, bias, 4, name, "(batch, height, width, channels)",
                  "(kh, kw, out_channels, in_channels)", in_axis=-1)
    s, d = pair(strides, name, "strides"), pair(dilation, name, "dilation")
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{name}: padding must be 'valid' or 'same'; got {padding!r}")
    ops = (None, None)
    if output_padding is not None:
        ops = (output_padding,) * 2 if isinstance(output_padding, int) else tuple(output_padding)
        if len(ops) != 2 or not all(isinstance(p, int) and 0 <= p for p in ops):
            raise ValueError(f"{name}: output_padding must be None, a non-negative int or a "
                             f"pair of them; got {output_padding!r}")
    xd = _float_input(x, kernel, name)
    n, h, w, cin = xd.shape
    kh, kw, cout, _ = kernel.shape
    (ho, top), (wo, left) = (_transpose_out(h, kh, s[0], d[0], mode, ops[0]),
                             _transpose_out(w, kw, s[1], d[1], mode, ops[1]))
    # The "canvas" is the full scatter target; the output is a window of it.
    hc = max((h - 1) * s[0] + (kh - 1) * d[0] + 1, top + ho)
    wc = max((w - 1) * s[1] + (kw - 1) * d[1] + 1, left + wo)
    pads = ((top, hc - top - ho), (left, wc - left - wo))
    xp = xp_of(xd)
    w2 = kernel.data.reshape(-1, cin)  # (kh*kw*Cout, Cin)
    x2 = xd.reshape(-1, cin)
    canvas = xp.zeros((n, hc, wc, cout), dtype=xd.dtype)
    add_windows(canvas, x2, kernel.data, (h, w), s, d)
    out = _cropped(canvas, pads, (ho, wo))
    if bias is not None:
        out += bias.data

    def backward(g: Tensor) -> tuple:
        # The gradient is a plain conv2d of g (patches, one GEMM) with the same kernel.
        gpad = _padded(xp.ascontiguousarray(g.data), pads)
        patches = patch_matrix(gpad, (kh, kw), s, d, (h, w))
        dx = wrap_array((patches @ w2).reshape(x.shape)) if x.requires_grad else None
        dw = wrap_array((patches.T @ x2).reshape(kernel.shape)) if kernel.requires_grad else None
        db = None
        if bias is not None and bias.requires_grad:
            db = wrap_array(g.data.reshape(-1, cout).sum(axis=0))
        return dx, dw, db

    parents = (x, kernel) if bias is None else (x, kernel, bias)
    return apply(activation, record_op(out, parents, backward, name, (x, kernel), fused=True))


__all__ = ["conv1d", "conv2d", "conv2d_transpose"]
