"""A convolution's input gradient (col2im) as one product and one compiled scatter (numba, the
``fast`` extra); ``conv_patches`` uses it where numba is installed and runs ``add_windows``
(``ember.ops.im2col``) otherwise.

``add_windows`` loops over the kh*kw kernel offsets: one thin product per offset (an
(N*Ho*Wo, F) @ (F, C) GEMM) added onto a strided slice of the image, because a NumPy add of
all the patch values at once reads runs of C values out of kh*kw*C and was slower. A compiled
loop adds those runs at full speed, so here the patch values come from ONE product, (N*Ho*Wo,
F) @ (F, kh*kw*C), which BLAS runs far better than nine thin ones, and one pass adds every
window's values onto the image, channels innermost. The sums run in another order than
``add_windows``' (offset by offset): equal to it within float rounding, not bit for bit
(``tests/test_kernels_match_reference.py`` compares against the reference convolution).

Measured (Intel Xeon, 2 cores, numba 0.68.1, float32): the Keras MNIST convnet's second
convolution at batch 32 (13x13x32 -> 11x11x64, 3x3), its input gradient 1,335 -> 755 us (the
product 508 us, the scatter 178 us); it holds a 4.5 MB array of patch values for the call.
"""

from __future__ import annotations

from typing import Any

from ember.kernels import compiled

AVAILABLE = compiled.AVAILABLE  # a switch of its own (the tests compare both paths)


@compiled.loop
def _scatter(dst, taps, sh, sw, dh, dw):  # pragma: no cover - compiled
    # dst[n, r*sh + i*dh, q*sw + j*dw, :] += taps[n, r, q, i, j, :]
    n, ho, wo, kh, kw, c = taps.shape
    for a in range(n):
        for r in range(ho):
            for q in range(wo):
                for i in range(kh):
                    row = r * sh + i * dh
                    for j in range(kw):
                        col = q * sw + j * dw
                        for ch in range(c):
                            dst[a, row, col, ch] += taps[a, r, q, i, j, ch]


def usable(dst: Any, a2: Any, w: Any) -> bool:
    """Whether the compiled path runs on these arrays (NumPy, one float dtype, numba)."""
    return AVAILABLE and compiled.numpy_floats(dst, a2, w)


def add_windows(dst: Any, a2: Any, w: Any, out_hw: tuple, s: tuple, d: tuple) -> None:
    """``ember.ops.im2col.add_windows``'s contract: ``dst`` (N, Hp, Wp, C) += every window's
    ``a2 @ w[i, j].T`` (a2: (N*Ho*Wo, F), w: (kh, kw, C, F))."""
    kh, kw, c, f = w.shape
    taps = a2 @ w.reshape(kh * kw * c, f).T
    _scatter(dst, taps.reshape(dst.shape[0], out_hw[0], out_hw[1], kh, kw, c),
             s[0], s[1], d[0], d[1])
