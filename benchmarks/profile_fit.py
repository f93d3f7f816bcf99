"""Where ember's time goes in one training epoch, beyond the hand-written NumPy floor.

    python -m benchmarks.profile_fit [--workload dense] [--steps N] [--threads 1] [--top 30]
                                     [--out DIR] [--data DIR]

Runs the benchmark's ember ``fit`` (the same network, batch and optimizer as the suite) under
cProfile and prints the functions by own time and by cumulative time, plus the per-step cost
next to the NumPy loop's. cProfile inflates Python-heavy code (about 2x here), so the
absolute times are only indicative; the ranking is what to read. For a sampling profile with
no such bias, run the same under py-spy::

    py-spy record -o profile.svg -- python -m benchmarks.profile_fit --no-cprofile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_fit",
                                description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="dense", choices=["dense", "convnet", "lstm"])
    p.add_argument("--steps", type=int, default=None, help="steps (default: one epoch; "
                   "convnet 200, lstm 100)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--data", default=None)
    p.add_argument("--out", default=None, help="also write the .prof and the text here")
    p.add_argument("--no-cprofile", action="store_true", help="just run (for py-spy)")
    args = p.parse_args(argv)
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        # the BLAS pool size is fixed when NumPy loads: re-exec with the environment set
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads),
                   OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks.profile_fit",
                                   *(sys.argv[1:] if argv is None else argv)], env)

    from benchmarks.contenders import ember_fit, numpy_loop
    from benchmarks.data import cache_mnist, find_mnist, load_cached
    from benchmarks.run import BATCH

    source = find_mnist(args.data)
    if source is None:
        print("profile_fit: MNIST not found", file=sys.stderr)
        return 2
    steps = args.steps or {"dense": None, "convnet": 200, "lstm": 100}[args.workload]
    with tempfile.TemporaryDirectory() as cache:
        cache_mnist(source, Path(cache))
        data = load_cached(cache)
    spec = {"workload": args.workload, "seed": 0, "epochs": 1, "steps": steps,
            "batch": BATCH[args.workload], "threads": args.threads}
    profiler = cProfile.Profile()
    record: dict = {}

    class Timed:
        def __call__(self):
            return self

        def __enter__(self):
            self.start = time.perf_counter()
            if not args.no_cprofile:
                profiler.enable()
            return self

        def __exit__(self, *exc):
            profiler.disable()
            record["time_s"] = time.perf_counter() - self.start

    result = ember_fit.run(spec, data, Timed())
    n_steps = result["images"] // spec["batch"]
    lines = [f"ember fit, {args.workload}, {n_steps} steps, {args.threads} thread(s): "
             f"{record['time_s']:.2f} s{'' if args.no_cprofile else ' under cProfile'} = "
             f"{record['time_s'] / n_steps * 1e6:.0f} µs/step; accuracy "
             f"{result['accuracy'] * 100:.2f} %"]
    if args.workload == "dense":
        floor: dict = {}

        class Floor(Timed):
            def __enter__(self):
                self.start = time.perf_counter()
                return self

            def __exit__(self, *exc):
                floor["time_s"] = time.perf_counter() - self.start

        numpy_loop.run(spec, data, Floor())
        lines.append(f"NumPy loop (floor), same steps: {floor['time_s']:.2f} s = "
                     f"{floor['time_s'] / n_steps * 1e6:.0f} µs/step")
    if not args.no_cprofile:
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).strip_dirs().sort_stats(key).print_stats(
                args.top)
            lines += ["", f"--- by {key} ---", buf.getvalue()]
    text = "\n".join(lines)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"profile_{args.workload}.txt").write_text(text)
        if not args.no_cprofile:
            profiler.dump_stats(out / f"profile_{args.workload}.prof")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
