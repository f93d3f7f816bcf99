"""Per-op overhead: forward + backward of small ops in ember, raw NumPy and PyTorch, same run.

    python benchmarks/bench_ops.py [--repeat 7] [--number 2000] [--size 32x128]

At batch 32 the cost that matters is the Python around each op, not the arithmetic; this
measures it. NumPy's column is the bare array work (the floor); PyTorch's is the same op with
its autograd. Prints medians of ``repeat`` timings of ``number`` calls, in microseconds per call.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable

import numpy as np

import ember as em


def _cases(x: em.Tensor, w: em.Tensor, xn: np.ndarray, wn: np.ndarray, tx, tw) -> dict:
    """name -> (ember fn, numpy fn, torch fn); each does forward + backward of one op."""
    g = np.ones_like(xn)
    gm = np.ones((xn.shape[0], wn.shape[1]), dtype=xn.dtype)

    def ember_unary(f: Callable) -> Callable:
        def run() -> None:
            x.grad = None
            f(x).backward(em.ones_like(x))
        return run

    def torch_unary(f: Callable) -> Callable:
        tg = None

        def run() -> None:
            nonlocal tg
            tx.grad = None
            out = f(tx)
            if tg is None:
                tg = __import__("torch").ones_like(out)
            out.backward(tg)
        return run

    cases = {
        "add": (ember_unary(lambda t: t + t), lambda: (xn + xn, g + g),
                torch_unary(lambda t: t + t)),
        "mul": (ember_unary(lambda t: t * t), lambda: (xn * xn, g * xn + g * xn),
                torch_unary(lambda t: t * t)),
        "exp": (ember_unary(lambda t: t.exp()), lambda: (lambda e: (e, g * e))(np.exp(xn)),
                torch_unary(lambda t: t.exp())),
        "relu": (ember_unary(lambda t: t.relu()),
                 lambda: (np.maximum(xn, 0), g * (xn > 0)), torch_unary(lambda t: t.relu())),
        "sum": (lambda: (setattr(x, "grad", None), x.sum().backward()),
                lambda: (xn.sum(), np.broadcast_to(np.float32(1), xn.shape).copy()),
                lambda: (setattr(tx, "grad", None), tx.sum().backward())),
        "matmul": (lambda: (setattr(x, "grad", None), setattr(w, "grad", None),
                            (x @ w).backward(em.tensor(gm))),
                   lambda: (xn @ wn, gm @ wn.T, xn.T @ gm),
                   None),
    }
    if tx is not None:
        import torch

        tgm = torch.tensor(gm)
        cases["matmul"] = (*cases["matmul"][:2],
                           lambda: (setattr(tx, "grad", None), setattr(tw, "grad", None),
                                    (tx @ tw).backward(tgm)))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--size", default="32x128")
    args = parser.parse_args()
    n, d = (int(v) for v in args.size.split("x"))
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((n, d)).astype(np.float32)
    wn = rng.standard_normal((d, d)).astype(np.float32)
    x = em.tensor(xn, requires_grad=True)
    w = em.tensor(wn, requires_grad=True)
    try:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        tx = torch.tensor(xn, requires_grad=True)
        tw = torch.tensor(wn, requires_grad=True)
        threads = torch.get_num_threads()
    except ImportError:
        tx = tw = None
        threads = "n/a"
    cases = _cases(x, w, xn, wn, tx, tw)
    print(f"forward + backward per call, tensors {n}x{d} float32, median of {args.repeat} x "
          f"{args.number} calls; torch threads: {threads}")
    print("| op | ember (µs) | NumPy (µs) | PyTorch (µs) | ember / PyTorch |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (fe, fn, ft) in cases.items():
        times = {"ember": [], "numpy": [], "torch": []}
        for _ in range(args.repeat):  # interleaved: A B C A B C ...
            for key, f in (("ember", fe), ("numpy", fn), ("torch", ft)):
                if f is not None:
                    times[key].append(timeit.timeit(f, number=args.number) / args.number * 1e6)
        med = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
        ratio = med["ember"] / med["torch"] if times["torch"] else float("nan")
        print(f"| {name} | {med['ember']:.1f} | {med['numpy']:.1f} | {med['torch']:.1f} | "
              f"{ratio:.2f} |")


if __name__ == "__main__":
    main()
