"""The trainer's BLAS thread rule (``ember.blas.one_thread_pays``) against forcing one thread
and against the library's threads, on the dense network and the LSTM, interleaved in one
process.

    python -m benchmarks.bench_blas_threads [--images 30000] [--rounds 4] [--data DIR]

Each round trains every (workload, setting) pair once from the same seed, after a short
warm-up fit, and the medians of the rounds are printed with CPU time. The rule gives one BLAS
thread to a step whose batch is under 128 rows and whose trainable weights are within 512 KiB,
unless the model has a recurrent layer; "one thread" forces it for every step of that size,
"all threads" never. Measured (fused Adam) on a 2-core Intel Xeon (2 MiB L2), 2026-12-03:
dense 30,000 images 0.40 s by the rule, 0.40 one thread, 0.42 all threads (CPU 0.40, 0.40,
0.84 s); LSTM 6,000 images 0.85 s on one thread and 0.71 s on all (the rule's choice now).
On the AMD EPYC (1 MiB L2) of 2026-12-02, under the old quarter-of-L2 threshold, the dense
network took 0.90 s on two threads and 0.51 s on one.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import ember as em
from ember import blas
from ember.models.trainer import Trainer


def _model(arch: str) -> em.Sequential:
    L = em.layers
    body = [L.Flatten(), L.Dense(128, activation="relu")] if arch == "dense" else [L.LSTM(128)]
    model = em.Sequential([L.Input((28, 28)), *body, L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


# what the trainer's per-step choice is replaced with (None: the rule itself)
SETTINGS = {"the rule": None,
            "one thread": lambda self, xb: len(xb[0]) < blas.SMALL_ROWS,
            "all threads": lambda self, xb: False}


def _fit_time(arch: str, x: np.ndarray, y: np.ndarray, setting: str) -> tuple:
    rule = Trainer._one_blas_thread
    if SETTINGS[setting] is not None:
        Trainer._one_blas_thread = SETTINGS[setting]
    try:
        em.utils.set_random_seed(0)
        model = _model(arch)
        batch = 32 if arch == "dense" else 64
        model.fit(x[:10 * batch], y[:10 * batch], batch_size=batch, verbose=0)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        Trainer._one_blas_thread = rule


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
    times: dict = {(a, s): [] for a in sizes for s in SETTINGS}
    for _ in range(args.rounds):
        for arch, n in sizes.items():
            for setting in SETTINGS:
                times[(arch, setting)].append(_fit_time(arch, x[:n], y[:n], setting))
    print(f"BLAS threads {blas.threads()}, L2 {blas.l2_cache_bytes() // 1024} KiB, medians of "
          f"{args.rounds} rounds")
    for (arch, setting), runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"  {arch:5} {sizes[arch]:6d} images  {setting:11}  {wall:.3f} s  "
              f"(CPU {cpu:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
