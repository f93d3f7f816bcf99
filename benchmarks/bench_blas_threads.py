"""The trainer's BLAS thread rule (``ember.blas.one_thread_pays``) against forcing one thread,
on the dense network and the LSTM, interleaved in one process.

    python -m benchmarks.bench_blas_threads [--images 30000] [--rounds 4] [--data DIR]

Each round trains every (workload, setting) pair once from the same seed, after a short
warm-up fit, and the medians of the rounds are printed with CPU time. The rule gives one BLAS
thread to a step whose batch is under 128 rows and whose trainable weights fit a quarter of
one core's L2; "one thread" forces it for every step of that size. Measured on the 2-core AMD
EPYC (1 MiB L2) of 2026-12-02, where the rule picks two threads for both networks (their
weights, 407 and 327 KB, exceed a quarter of L2): the dense network's 30,000 images took
0.90 s by the rule and 0.51 s on one thread (CPU 1.76 against 0.61 s; an earlier run 0.96
against 0.63 s); the LSTM's 6,000 took 1.42 against 1.33 s, and an earlier 6,400-image run
went the other way, 1.15 against 1.58 s. The quarter-of-L2 threshold came from measurements
on an Intel machine with a larger L2.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import ember as em
from ember import blas


def _model(arch: str) -> em.Sequential:
    L = em.layers
    body = [L.Flatten(), L.Dense(128, activation="relu")] if arch == "dense" else [L.LSTM(128)]
    model = em.Sequential([L.Input((28, 28)), *body, L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _fit_time(arch: str, x: np.ndarray, y: np.ndarray, one_thread: bool) -> tuple:
    rule = blas.one_thread_pays
    if one_thread:
        blas.one_thread_pays = lambda rows, nbytes: rows < blas.SMALL_ROWS
    try:
        em.utils.set_random_seed(0)
        model = _model(arch)
        batch = 32 if arch == "dense" else 64
        model.fit(x[:10 * batch], y[:10 * batch], batch_size=batch, verbose=0)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        blas.one_thread_pays = rule


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_blas_threads",
                                description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=30000, help="dense images (LSTM: a fifth)")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--data", default=None)
    args = p.parse_args(argv)
    (x, y), _ = em.datasets.mnist.load_data(path=args.data) if args.data else \
        em.datasets.mnist.load_data()
    x = (x / 255.0).astype("float32")
    sizes = {"dense": args.images, "lstm": max(args.images // 5, 640)}
    times: dict = {(a, s): [] for a in sizes for s in (False, True)}
    for _ in range(args.rounds):
        for arch, n in sizes.items():
            for one in (False, True):
                times[(arch, one)].append(_fit_time(arch, x[:n], y[:n], one))
    print(f"BLAS threads {blas.threads()}, L2 {blas.l2_cache_bytes() // 1024} KiB, medians of "
          f"{args.rounds} rounds")
    for (arch, one), runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        label = "one thread" if one else "the rule  "
        print(f"  {arch:5} {sizes[arch]:6d} images  {label}  {wall:.3f} s  (CPU {cpu:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
