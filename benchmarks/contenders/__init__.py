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


def warm_subset(spec: dict, x, y):
    """The first ``warm_steps * batch`` training samples: every training contender runs that
    many steps in the same process before its timed epoch, timed on their own. For Keras the
    first call compiles (JAX) or traces (TensorFlow) the train step; ember and PyTorch compile
    nothing, so their first call shows only first-use costs. The timed epoch is then each
    contender's steady state, and ``first_s`` minus the steady time of the same steps is what
    the first call cost."""
    n = spec.get("warm_steps", 0) * spec["batch"]
    return x[:n], y[:n]


def predict_warm_slice(n: int, batch: int) -> slice:
    """A slice of the test set that a warm-up ``predict`` runs on: two full batches and the
    same short last batch as the whole set (``n % batch`` rows), so a framework that compiles
    per input shape (Keras on JAX) has compiled both shapes before the timed passes."""
    rest = n % batch
    return slice(0, min(n, 2 * batch + rest))
