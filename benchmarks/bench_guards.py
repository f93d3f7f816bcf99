"""What the "no silent training on garbage" checks cost on MNIST (issue 13).

    OPENBLAS_NUM_THREADS=1 EMBER_DATA_DIR=... python -m benchmarks.bench_guards [--runs 5]

Prints three numbers:

- the NaN/inf check of the training images (60000x784 float32), once per ``fit``, next to
  ``np.isfinite(x).all()``;
- the per-step loss guard: the same model's ``train_step`` with ``stop_on_nan`` on and off,
  alternated in one process (so machine load hits both alike), min over rounds;
- one MNIST dense epoch (the quickstart network, adam, batch 32): wall and CPU seconds,
  median and min over ``--runs`` fits. Compare two checkouts by running this in each.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np


def _median_ms(fn, repeats: int = 9) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _mlp(em):
    L = em.layers
    model = em.Sequential([L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"),
                           L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> int:
    import ember as em
    from ember.models.finite_data import check_finite

    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_guards")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    (x, y), _ = em.datasets.mnist.load_data()
    x = (x / 255.0).astype("float32")

    check = _median_ms(lambda: check_finite(x, "x", "fit"))
    exact = _median_ms(lambda: np.isfinite(x).all())
    print(f"NaN/inf check of x {x.shape} float32: {check:.1f} ms per fit "
          f"(np.isfinite(x).all(): {exact:.1f} ms)")

    em.utils.set_random_seed(0)
    model = _mlp(em)
    model.fit(x[:3200], y[:3200], batch_size=32, verbose=0)
    trainer = model._trainer
    batches = [([x[i:i + 32]], [y[i:i + 32]], None) for i in range(0, 6400, 32)]
    best = {True: math.inf, False: math.inf}
    for _ in range(20):
        for guard in (True, False):
            trainer.stop_on_nan = guard
            start = time.process_time()
            for xb, yb, sb in batches:
                trainer.train_step(xb, yb, sb)
            best[guard] = min(best[guard], (time.process_time() - start) / len(batches))
    on, off = best[True] * 1e6, best[False] * 1e6
    print(f"train_step with the loss guard {on:.1f} us, without {off:.1f} us "
          f"({100 * (on - off) / off:+.2f} %)")

    wall, cpu = [], []
    for r in range(args.runs):
        em.utils.set_random_seed(r)
        model = _mlp(em)
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    print(f"MNIST dense epoch: wall median {statistics.median(wall):.3f} s (min "
          f"{min(wall):.3f}), CPU median {statistics.median(cpu):.3f} s (min {min(cpu):.3f}) "
          f"over {args.runs} fits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
