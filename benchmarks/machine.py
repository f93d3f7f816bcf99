"""What the numbers were measured on: CPU, cores, load, NumPy/BLAS, library versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform's guess elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def load() -> dict:
    """1, 5 and 15-minute load averages and the number of running processes."""
    info: dict = {}
    try:
        info["loadavg"] = list(os.getloadavg())
        with open("/proc/loadavg") as f:
            info["running/total"] = f.read().split()[3]
    except OSError:
        pass
    return info


def numpy_blas() -> dict:
    """NumPy's build: BLAS/LAPACK names and versions, SIMD features, thread pools now."""
    import numpy as np

    info: dict = {"numpy": np.__version__}
    try:
        config = np.show_config(mode="dicts")
        deps = config.get("Build Dependencies", {})
        info["blas"] = {k: deps.get("blas", {}).get(k) for k in ("name", "version", "openblas "
                                                                   "configuration")}
        info["lapack"] = deps.get("lapack", {}).get("name")
        simd = config.get("SIMD Extensions", {})
        info["simd_found"] = simd.get("found")
    except Exception as e:  # older NumPy: no dict mode; keep going
        info["blas"] = f"unknown ({type(e).__name__})"
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: i.get(k) for k in ("user_api", "internal_api", "num_threads", "version",
                                   "architecture")} for i in threadpool_info()]
    except ImportError:
        pass
    return info


def describe() -> dict:
    """Everything the report records about this machine."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2**20  # GiB
    except (OSError, ValueError, IndexError):
        pass
    env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                          "MKL_NUM_THREADS")}
    return {
        "cpu": cpu_model(), "logical_cores": os.cpu_count(), "usable_cores": usable,
        "memory_gib": mem, "platform": platform.platform(),
        "python": platform.python_version(), **numpy_blas(),
        "versions": {**{d: _version(d) for d in ("torch", "scikit-learn", "ember",
                                                 "threadpoolctl", "keras", "jax", "jaxlib",
                                                 "numba")},
                     # the CPU build installs as tensorflow-cpu, the default one as tensorflow
                     "tensorflow": _version("tensorflow-cpu") or _version("tensorflow")},
        "parent_thread_env": env, **load(),
    }
