"""Bayes' rule: how a prior belief becomes a posterior once the evidence is in.

    P(H | E) = P(E | H) P(H) / P(E),   P(E) = sum over hypotheses of P(E | H) P(H)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor
from ember.stats.families import f64


def bayes(prior: Any, likelihood: Any, evidence: Any = None, axis: int = -1) -> Tensor:
    """The posterior P(H | E) for each hypothesis H.

    Args:
        prior: P(H), one entry per hypothesis along ``axis`` (summing to 1), or a single
            number when ``evidence`` is given.
        likelihood: P(E | H), the probability of the evidence under each hypothesis (these
            need not sum to 1: each is a different conditional distribution).
        evidence: P(E). Leave it out and it is the total probability sum P(E | H) P(H) over
            ``axis`` (so the hypotheses must be exhaustive and exclusive).

    Returns:
        a float64 tensor of posteriors, the shape of prior * likelihood.

    Example (a test 90% sensitive with a 5% false-positive rate, for a disease 1 in 100 has):
        >>> import ember as em
        >>> post = em.stats.bayes(prior=[0.01, 0.99], likelihood=[0.90, 0.05])
        >>> [round(p, 4) for p in post.tolist()]   # P(ill | positive), P(healthy | positive)
        [0.1538, 0.8462]
        >>> round(em.stats.bayes(0.01, 0.90, evidence=0.0585).item(), 4)
        0.1538
    """
    who = "bayes"
    p, lik = f64(prior), f64(likelihood)
    pd, ld = np.asarray(p.data), np.asarray(lik.data)
    for name, arr in (("prior", pd), ("likelihood", ld)):
        if not bool(((arr >= 0) & (arr <= 1)).all()):
            raise ValueError(f"{who}: {name} must hold probabilities in [0, 1]; got "
                             f"{arr.ravel()[:5]}")
    joint = p * lik
    if evidence is None:
        if pd.ndim == 0:
            raise ValueError(f"{who}: with a single prior give evidence=P(E) too, or list the "
                             "priors of every hypothesis (e.g. [0.01, 0.99])")
        if not np.allclose(pd.sum(axis=axis), 1.0, atol=1e-6):
            raise ValueError(f"{who}: the priors along axis {axis} sum to "
                             f"{pd.sum(axis=axis)}, not 1: list every hypothesis once, or "
                             "pass evidence=")
        total = joint.sum(axis=axis, keepdims=True)
    else:
        total = f64(evidence)
    if not bool((np.asarray(total.data) > 0).all()):
        raise ValueError(f"{who}: the evidence P(E) is 0, so the posterior is undefined (the "
                         "evidence is impossible under every hypothesis)")
    return joint / total
