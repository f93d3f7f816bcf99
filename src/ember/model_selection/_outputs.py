"""Reading a model's outputs as class probabilities or labels (host NumPy arrays).

A classifier ends in one sigmoid unit (binary: the probability of class 1) or in k softmax
units. Outputs outside [0, 1] (or rows that do not sum to 1) are logits and are squashed first;
``from_logits=True`` says so explicitly (a loss compiled with ``from_logits=True``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def from_logits(model: Any) -> bool:
    """True when the model was compiled with a loss object that has ``from_logits=True``."""
    loss = (getattr(model, "_compile_config", None) or {}).get("loss")
    return bool(getattr(loss, "from_logits", False))


def as_probabilities(out: Any, logits: bool = False, who: str = "predict_proba") -> np.ndarray:
    """(n, classes) probabilities from (n,), (n, 1) or (n, k) model outputs."""
    p = np.asarray(out, dtype=np.float64)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2:
        raise ValueError(f"{who}: expected model outputs of shape (n,), (n, 1) or (n, classes); "
                         f"got {p.shape}")
    if p.shape[1] == 1:
        q = p[:, 0]
        if logits or (q.size and (q.min() < 0.0 or q.max() > 1.0)):
            q = 0.5 * (1.0 + np.tanh(0.5 * q))  # the sigmoid, without overflow for big logits
        return np.stack([1.0 - q, q], axis=1)
    if logits or (p.size and (p.min() < 0.0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3))):
        z = np.exp(p - p.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
    return p


def as_labels(out: Any, logits: bool = False) -> np.ndarray:
    """Integer class codes: the sigmoid thresholded at 0.5, or the argmax of k outputs."""
    return as_probabilities(out, logits).argmax(axis=1)
