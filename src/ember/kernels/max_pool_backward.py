"""Fast max-pool backward (max_pool2d and max_pool1d; the reference is
``ember.ops.pool._max_backward``): the same first-maximum routing, by three measured
strategies.

- Windows that tile the input (stride = pool size, no padding): one comparison of every
  window with its maximum, on the (N, Ho, kh, Wo, kw, C) view of x, makes the routing mask;
  only windows with a tied maximum (common after a relu: all zeros) need the first-wins pass
  over the offsets; then one multiply writes dx. Measured 20-25 % faster than masks built
  offset by offset.
- Otherwise masks offset by offset, as the reference, but multiplied as floats (float * float
  is 2x faster than float * bool), the last offset's mask taken as "not taken before" (no
  comparison), and written with ``multiply(out=)`` where windows do not overlap (no zeroed
  array to add onto when they also cover every cell).
- A NaN window sends its gradient to its last position (the reference drops it).

Where numba is installed, tiling windows take one compiled pass instead
(``kernels/pool_tiles.py``, bit for bit the routing below and 2.7-3x faster).
"""

from __future__ import annotations

from typing import Any

from ember.backend import xp_of
from ember.kernels import pool_tiles
from ember.kernels.registry import replaces


@replaces("max_pool2d")
def max_pool_backward(xpad: Any, out: Any, g: Any, k: tuple, s: tuple, index: list,
                      parts: list, padded: bool) -> Any:
    """dx (the padded input's shape) for the output gradient ``g``; the reference's
    signature."""
    xp = xp_of(xpad)
    hp, wp = xpad.shape[1:3]
    ho, wo = out.shape[1:3]
    # Windows that neither overlap nor leave cells out write every input cell exactly once.
    exact = s == k and not padded and hp == ho * s[0] and wp == wo * s[1]
    overlap = s[0] < k[0] or s[1] < k[1]
    dxp = (xp.empty if exact else xp.zeros)(xpad.shape, dtype=g.dtype)
    if s == k and not padded:
        if pool_tiles.usable(xpad, out, g, dxp):  # one compiled pass (kernels/pool_tiles.py)
            pool_tiles.route_tiles(xpad, out, g, dxp, k)
        else:
            _route_tiles(xpad, out, g, dxp, k)
        return dxp
    taken = None
    for m, (ix, part) in enumerate(zip(index, parts)):
        if m == len(index) - 1 and taken is not None:
            mask = ~taken  # the max is here wherever it was not earlier
        else:
            hit = part == out
            if taken is None:
                mask = taken = hit
            else:
                mask = xp.greater(hit, taken)  # hit and not taken: first max wins
                taken |= hit
        mask = mask.astype(g.dtype)  # float * float: 2x faster than float * bool
        if overlap:
            dxp[ix] += g * mask
        else:
            xp.multiply(g, mask, out=dxp[ix])
    return dxp


def _route_tiles(x: Any, out: Any, g: Any, dx: Any, k: tuple) -> None:
    """Windows that tile ``x``: ``dx`` gets each window's gradient at its first maximum, zero
    elsewhere (cells past the last window are left as they are)."""
    xp = xp_of(x)
    n, ho, wo, c = out.shape
    offsets = [(i, j) for i in range(k[0]) for j in range(k[1])]
    shape6 = (n, ho, k[0], wo, k[1], c)
    rows, cols = ho * k[0], wo * k[1]
    xw = x[:, :rows, :cols].reshape(shape6)  # splitting axes: a view, no copy
    hit = xp.equal(xw, out.reshape(n, ho, 1, wo, 1, c))
    if int(xp.count_nonzero(hit)) != out.size:  # ties (or NaN): keep the first max only
        i0, j0 = offsets[0]
        taken = hit[:, :, i0, :, j0].copy()
        last = len(offsets) - 1
        for m, (i, j) in enumerate(offsets[1:], 1):
            here = hit[:, :, i, :, j]
            if m == last:  # the max is here wherever it was not earlier (NaN windows too)
                xp.logical_not(taken, out=here)
            else:
                xp.greater(here, taken, out=here)  # here and not taken
                taken |= here
    xp.multiply(g.reshape(n, ho, 1, wo, 1, c), hit,
                out=dx[:, :rows, :cols].reshape(shape6))
