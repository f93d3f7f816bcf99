"""One module per contender; each exposes ``run(spec, data, timed) -> dict``.

``spec`` is the child's job (see benchmarks/child.py: workload, sizes, seed, threads),
``data`` the MNIST arrays from ``benchmarks.data.load_cached`` and ``timed`` a context manager
that measures exactly the region it wraps (wall and CPU time, memory). A contender raises
``Unavailable`` when it cannot run a workload (a layer that ember does not have yet, a
workload it does not take part in); the report then says so instead of failing.
"""

from __future__ import annotations


class Unavailable(Exception):
    """This contender cannot run this workload; the message says why."""


def train_subset(spec: dict, x, y):
    """The first ``steps * batch`` training samples when ``spec['steps']`` is set (a fixed
    number of optimizer steps per epoch), else all of them: the same for every contender."""
    steps = spec.get("steps")
    if steps:
        n = steps * spec["batch"]
        return x[:n], y[:n]
    return x, y


def accuracy(probs_or_logits, labels) -> float:
    """Share of rows whose argmax equals the label."""
    import numpy as np

    return float(np.mean(np.asarray(probs_or_logits).argmax(axis=1) == labels))
