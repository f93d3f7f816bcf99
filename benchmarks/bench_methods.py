"""CPU time of the Tensor calls that PyTorch-style arguments touch (`x.sum(axis=1)`, `x + y`,
`x.T`, `x.size` ...), forward only, so that two checkouts can be compared on a busy machine.

    PYTHONPATH=src python benchmarks/bench_methods.py

Uses process CPU time (not wall time: other processes' load does not count) and prints the
best of 15 repeats of 5000 calls, in microseconds per call.
"""

from __future__ import annotations

import time
import timeit

import ember as em


def main() -> None:
    x, y = em.randn(32, 128), em.randn(32, 128)
    w = em.randn(32, 128, requires_grad=True)
    cases = {
        "x + y": lambda: x + y, "w * y": lambda: w * y, "x.sum()": lambda: x.sum(),
        "x.sum(axis=1)": lambda: x.sum(axis=1), "x.mean()": lambda: x.mean(),
        "x.max(axis=1)": lambda: x.max(axis=1), "w.sum(axis=1)": lambda: w.sum(axis=1),
        "x.size": lambda: x.size, "x.transpose()": lambda: x.transpose(),
        "x.reshape(-1)": lambda: x.reshape(-1), "x.T": lambda: x.T,
    }
    print("| call | µs (best of 15 x 5000, CPU time) |\n| --- | ---: |")
    for name, fn in cases.items():
        timer = timeit.Timer(fn, timer=time.process_time)
        best = min(timer.timeit(number=5000) / 5000 * 1e6 for _ in range(15))
        print(f"| `{name}` | {best:.3f} |")


if __name__ == "__main__":
    main()
