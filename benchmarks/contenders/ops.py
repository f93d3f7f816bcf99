"""Per-op overhead (the ``ops`` workload): benchmarks/bench_ops.py's cases, forward + backward
of one small op in ember, bare NumPy and PyTorch, interleaved in one process (the cost being
measured is Python per call, not memory, so one process for all three is fair)."""

from __future__ import annotations

import statistics
import timeit

import numpy as np

import ember as em
from benchmarks.bench_ops import _cases


def run(spec: dict, data: tuple, timed) -> dict:
    n, d = spec.get("ops_size", (32, 128))
    number, repeats = spec["ops_number"], spec["ops_repeats"]
    rng = np.random.default_rng(spec["seed"])
    xn = rng.standard_normal((n, d)).astype(np.float32)
    wn = rng.standard_normal((d, d)).astype(np.float32)
    x = em.tensor(xn, requires_grad=True)
    w = em.tensor(wn, requires_grad=True)
    try:
        import torch

        torch.set_num_threads(spec["threads"])
        tx = torch.tensor(xn, requires_grad=True)
        tw = torch.tensor(wn, requires_grad=True)
    except ImportError:
        tx = tw = None
    cases = _cases(x, w, xn, wn, tx, tw)
    names = ("ember", "numpy", "torch")
    ops: dict[str, dict[str, list[float]]] = {}
    with timed():
        for op, fns in cases.items():
            times: dict[str, list[float]] = {k: [] for k in names}
            for f in fns:  # one untimed pass: first-call caches, lazy imports
                if f is not None:
                    f()
            for _ in range(repeats):  # interleaved: A B C A B C ...
                for key, f in zip(names, fns):
                    if f is not None and (key != "torch" or tx is not None):
                        times[key].append(timeit.timeit(f, number=number) / number * 1e6)
            ops[op] = times
    summary = {op: {k: statistics.median(v) for k, v in t.items() if v}
               for op, t in ops.items()}
    return {"size": [n, d], "number": number, "ops_us": ops, "median_us": summary}
