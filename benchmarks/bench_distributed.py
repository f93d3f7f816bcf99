"""Data-parallel throughput on this machine: 1, 2 (, 4) MPI ranks, dense and convnet.

``python -m benchmarks.bench_distributed [--ranks 1 2] [--steps 40] [--batch 64]`` launches
itself under ``mpiexec`` once per rank count. Each rank trains with per-rank batch ``--batch``
(weak scaling: the global batch grows with the ranks) on synthetic MNIST-shaped data with one
BLAS thread, and reports the step time, the time spent in the gradient allreduce per step,
and a bare allreduce of the gradient's size. Throughput is global samples/s; the scaling
efficiency is throughput(N) / (N * throughput(1)). The cost model in docs/distributed.md is
checked against the bare allreduce time measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def _network(name: str):  # noqa: ANN202
    import ember as em

    if name == "dense":
        layers = [em.layers.Flatten(input_shape=(28, 28, 1)),
                  em.layers.Dense(128, activation="relu"),
                  em.layers.Dense(10, activation="softmax")]
    else:
        layers = [em.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
                  em.layers.MaxPooling2D(2), em.layers.Conv2D(64, 3, activation="relu"),
                  em.layers.MaxPooling2D(2), em.layers.Flatten(),
                  em.layers.Dense(10, activation="softmax")]
    return em.Sequential(layers)


def _child(args: argparse.Namespace) -> None:
    import ember as em
    from ember.distributed import comm

    em.distributed.init()
    spent = [0.0]
    real_sum = comm.allreduce_inplace_sum

    def timed_sum(buf: np.ndarray) -> None:
        start = time.perf_counter()
        real_sum(buf)
        spent[0] += time.perf_counter() - start

    comm.allreduce_inplace_sum = timed_sum
    results = {}
    for name in args.networks:
        em.utils.set_random_seed(0)
        model = _network(name)
        opt = em.distributed.DistributedOptimizer(em.optimizers.SGD(0.01))
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
        size, b = em.distributed.size(), args.batch
        n = b * size * args.steps
        rng = np.random.default_rng(1)
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, n)
        model.fit(x[:b * size * 3], y[:b * size * 3], batch_size=b, epochs=1, verbose=0)
        em.distributed.barrier()
        spent[0] = 0.0
        start = time.perf_counter()
        model.fit(x, y, batch_size=b, epochs=1, verbose=0, shuffle=False)
        em.distributed.barrier()
        elapsed = time.perf_counter() - start
        nbytes = sum(w.data.nbytes for w in model.trainable_weights)
        buf = np.ones(nbytes // 4, np.float32)
        reps = 20
        em.distributed.barrier()
        t0 = time.perf_counter()
        for _ in range(reps):
            real_sum(buf)
        bare = (time.perf_counter() - t0) / reps
        step = elapsed / args.steps
        allreduce = comm.allreduce(spent[0] / args.steps, op="max")
        results[name] = {"ranks": size, "batch_per_rank": b, "steps": args.steps,
                         "step_s": step, "samples_per_s": b * size / step,
                         "allreduce_in_step_s": allreduce, "bare_allreduce_s": bare,
                         "gradient_bytes": nbytes}
    sweep = {}
    for nbytes in (8, 2 ** 16, 2 ** 20, 2 ** 24):  # the bare allreduce against message size
        buf = np.ones(nbytes // 4 or 1, np.float32)
        reps = 10 if nbytes >= 2 ** 24 else 50
        em.distributed.barrier()
        t0 = time.perf_counter()
        for _ in range(reps):
            real_sum(buf)
        sweep[nbytes] = comm.allreduce((time.perf_counter() - t0) / reps, op="max")
    if em.distributed.is_main():
        with open(args.out, "w") as f:
            json.dump({"networks": results, "sweep": sweep}, f)


def fit_cost_model(sweep: dict, ranks: int) -> tuple[float, float]:
    """Least-squares (relative) latency (s per message) and bandwidth (bytes/s) of the ring model
    t = 2(N-1)/N * bytes / bw + 2(N-1) * latency, from the measured sweep."""
    sizes = np.array([float(k) for k in sweep])
    times = np.array([float(v) for v in sweep.values()])
    design = np.stack([2 * (ranks - 1) / ranks * sizes, np.full_like(sizes, 2 * (ranks - 1))],
                      axis=1)
    # relative errors count, not seconds: the 16 MiB point would otherwise decide alone
    (inv_bw, latency), *_ = np.linalg.lstsq(design / times[:, None], np.ones_like(times),
                                            rcond=None)
    return float(latency), float(1.0 / inv_bw) if inv_bw > 0 else float("inf")


def _sweep_table(runs: dict) -> str:
    lines = ["| ranks | message | measured (ms) | model (ms) |", "|---" * 4 + "|"]
    for ranks, run in sorted(runs.items()):
        if ranks == 1:
            continue
        latency, bw = fit_cost_model(run["sweep"], ranks)
        for nbytes, t in run["sweep"].items():
            model = ring_allreduce_s(float(nbytes), ranks, bw * 8 / 1e9, latency)
            lines.append(f"| {ranks} | {int(nbytes):,} B | {t * 1e3:.3f} | {model * 1e3:.3f} |")
        lines.append(f"| {ranks} | fit | latency {latency * 1e6:.1f} us | bandwidth "
                     f"{bw * 8 / 1e9:.2f} Gbit/s |")
    return "\n".join(lines)


def _table(runs: dict) -> str:
    lines = ["| network | ranks | step (ms) | samples/s | efficiency | allreduce in step (ms) "
             "| bare allreduce (ms) | gradient (MB) |", "|---" * 8 + "|"]
    for net in sorted({k for r in runs.values() for k in r["networks"]}):
        base = runs.get(1, {}).get("networks", {}).get(net)
        for ranks in sorted(runs):
            r = runs[ranks]["networks"][net]
            eff = r["samples_per_s"] / (ranks * base["samples_per_s"]) if base else float("nan")
            lines.append(f"| {net} | {ranks} | {r['step_s'] * 1e3:.2f} | "
                         f"{r['samples_per_s']:.0f} | {eff:.2f} | "
                         f"{r['allreduce_in_step_s'] * 1e3:.3f} | "
                         f"{r['bare_allreduce_s'] * 1e3:.3f} | {r['gradient_bytes'] / 1e6:.2f} |")
    return "\n".join(lines)


# (name, gradient bytes, compute seconds per step) for the projection; the MNIST networks'
# step times are this machine's one-rank CPU times at batch 64 (see the measured table),
# VGG16's is 3 x 15.5 GFLOP x 32 images at an assumed 15 TFLOP/s on one GPU (~0.1 s).
PROJECTED = [("MNIST dense", 407_080, 1.4e-3), ("MNIST convnet", 139_304, 34e-3),
             ("VGG16", 138_357_544 * 4, 3 * 15.5e9 * 32 / 15e12)]
LATENCY_S = 10e-6  # per message on a cluster network (TCP/Ethernet order of magnitude)


def ring_allreduce_s(nbytes: float, ranks: int, gbit_s: float,
                     latency_s: float = LATENCY_S) -> float:
    """Ring allreduce: 2(N-1)/N * bytes / bandwidth + 2(N-1) * latency."""
    if ranks == 1:
        return 0.0
    return 2 * (ranks - 1) / ranks * nbytes / (gbit_s * 1e9 / 8) + 2 * (ranks - 1) * latency_s


def projection(rows: list = PROJECTED) -> str:
    """Efficiency = compute / (compute + allreduce), allreduce after backward (no overlap)."""
    lines = ["| network | gradient (MB) | compute/step (ms) | link | 8 ranks | 64 ranks "
             "| 512 ranks |", "|---" * 7 + "|"]
    for name, nbytes, compute in rows:
        for gbit in (10, 100):
            cells = []
            for n in (8, 64, 512):
                t = ring_allreduce_s(nbytes, n, gbit)
                cells.append(f"{compute / (compute + t):.2f} ({t * 1e3:.1f} ms)")
            lines.append(f"| {name} | {nbytes / 1e6:.2f} | {compute * 1e3:.1f} | {gbit} Gbit/s "
                         f"| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--networks", nargs="+", default=["dense", "convnet"])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--json", default=None, help="write all results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--project", action="store_true", help="print the cost-model table")
    args = parser.parse_args(argv)
    if args.project:
        print(projection())
        return 0
    if args.child:
        _child(args)
        return 0
    from ember.distributed.launch import find_launcher

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for ranks in args.ranks:
            out = os.path.join(tmp, f"r{ranks}.json")
            cmd = [sys.executable, "-m", "benchmarks.bench_distributed", "--child", "--out", out,
                   "--steps", str(args.steps), "--batch", str(args.batch),
                   "--networks", *args.networks]
            if ranks > 1:
                cmd = [find_launcher(), "-n", str(ranks)] + cmd
            subprocess.run(cmd, check=True, env=env)
            with open(out) as f:
                runs[ranks] = json.load(f)
    print(_table(runs))
    print()
    print(_sweep_table(runs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
