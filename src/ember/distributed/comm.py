"""The process group: MPI through mpi4py, or one process when there is no MPI.

``init()`` is idempotent. Under ``mpirun -n N`` it joins MPI's world communicator; without
mpi4py, or launched as a plain ``python train.py``, every call below behaves as in a world of
one process (``rank() == 0``, ``size() == 1``, collectives return their input), so a script
written for N processes runs unchanged on one.

A failing rank must not leave the others waiting forever in a collective: ``init`` installs an
exception hook that prints the traceback (prefixed with the rank) and calls ``MPI_Abort``, which
makes the launcher end every process of the job.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import numpy as np

_LAUNCHER_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_LOCAL_RANK_VARS = ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK",
                    "SLURM_LOCALID")


class _World:
    comm: Any = None     # mpi4py's COMM_WORLD, or None for one process
    mpi: Any = None      # the mpi4py.MPI module
    initialized = False


_world = _World()


def _launched_with_several() -> bool:
    for var in _LAUNCHER_SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 1:
            return True
    return False


def init(abort_on_error: bool = True, blas_threads: Any = "auto") -> None:
    """Join the MPI job (once; later calls do nothing).

    Args:
        abort_on_error: end the whole job with ``MPI_Abort`` when this process raises an
            uncaught exception (after printing its traceback), so the others do not hang.
        blas_threads: BLAS threads per process. "auto": the machine's cores divided by the
            processes on it, unless OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS
            is set (measured: two ranks on two cores, each with two BLAS threads and MPI
            spinning while it waits, ran the MNIST dense step 17x slower than with one thread
            each); an int sets it; None leaves it alone. Only with several processes.

    Example:
        >>> import ember as em
        >>> em.distributed.init()
        >>> em.distributed.rank(), em.distributed.size()   # (0, 1) without mpirun
        (0, 1)
    """
    if blas_threads not in ("auto", None) and (isinstance(blas_threads, bool) or not
                                               isinstance(blas_threads, int) or blas_threads < 1):
        raise ValueError(f"ember.distributed.init: blas_threads must be 'auto', None or a "
                         f"positive int; got {blas_threads!r}")
    if _world.initialized:
        return
    try:
        from mpi4py import MPI
    except ImportError:
        if _launched_with_several():
            raise ImportError("ember.distributed: this process was started by an MPI launcher "
                              "with several processes but mpi4py is not installed; install "
                              "the extra: pip install 'ember[distributed]'") from None
        _world.initialized = True
        return
    _world.mpi = MPI
    _world.comm = MPI.COMM_WORLD
    _world.initialized = True
    if _world.comm.Get_size() > 1:
        if abort_on_error:
            _install_abort_hook()
        _limit_blas_threads(blas_threads)


def _limit_blas_threads(blas_threads: Any) -> None:
    if blas_threads is None:
        return
    if blas_threads == "auto":
        if any(os.environ.get(v) for v in _THREAD_VARS):
            return
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
        node = _world.comm.Split_type(_world.mpi.COMM_TYPE_SHARED)
        try:
            blas_threads = max(1, cores // node.Get_size())
        finally:
            node.Free()
    from ember import blas

    blas.set_threads(blas_threads)


def _install_abort_hook() -> None:
    previous = sys.excepthook

    def abort_job(kind: type, value: BaseException, tb: Any) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        prefix = f"[rank {rank()}] "
        sys.stderr.write("".join(prefix + line + "\n" for line in text.rstrip().split("\n")))
        sys.stderr.write(f"{prefix}ember.distributed: aborting the job (MPI_Abort)\n")
        sys.stderr.flush()
        sys.stdout.flush()
        if _world.comm is None:
            previous(kind, value, tb)
            return
        _world.comm.Abort(1)

    sys.excepthook = abort_job


def _comm() -> Any:
    if not _world.initialized:
        init()
    return _world.comm


def is_initialized() -> bool:
    """True once ``init()`` has run."""
    return _world.initialized


def rank() -> int:
    """This process's index in the job, 0 .. size() - 1 (0 without MPI)."""
    comm = _comm()
    return 0 if comm is None else comm.Get_rank()


def size() -> int:
    """The number of processes in the job (1 without MPI)."""
    comm = _comm()
    return 1 if comm is None else comm.Get_size()


def local_rank() -> int:
    """This process's index among the processes on its machine: the GPU it should use
    (``model.to(f"cuda:{em.distributed.local_rank()}")``)."""
    comm = _comm()
    if comm is None or comm.Get_size() == 1:
        return 0
    for var in _LOCAL_RANK_VARS:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    node = comm.Split_type(_world.mpi.COMM_TYPE_SHARED)
    try:
        return node.Get_rank()
    finally:
        node.Free()


def is_main() -> bool:
    """True on rank 0, the process that prints, checkpoints and saves."""
    return rank() == 0


def barrier() -> None:
    """Wait until every process reaches this call."""
    comm = _comm()
    if comm is not None and comm.Get_size() > 1:
        comm.Barrier()


def _check_root(root: int, who: str) -> None:
    if not isinstance(root, (int, np.integer)) or not 0 <= root < size():
        raise ValueError(f"{who}: root must be a rank in [0, {size() - 1}]; got {root!r}")


def broadcast(value: Any, root: int = 0) -> Any:
    """``value`` from rank ``root`` on every process.

    A NumPy array is sent in place (every rank passes an array of the same shape and dtype
    and gets root's values in it); anything else (numbers, dicts of arrays, strings) is
    pickled by mpi4py and returned.

    Example::

        seed = em.distributed.broadcast(int(time.time()))   # rank 0's clock everywhere
    """
    _check_root(root, "broadcast")
    comm = _comm()
    if comm is None or comm.Get_size() == 1:
        return value
    if isinstance(value, np.ndarray) and value.flags.c_contiguous:
        comm.Bcast(value, root=root)
        return value
    return comm.bcast(value, root=root)


_OPS = ("sum", "mean", "max", "min")


def allreduce(value: Any, op: str = "mean") -> Any:
    """``value`` combined over all processes: ``op`` is "mean" (default), "sum", "max" or "min".

    A NumPy array is reduced into a new array of its dtype; a number gives a float (or an
    int for "sum"/"max"/"min" of ints).

    Example:
        >>> import numpy as np
        >>> import ember as em
        >>> em.distributed.allreduce(np.array([1.0, 2.0]))   # the mean over the ranks
        array([1., 2.])
    """
    if op not in _OPS:
        raise ValueError(f"allreduce: op must be one of {_OPS}; got {op!r}")
    comm = _comm()
    scalar = not isinstance(value, np.ndarray)
    arr = np.array(value, copy=True) if scalar else np.ascontiguousarray(value).copy()
    if arr.dtype == object:
        raise TypeError(f"allreduce: expected a number or a NumPy array; got "
                        f"{type(value).__name__}")
    if comm is not None and comm.Get_size() > 1:
        mpi = _world.mpi
        mpi_op = {"sum": mpi.SUM, "mean": mpi.SUM, "max": mpi.MAX, "min": mpi.MIN}[op]
        comm.Allreduce(mpi.IN_PLACE, arr, op=mpi_op)
    if op == "mean":
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float64)
        arr /= size()
    return arr.item() if scalar else arr


def allreduce_inplace_sum(buffer: np.ndarray) -> None:
    """Sum a contiguous NumPy buffer over all processes, in place (the gradient buckets)."""
    comm = _comm()
    if comm is not None and comm.Get_size() > 1:
        comm.Allreduce(_world.mpi.IN_PLACE, buffer, op=_world.mpi.SUM)
