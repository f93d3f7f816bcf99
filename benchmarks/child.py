"""One benchmark run in its own process: ``python -m benchmarks.child '<json spec>'``.

The parent sets the thread environment (OPENBLAS/OMP/MKL_NUM_THREADS) before this process
starts, so NumPy's BLAS comes up with the right pool. The child loads the cached MNIST arrays
(untimed), runs one contender on one workload, and prints one line
``BENCH-RESULT {json}`` with the timed region's wall and CPU time, the process's peak
resident memory (VmHWM, else ``ru_maxrss``) before and after it, and what the contender returned.

``python -m benchmarks.child '[<spec>, <spec>, ...]'`` runs several specs one after the other in
this one process and prints one line per spec: for smoke tests only (one framework import for
all of them), as the peak memory then accumulates across the specs.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import sys
import time
import traceback

MARKER = "BENCH-RESULT "
MODULES = {"ember": "ember_fit", "torch": "torch_loop", "numpy": "numpy_loop",
           "sklearn": "sklearn_mlp", "ops": "ops", "keras_jax": "keras_fit",
           "keras_tf": "keras_fit"}
# the Keras backend of each Keras contender: set in the child's environment by the parent
KERAS_BACKENDS = {"keras_jax": "jax", "keras_tf": "tensorflow"}


def _maxrss_mib() -> float:
    """This process's peak resident memory so far.

    /proc's VmHWM belongs to the address space this process exec'ed into. ``ru_maxrss`` is the
    fallback only: Linux carries it over from the forked parent's image across exec, so every
    child would report at least the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


class _Timer:
    """``with timed() as t:`` measures the block once; a second use is an error (a contender
    must time exactly one region, or the numbers stop being comparable)."""

    def __init__(self, record: dict) -> None:
        self.record = record
        self.start = 0.0

    @contextlib.contextmanager
    def __call__(self):
        if "time_s" in self.record:
            raise RuntimeError("timed() used twice in one run")
        self.record["rss_before_mib"] = _rss_mib()
        self.record["peak_before_mib"] = _maxrss_mib()
        cpu0 = time.process_time()
        self.start = time.perf_counter()
        yield self
        self.record["time_s"] = time.perf_counter() - self.start
        self.record["cpu_s"] = time.process_time() - cpu0
        self.record["peak_mib"] = _maxrss_mib()


def _blas_threads() -> list:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: i.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for i in threadpool_info()]


def run(spec: dict) -> dict:
    record: dict = {"status": "ok"}
    timer = _Timer(record)
    try:
        data: tuple = ()
        if spec["workload"] != "ops":
            from benchmarks.data import load_cached

            data = load_cached(spec["data"], spec.get("n_train"), spec.get("n_test"))
        module = importlib.import_module(f"benchmarks.contenders.{MODULES[spec['contender']]}")
        from benchmarks.contenders import Unavailable

        try:
            record["result"] = module.run(spec, data, timer)
        except Unavailable as e:
            record.update(status="unavailable", reason=str(e))
    except Exception as e:  # reported, not raised: one failing contender must not end the run
        record.update(status="error", reason=f"{type(e).__name__}: {e}",
                      traceback=traceback.format_exc(limit=8))
    record["threadpools"] = _blas_threads()
    return record


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    specs = json.loads(argv[0])
    for spec in specs if isinstance(specs, list) else [specs]:
        print(MARKER + json.dumps(run(spec)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
