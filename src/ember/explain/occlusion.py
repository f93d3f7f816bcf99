"""Occlusion (Zeiler & Fergus, 2014): slide a window over the input, replace what it covers by
a baseline, and credit each covered feature with the drop of the score,

    attribution_i = mean over windows W containing i of  f(x) - f(x with W set to the baseline)

exactly as Captum's ``Occlusion`` places and averages its windows: along each axis the window
starts at ``0, s, 2s, ...`` (``ceil((D - w) / s) + 1`` positions; the last one is cut off at the
edge when the stride does not divide ``D - w``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.explain import _core


def _per_axis(value: Any, feature_shape: tuple, name: str, full: bool) -> tuple[int, ...]:
    """``window`` / ``stride`` as one int per feature axis; an image window given as (h, w)
    spans all channels (``full``)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * (len(feature_shape) - 1 if full and len(feature_shape) == 3
                                 else len(feature_shape))
    value = tuple(int(v) for v in value)
    if len(value) == len(feature_shape) - 1 and len(feature_shape) == 3:
        value = value + ((feature_shape[-1],) if full else (1,))
    if len(value) != len(feature_shape) or any(v < 1 for v in value):
        raise ValueError(f"occlusion: {name} must be positive, one per axis of a sample "
                         f"{feature_shape} (or (height, width) for images); got {value}")
    return value


def _axis_masks(size: int, window: int, stride: int) -> np.ndarray:
    """(positions, size) booleans: which indices each window position covers."""
    count = int(np.ceil((size - window) / stride)) + 1
    starts = np.arange(count) * stride
    idx = np.arange(size)
    return (idx[None] >= starts[:, None]) & (idx[None] < starts[:, None] + window)


def occlusion(model: Any, x: Any, target: Any = None, window: Any = (3, 3),
              stride: Any = 1, baseline: Any = 0, batch_size: int = 1024) -> np.ndarray:
    """Occlusion attributions of ``x``'s shape; ``window`` and ``stride`` per sample axis (for
    images (h, w) is enough: the window spans all channels), ``baseline`` a number or an array
    broadcasting to one sample (or to the batch). The occluded copies run at most
    ``batch_size`` rows at a time (fewer where a pass's largest layer output would pass 16 MiB:
    ``ember.explain._core.pass_rows``; 32 MNIST images, 4x4 windows, convnet: system time
    0.18 -> 0.01 s, CPU time 0.75 -> 0.70 s).

    Example:
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.layers.Flatten(), em.layers.Dense(2)])
        >>> x = np.random.default_rng(0).random((2, 6, 6, 1)).astype("float32")
        >>> em.explain.occlusion(model, x, target=0, window=(2, 2), stride=2).shape
        (2, 6, 6, 1)
    """
    who = "occlusion"
    xb = _core.as_batch(model, x, who)
    n, feat = len(xb), xb.shape[1:]
    win = _per_axis(window, feat, "window", True)
    step = _per_axis(stride, feat, "stride", False)
    if any(w > d for w, d in zip(win, feat)):
        raise ValueError(f"{who}: the window {win} is larger than a sample {feat}")
    if any(s > w and w < d for s, w, d in zip(step, win, feat)):
        raise ValueError(f"{who}: a stride {step} larger than the window {win} would skip "
                         "features")
    try:
        base = np.broadcast_to(np.asarray(baseline, dtype=xb.dtype), xb.shape)
    except ValueError:
        raise ValueError(f"{who}: baseline must be a number or broadcast to {xb.shape}; got "
                         f"shape {np.shape(baseline)}") from None
    t = _core.check_target(target, n, _core.n_outputs(model, xb), who)

    # Every window position's mask over one sample: the outer product of the per-axis masks.
    masks = None
    for d, w, s in zip(feat, win, step):
        m = _axis_masks(d, w, s)
        masks = m if masks is None else _outer(masks, m)
    masks = masks.reshape(-1, *feat)  # (P, *feat)
    positions = len(masks)
    flat_masks = masks.reshape(positions, -1)

    full = _core.scores(model, xb, t, who)
    drops = np.empty((n, positions), dtype=np.float64)
    per_chunk = max(1, batch_size // n)
    per_pass = min(int(batch_size), _core.pass_rows(model, xb))  # smaller arrays: no page faults
    for p in range(0, positions, per_chunk):
        m = masks[p:p + per_chunk]  # (k, *feat)
        occluded = np.where(m[:, None], base[None], xb[None])  # (k, n, *feat)
        k = len(m)
        s = _core.scores(model, occluded.reshape((k * n,) + feat),
                         _core.repeat_target(t, k, False), who, per_pass)
        drops[:, p:p + k] = full[:, None] - s.reshape(k, n).T
    counts = flat_masks.sum(axis=0)
    attr = (drops @ flat_masks) / counts
    return attr.reshape(xb.shape).astype(xb.dtype)


def _outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions and masks of the axes so far (Pa, *sa) combined with a new axis' (Pb, d):
    (Pa, Pb, *sa, d), flattened to (Pa * Pb, *sa, d)."""
    pa, pb = a.shape[0], b.shape[0]
    grid = a.reshape(pa, 1, *a.shape[1:], 1) & b.reshape(1, pb, *(1,) * (a.ndim - 1),
                                                           b.shape[1])
    return grid.reshape(pa * pb, *a.shape[1:], b.shape[1])
