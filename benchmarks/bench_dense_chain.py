"""What the captured Dense-stack step (``ember.kernels.dense_chain``) gives the benchmark's
dense network: ``fit`` and ``predict`` with it and through the layers
(``em.kernels.reference("dense_chain")``), interleaved in one process.

    python -m benchmarks.bench_dense_chain [--images 16000] [--rounds 5] [--width 128]
                                           [--loss sparse|categorical] [--data DIR]

Both train the same network from the same seed after a short warm-up fit (the weights come
out bit for bit the same: ``tests/test_kernel_dense_chain.py``); the medians of the rounds are
printed as microseconds per training step (batch 32) and milliseconds per ``predict`` pass
over the test set (batch 32), with their ratio. ``--loss categorical`` trains on one-hot
targets (``to_categorical``) with ``categorical_crossentropy`` instead. The suite's dense rows
(``python -m benchmarks --workloads dense,predict``) show the same against the other
frameworks.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import nullcontext

import numpy as np

import ember as em
from benchmarks.contenders.ember_fit import build

BATCH = 32


def _path(captured: bool):
    return nullcontext() if captured else em.kernels.reference("dense_chain")


def step_microseconds(model, x: np.ndarray, y: np.ndarray, captured: bool,
                      seed: int) -> float:
    em.utils.set_random_seed(seed)  # both paths shuffle alike: their weights stay equal
    with _path(captured):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        return (time.perf_counter() - start) / -(-len(x) // BATCH) * 1e6


def predict_milliseconds(model, x: np.ndarray, captured: bool) -> float:
    with _path(captured):
        start = time.perf_counter()
        model.predict(x, batch_size=BATCH, verbose=0)
        return (time.perf_counter() - start) * 1e3


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_dense_chain",
                                description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=16000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--loss", choices=("sparse", "categorical"), default="sparse")
    p.add_argument("--data", default=None)
    args = p.parse_args(argv)
    loss = f"{'sparse_' if args.loss == 'sparse' else ''}categorical_crossentropy"
    load = em.datasets.mnist.load_data
    (x, y), (xt, _) = load(path=args.data) if args.data else load()
    x, y = (x[:args.images] / 255.0).astype("float32"), y[:args.images]
    xt = (xt / 255.0).astype("float32")
    if args.loss == "categorical":
        y = em.utils.to_categorical(y, 10)
    models = {}
    for captured in (True, False):
        em.utils.set_random_seed(0)
        model = build("dense", args.width)
        model.compile("adam", loss, metrics=["accuracy"])
        with _path(captured):
            model.fit(x[:10 * BATCH], y[:10 * BATCH], batch_size=BATCH, verbose=0)  # warm-up
            model.predict(xt[:2 * BATCH], batch_size=BATCH, verbose=0)
        models[captured] = model
    steps: dict = {True: [], False: []}
    passes: dict = {True: [], False: []}
    for r in range(args.rounds):
        for captured in (True, False):
            steps[captured].append(step_microseconds(models[captured], x, y, captured, r))
            passes[captured].append(predict_milliseconds(models[captured], xt, captured))
    same = all(np.array_equal(a, b) for a, b in
               zip(models[True].get_weights(), models[False].get_weights()))
    print(f"dense 784-{args.width}-10, {loss}, batch {BATCH}: {args.images} training images, "
          f"{len(xt)} predicted, medians of {args.rounds} rounds; weights equal: {same}")
    print("| what | captured step | through the layers | captured / layers |")
    print("| --- | ---: | ---: | ---: |")
    for name, table, unit in (("training step", steps, "us"), ("predict pass", passes, "ms")):
        on, off = statistics.median(table[True]), statistics.median(table[False])
        print(f"| {name} | {on:.1f} {unit} | {off:.1f} {unit} | {on / off:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
