"""NumPy's BLAS thread count, read and set for one product at the cost of a C call.

Why ember touches it: a training step's small products (a batch of 32 times a Dense kernel)
gain little from a second BLAS thread, and they cost more than they gain. A product run on
two cores leaves the kernel's cache lines shared by both; the optimizer then rewrites the
kernel in place on one core and must first take every line back from the other. Measured on
the MNIST dense network (2 cores): Adam on the 784x128 kernel took 340 us per step after a
two-thread forward product and 235 us after a one-thread one, while the two-thread product
saved only ~15 us.

The gain only exists for a small model: a larger kernel is fetched faster by two cores, and
the step's products then outweigh the shared lines. Measured (in-process A/B, us per step):
the dense network 775 -> 687 (batch 32) and 845 -> 765 (batch 64); 1022 -> 1028 at batch
128; the convnet's 1600x128 Dense 3 % slower and a 784-512-512-10 network 7 % slower on one
thread. The threshold was first a quarter of one core's L2, which put the dense network's
407 KB on two threads on an AMD EPYC with 1 MiB of L2, where one thread trains it 43 % faster
(30,000 images 0.90 -> 0.51 s); on an Intel Xeon with 2 MiB, one thread and two train it
equally (0.40 and 0.42 s, half the CPU time on one). Hence ``one_thread_pays``: a batch under
128 rows and trainable weights within 512 KiB, whatever the cache.

A recurrent layer reuses its kernels at every timestep (28 products forward and 56 backward
per step for the LSTM over image rows), so its step's products outweigh the one update, and
the trainer leaves it the library's threads: on the Intel Xeon the LSTM benchmark's 6,000
images took 0.85 s on one thread and 0.71 s on two (``python -m
benchmarks.bench_blas_threads``); on the AMD EPYC 1.33 against 1.42 s in one run and 1.58
against 1.15 s in another.

Nothing here runs at ``import ember``, and no op switches threads. The trainer applies the
rule around a whole training step (``one_thread`` around forward, backward and update) when
the batch is small and all trainable weights together fit the rule; inference, and any
product outside a training step, keeps the library's setting.

Only NumPy's own OpenBLAS is controlled (the library NumPy's wheels ship, or a system
OpenBLAS); with any other BLAS, or none found, these functions do nothing and products run as
the library decides. The thread count is process-wide: ``one_thread`` counts the blocks inside
it (nested, or in several Python threads at once), sets one thread when the first one enters
and puts the previous count back when the last one leaves.

Example:
    >>> import numpy as np
    >>> from ember import blas
    >>> a = np.ones((32, 64), np.float32)
    >>> float(blas.one_thread_matmul(a, a.T)[0, 0])
    64.0
"""

from __future__ import annotations

import ctypes
import glob
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ember.backend import numpy_module

numpy = numpy_module()  # NumPy's own BLAS is the one controlled here (host-side by nature)
_SET_NAMES = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
              "openblas_set_num_threads64_", "openblas_set_num_threads")
_GET_NAMES = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
              "openblas_get_num_threads64_", "openblas_get_num_threads")

SMALL_ROWS = 128  # products with fewer rows than this gain little from a second thread
SMALL_WEIGHTS = 512 * 2**10  # trainable bytes up to which one thread pays (measured, above)

_get: Any = None
_set: Any = None
_found = False
_l2: int | None = None
_one_thread_lock = threading.Lock()
_one_thread_users = 0
_one_thread_saved: int | None = None


def _candidate_paths() -> list[str]:
    """OpenBLAS libraries NumPy may be using: the wheel's bundled copy first, then any
    OpenBLAS this process has loaded (Linux's memory map; a distribution's NumPy)."""
    pkg = os.path.dirname(numpy.__file__)
    paths = []
    for pattern in ("numpy.libs/*openblas*", ".dylibs/*openblas*", "*openblas*"):
        base = os.path.dirname(pkg) if pattern.startswith("numpy.libs") else pkg
        paths += sorted(glob.glob(os.path.join(base, pattern)))
    try:
        with open("/proc/self/maps") as f:
            paths += sorted(set(re.findall(r"(/\S*openblas\S*\.(?:so|dylib)\S*)", f.read())))
    except OSError:
        pass
    return paths


def _find() -> None:
    global _get, _set, _found
    _found = True
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        get = next((getattr(lib, n) for n in _GET_NAMES if hasattr(lib, n)), None)
        put = next((getattr(lib, n) for n in _SET_NAMES if hasattr(lib, n)), None)
        if get is not None and put is not None:
            get.restype = ctypes.c_int
            get.argtypes = []
            put.restype = None
            put.argtypes = [ctypes.c_int]
            _get, _set = get, put
            return


def threads() -> int | None:
    """The BLAS library's current thread count, or None when ember cannot control it."""
    if not _found:
        _find()
    return None if _get is None else int(_get())


def set_threads(n: int) -> int | None:
    """Set the BLAS thread count to ``n`` (>= 1); returns the previous count (None when ember
    cannot control the library, and then nothing changes)."""
    if n < 1:
        raise ValueError(f"blas.set_threads: the thread count must be >= 1; got {n}")
    prev = threads()
    if prev is not None and prev != n:
        _set(n)
    return prev


def l2_cache_bytes() -> int:
    """The L2 cache of one core (Linux's sysfs; 1 MiB where it cannot be read)."""
    global _l2
    if _l2 is None:
        _l2 = 2**20
        for index in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
            try:
                with open(os.path.join(index, "level")) as f:
                    if f.read().strip() != "2":
                        continue
                with open(os.path.join(index, "size")) as f:
                    text = f.read().strip().upper()
                scale = {"K": 2**10, "M": 2**20}.get(text[-1:], 1)
                _l2 = int(text.rstrip("KM")) * scale
                break
            except (OSError, ValueError):
                continue
    return _l2


def one_thread_pays(rows: int, kernel_nbytes: int) -> bool:
    """Whether a training step of ``rows`` rows whose trainable weights (``kernel_nbytes``) the
    optimizer will update in place should run on one BLAS thread (see the module's docstring
    for the measurements)."""
    return rows < SMALL_ROWS and kernel_nbytes <= SMALL_WEIGHTS


def one_thread_matmul(a: Any, b: Any) -> Any:
    """``a @ b`` computed on one BLAS thread (NumPy arrays; anything else is just ``a @ b``)."""
    if not _found:
        _find()
    if _get is None or type(a) is not numpy.ndarray:
        return a @ b
    prev = _get()
    if prev == 1:
        return a @ b
    _set(1)
    try:
        return a @ b
    finally:
        _set(prev)


@contextmanager
def one_thread(active: bool = True) -> Iterator[None]:
    """Within the block, NumPy's BLAS runs on one thread (``active=False``: changes nothing).

    Process-wide and thread-safe: the first block in sets one thread, the last one out puts
    the previous count back, also when the block raises.

    Example:
        >>> from ember import blas
        >>> before = blas.threads()
        >>> with blas.one_thread():
        ...     blas.threads() in (1, None)
        True
        >>> blas.threads() == before
        True
    """
    global _one_thread_users, _one_thread_saved
    if not active:
        yield
        return
    if not _found:
        _find()
    if _get is None:
        yield
        return
    with _one_thread_lock:
        _one_thread_users += 1
        if _one_thread_users == 1:
            prev = int(_get())
            _one_thread_saved = prev
            if prev != 1:
                _set(1)
    try:
        yield
    finally:
        with _one_thread_lock:
            _one_thread_users -= 1
            if _one_thread_users == 0:
                prev, _one_thread_saved = _one_thread_saved, None
                if prev is not None and prev != 1:
                    _set(prev)
