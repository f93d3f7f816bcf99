"""im2col and col2im for channels-last images: a convolution as one large matrix product.

``windows`` is a strided view of every window (no copy); ``patch_matrix`` copies it into the patch
matrix a GEMM takes; ``add_windows`` scatters a product back onto the image (the input
gradient).
"""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of


def windows(a: Any, k: tuple, s: tuple, d: tuple, out_hw: tuple) -> Any:
    """A strided view (N, Ho, Wo, kh, kw, C) of every window of the NHWC array ``a``; no copy."""
    xp = xp_of(a)
    sn, sh, sw, sc = a.strides
    shape = (a.shape[0], out_hw[0], out_hw[1], k[0], k[1], a.shape[3])
    strides = (sn, sh * s[0], sw * s[1], sh * d[0], sw * d[1], sc)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)  # only ever read


def add_windows(dst: Any, a2: Any, w: Any, out_hw: tuple, s: tuple, d: tuple) -> None:
    """col2im of a product: ``dst`` (N, Hp, Wp, C) += every window's ``a2 @ w[i, j].T``.

    ``a2`` is (N*Ho*Wo, F), one row per window; ``w`` is (kh, kw, C, F). A loop over the kh*kw
    kernel offsets, never over pixels: offset (i, j) is one GEMM into a reused buffer (small
    enough to stay in cache) added onto a strided slice of ``dst``. Computing all patch values
    at once, (N*Ho*Wo, kh*kw*C), would make every add read runs of C values out of kh*kw*C
    from a large array: measured 1.5-2x slower for 3x3 kernels, and it allocates kh*kw times
    more memory. Except where all the patch values take no more room than ``a2`` itself
    (``kh*kw*C <= F``: a first layer's input gradient, C = 1 or 3): one GEMM then reads ``a2``
    once instead of kh*kw times as a thin GEMV. Measured on MNIST's Conv2D(32, 3) over 1,024
    images (C = 1, F = 32, one BLAS thread, median of 10): 57 ms -> 37 ms.
    """
    xp = xp_of(a2)
    kh, kw, c, _ = w.shape
    ho, wo = out_hw
    n = dst.shape[0]
    if kh * kw * c <= a2.shape[1]:
        taps = (a2 @ w.reshape(kh * kw * c, -1).T).reshape(n, ho, wo, kh, kw, c)
        for i in range(kh):
            r0 = i * d[0]
            for j in range(kw):
                c0 = j * d[1]
                dst[:, r0:r0 + (ho - 1) * s[0] + 1:s[0], c0:c0 + (wo - 1) * s[1] + 1:s[1]] += \
                    taps[:, :, :, i, j]
        return
    buf = xp.empty((a2.shape[0], c), dtype=dst.dtype)
    for i in range(kh):
        r0 = i * d[0]
        for j in range(kw):
            c0 = j * d[1]
            xp.matmul(a2, w[i, j].T, out=buf)
            dst[:, r0:r0 + (ho - 1) * s[0] + 1:s[0], c0:c0 + (wo - 1) * s[1] + 1:s[1]] += \
                buf.reshape(n, ho, wo, c)


def patch_matrix(xpad: Any, k: tuple, s: tuple, d: tuple, out_hw: tuple) -> Any:
    """The patch matrix (N*Ho*Wo, kh*kw*C): one row per window, columns ordered (kh, kw, C)
    like the reshaped kernel."""
    xp = xp_of(xpad)
    cols = k[0] * k[1] * xpad.shape[3]
    if k == (1, 1) and s == (1, 1) and xpad.flags.c_contiguous:
        return xpad.reshape(-1, cols)  # a 1x1 convolution's patches are the pixels themselves
    return xp.ascontiguousarray(windows(xpad, k, s, d, out_hw)).reshape(-1, cols)
