"""Convolution and pooling kernels, forward + backward, ember against PyTorch in the same run.

    python benchmarks/bench_kernels.py [--repeats 20] [--threads N] [--breakdown]

The cases are the Keras MNIST convnet's hot ops at batch 32: the first conv (28x28x1 -> 32,
3x3, no input gradient, as a network's first layer), the second conv (13x13x32 -> 64, 3x3, with
input gradient), each with its relu as in the network (ember: fused into the conv node, as
``Conv2D(activation="relu")`` runs it), and 2x2 max-pooling of (32, 26, 26, 32). PyTorch runs
its own layout (NCHW) with as many threads as NumPy's BLAS uses here. Cases alternate
ember/torch in every round so that drift on the machine hits both alike, with a short idle
before each timed block so that one library's spinning worker threads do not slow the other;
the table prints medians and ember/torch ratios.
``--threads N`` pins both to N threads (on a shared, busy machine a 2-thread BLAS waits for
the busier core, and ``--threads 1`` gives the steadier comparison). ``--breakdown`` also times
the pieces of ember's second conv (patch copy, GEMMs, col2im).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import ember as em
from ember.ops.conv import add_windows, conv2d
from ember.ops.pool import max_pool2d


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def ember_cases(rng: np.random.Generator) -> dict:
    def conv_case(x_shape, k_shape, x_grad):
        x = em.tensor(rng.standard_normal(x_shape, dtype=np.float32), requires_grad=x_grad)
        k = em.tensor(rng.standard_normal(k_shape, dtype=np.float32) * 0.1, requires_grad=True)
        b = em.zeros(k_shape[-1], requires_grad=True)
        g = em.tensor(rng.standard_normal(
            (x_shape[0], x_shape[1] - 2, x_shape[2] - 2, k_shape[-1]), dtype=np.float32))

        def step():
            x.grad = k.grad = b.grad = None
            conv2d(x, k, b, relu=True).backward(g)
        return step

    xp = em.tensor(rng.standard_normal((32, 26, 26, 32), dtype=np.float32), requires_grad=True)
    gp = em.tensor(rng.standard_normal((32, 13, 13, 32), dtype=np.float32))

    def pool_step():
        xp.grad = None
        max_pool2d(xp).backward(gp)

    return {
        "conv2d+relu 28x28x1->32 (no dx)": conv_case((32, 28, 28, 1), (3, 3, 1, 32), False),
        "conv2d+relu 13x13x32->64": conv_case((32, 13, 13, 32), (3, 3, 32, 64), True),
        "max_pool2d 2x2 (32,26,26,32)": pool_step,
    }


def torch_cases(torch, rng: np.random.Generator) -> dict:
    F = torch.nn.functional

    def conv_case(x_shape, w_shape, x_grad):
        x = torch.tensor(rng.standard_normal(x_shape, dtype=np.float32), requires_grad=x_grad)
        w = torch.tensor(rng.standard_normal(w_shape, dtype=np.float32) * 0.1,
                         requires_grad=True)
        b = torch.zeros(w_shape[0], requires_grad=True)
        g = torch.tensor(rng.standard_normal(
            (x_shape[0], w_shape[0], x_shape[2] - 2, x_shape[3] - 2), dtype=np.float32))

        def step():
            x.grad = w.grad = b.grad = None
            F.relu(F.conv2d(x, w, b)).backward(g)
        return step

    xp = torch.tensor(rng.standard_normal((32, 32, 26, 26), dtype=np.float32), requires_grad=True)
    gp = torch.tensor(rng.standard_normal((32, 32, 13, 13), dtype=np.float32))

    def pool_step():
        xp.grad = None
        F.max_pool2d(xp, 2).backward(gp)

    return {
        "conv2d+relu 28x28x1->32 (no dx)": conv_case((32, 1, 28, 28), (32, 1, 3, 3), False),
        "conv2d+relu 13x13x32->64": conv_case((32, 32, 13, 13), (64, 32, 3, 3), True),
        "max_pool2d 2x2 (32,26,26,32)": pool_step,
    }


def timed(fn, inner: int) -> float:
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner * 1e3


def breakdown(rng: np.random.Generator, repeats: int) -> None:
    """The pieces of ember's 13x13x32 -> 64 conv step, on raw arrays."""
    x = rng.standard_normal((32, 13, 13, 32), dtype=np.float32)
    w2 = rng.standard_normal((288, 64), dtype=np.float32)
    g2 = rng.standard_normal((32 * 11 * 11, 64), dtype=np.float32)
    view = np.lib.stride_tricks.as_strided(
        x, (32, 11, 11, 3, 3, 32), x.strides[:3] + x.strides[1:3] + x.strides[3:])
    p = np.ascontiguousarray(view).reshape(-1, 288)
    wd = w2.reshape(3, 3, 32, 64)
    buf = np.empty((len(g2), 32), np.float32)
    dx = np.zeros_like(x)
    out, bias = p @ w2, np.zeros(64, np.float32)

    def offset_gemms():
        for i in range(3):
            for j in range(3):
                np.matmul(g2, wd[i, j].T, out=buf)

    pieces = {
        "patch copy": lambda: np.ascontiguousarray(view),
        "forward GEMM P @ W": lambda: p @ w2,
        "bias add": lambda: np.add(out, bias, out=out),
        "dkernel GEMM P^T @ g": lambda: p.T @ g2,
        "dbias (ones @ g)": lambda: np.ones(len(g2), np.float32) @ g2,
        "dx: 9 GEMMs + strided adds": lambda: add_windows(dx, g2, wd, (11, 11), (1, 1), (1, 1)),
        "  of which the 9 GEMMs": offset_gemms,
        "(one GEMM g @ W^T, for scale)": lambda: g2 @ w2.T,
    }
    print("\nember conv2d 13x13x32->64 step, by piece (median ms):")
    for name, fn in pieces.items():
        fn()
        ms = statistics.median(timed(fn, 5) for _ in range(repeats))
        print(f"  {name:30s} {ms:7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="BLAS and torch threads")
    parser.add_argument("--repeats", type=int, default=20, help="rounds (median taken)")
    parser.add_argument("--inner", type=int, default=5, help="calls per timed sample")
    parser.add_argument("--settle", type=float, default=0.15,
                        help="seconds of idle before each timed block")
    parser.add_argument("--breakdown", action="store_true", help="time conv2d's pieces")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    import torch

    threads = blas_threads()
    torch.set_num_threads(threads)
    print(f"threads: ember (NumPy BLAS) {threads}, torch {torch.get_num_threads()}; "
          f"numpy {np.__version__}, torch {torch.__version__}")
    ours = ember_cases(np.random.default_rng(0))
    theirs = torch_cases(torch, np.random.default_rng(0))
    times: dict = {name: ([], []) for name in ours}
    for name in ours:  # warm-up
        for _ in range(3):
            ours[name]()
            theirs[name]()
    for _ in range(args.repeats):
        for name in ours:
            for side, fn in enumerate((ours[name], theirs[name])):
                # Let the other library's idle BLAS/OpenMP threads stop spinning (OpenBLAS
                # spins ~0.1 s after a call): they would otherwise steal these 2 cores.
                time.sleep(args.settle)
                fn()
                times[name][side].append(timed(fn, args.inner))
    print(f"\nforward + backward, batch 32, median of {args.repeats} x {args.inner} calls:")
    print(f"{'case':32s} {'ember ms':>9s} {'torch ms':>9s} {'ember/torch':>12s}")
    for name, (e, t) in times.items():
        me, mt = statistics.median(e), statistics.median(t)
        print(f"{name:32s} {me:9.3f} {mt:9.3f} {me / mt:12.2f}")
    if args.breakdown:
        breakdown(np.random.default_rng(1), args.repeats)


if __name__ == "__main__":
    main()
