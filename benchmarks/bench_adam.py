"""An optimizer's update: the fused numba kernel against the NumPy reference, and (Adam) its
first-call cost.

    python benchmarks/bench_adam.py [--repeats 200] [--optimizer adam|sgd|rmsprop]

Times one step of the optimizer (Adam; SGD with momentum 0.9; RMSprop) over every parameter
of a network, as ``fit`` runs it, with the kernel and with ``ember.kernels.reference(...)``,
interleaved, for the parameter sets of the dense benchmark network at three widths (784 ->
width -> 10). For Adam, then, in two fresh processes, the first fused update's cost (importing
numba and compiling, then loading the machine code kept from it with llvmlite,
``kernels/machine_code.py``) as ``compile_seconds`` reports it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import ember as em
from ember.kernels import adam_fused

OPTIMIZERS = {"adam": (lambda: em.optimizers.Adam(1e-3), "adam_update"),
              "sgd": (lambda: em.optimizers.SGD(0.01, momentum=0.9), "sgd_update"),
              "rmsprop": (lambda: em.optimizers.RMSprop(1e-3), "rmsprop_update")}


def step_times(width: int, repeats: int, optimizer: str = "adam") -> tuple[float, float]:
    rng = np.random.default_rng(0)
    shapes = [(784, width), (width,), (width, 10), (10,)]
    params = [em.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
              for s in shapes]
    for p in params:
        p.grad = em.tensor(rng.standard_normal(p.shape).astype(np.float32))
    make, op = OPTIMIZERS[optimizer]
    opt = make()
    opt.step(params)
    fused, ref = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        opt.step(params)
        fused.append(time.perf_counter() - t)
        with em.kernels.reference(op):
            t = time.perf_counter()
            opt.step(params)
            ref.append(time.perf_counter() - t)
    return statistics.median(fused), statistics.median(ref)


def first_call(cache_dir: str) -> float:
    code = "from ember.kernels import adam_fused; print(adam_fused.compile_seconds())"
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    args = parser.parse_args(argv)
    op = OPTIMIZERS[args.optimizer][1]
    if op not in em.kernels.registered() or em.kernels.selected(op) != "fast":
        sys.exit(f"bench_adam: the fused {args.optimizer} kernel needs numba: pip install "
                 "'ember[fast]'")
    adam_fused.compile_seconds()
    print("| width | parameters | fused | NumPy passes | fused / NumPy |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for width in (128, 512, 2048):
        fused, ref = step_times(width, args.repeats, args.optimizer)
        n = 784 * width + width + width * 10 + 10
        print(f"| {width} | {n:,} | {fused * 1e6:.0f} us | {ref * 1e6:.0f} us | "
              f"{fused / ref:.2f}x |")
    if args.optimizer != "adam":
        return 0
    with tempfile.TemporaryDirectory() as cache:  # an empty numba cache: the first compiles
        cold, warm = first_call(cache), first_call(cache)
    print(f"first fused call in a fresh process: {cold * 1e3:.0f} ms compiling, "
          f"{warm * 1e3:.0f} ms loading its machine code (llvmlite's import included, "
          "numba not imported)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
