"""What ember's compiled loops (numba, the ``fast`` extra) give each benchmark network: ``fit``
with them and without them, interleaved in one process.

    python -m benchmarks.bench_compiled [--images 6400] [--rounds 3] [--data DIR]

"without" runs every loop's NumPy path (``ember.kernels.reference`` for the fused optimizer
updates and ``max_pool2d_tiles``, and the ``AVAILABLE`` switches of ``lstm_gates``,
``gru_gates``, ``simple_rnn_step``, ``pool_tiles``, ``conv_scatter`` and ``relu_grad``), as
``EMBER_NUMBA=0`` would for a whole process; both paths train the same network from the same
seed after a short warm-up fit, and the medians of the rounds are printed with their ratio.
The loops' own timings are in each kernel's docstring (``src/ember/kernels/``), and
``python benchmarks/bench_adam.py`` times Adam's alone with numba's first-call cost.
Measured on a 2-core Intel Xeon, 2026-12-03 (6,400 images, medians of 3; see the closing note
of the performance issue for the run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import numpy as np

import ember as em
from benchmarks.contenders.ember_fit import build
from ember.kernels import (
    conv_scatter,
    gru_gates,
    lstm_gates,
    pool_tiles,
    registry,
    relu_grad,
    simple_rnn_step,
)

BATCH = {"dense": 32, "convnet": 32, "lstm": 64, "gru": 64}
_SWITCHES = (lstm_gates, gru_gates, simple_rnn_step, pool_tiles, conv_scatter, relu_grad)
_FUSED_OPS = ["adam_update", "sgd_update", "rmsprop_update", "max_pool2d_tiles"]


def _network(arch: str) -> em.Sequential:
    if arch == "gru":  # the LSTM benchmark's network with Keras 3's default GRU(128)
        L = em.layers
        return em.Sequential([L.Input(shape=(28, 28)), L.GRU(128),
                              L.Dense(10, activation="softmax")])
    return build(arch)


@contextmanager
def numpy_paths() -> Iterator[None]:
    """Every compiled loop off within the block (their NumPy paths run)."""
    saved = [m.AVAILABLE for m in _SWITCHES]
    for m in _SWITCHES:
        m.AVAILABLE = False
    try:
        with registry.reference(_FUSED_OPS):
            yield
    finally:
        for m, flag in zip(_SWITCHES, saved):
            m.AVAILABLE = flag


def fit_seconds(arch: str, x: np.ndarray, y: np.ndarray, compiled: bool) -> float:
    em.utils.set_random_seed(0)
    model = _network(arch)
    model.compile("adam", "sparse_categorical_crossentropy")
    xs = x[..., None] if arch == "convnet" else x
    batch = BATCH[arch]
    with nullcontext() if compiled else numpy_paths():
        model.fit(xs[:10 * batch], y[:10 * batch], batch_size=batch, verbose=0)  # warm-up
        start = time.perf_counter()
        model.fit(xs, y, batch_size=batch, epochs=1, verbose=0)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_compiled",
                                description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=6400)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data", default=None)
    args = p.parse_args(argv)
    if "adam_update" not in registry.registered():
        sys.exit("bench_compiled: the compiled loops need numba: pip install 'ember[fast]' "
                 "(and EMBER_NUMBA unset)")
    (x, y), _ = em.datasets.mnist.load_data(path=args.data) if args.data else \
        em.datasets.mnist.load_data()
    x, y = (x[:args.images] / 255.0).astype("float32"), y[:args.images]
    times: dict = {(a, c): [] for a in BATCH for c in (True, False)}
    for _ in range(args.rounds):
        for arch in BATCH:
            for compiled in (True, False):
                times[(arch, compiled)].append(fit_seconds(arch, x, y, compiled))
    print(f"{args.images} images, medians of {args.rounds} rounds")
    print("| network | compiled loops | NumPy paths | compiled / NumPy |")
    print("| --- | ---: | ---: | ---: |")
    for arch in BATCH:
        on = statistics.median(times[(arch, True)])
        off = statistics.median(times[(arch, False)])
        print(f"| {arch} | {on:.3f} s | {off:.3f} s | {on / off:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
