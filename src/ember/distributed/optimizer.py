"""Gradient averaging: ``allreduce_gradients`` and ``DistributedOptimizer``.

Gradients are packed into a few large contiguous buffers ("buckets", 25 MiB by default, as
PyTorch's DDP) and each bucket is summed with one ``MPI_Allreduce``: one call per weight
would pay the network latency once per weight (a ResNet has hundreds).

The average is weighted by each process's number of samples in the step: the gradient of a
mean loss over b_r samples, times b_r, summed and divided by the summed b_r, is the gradient of
the mean over all samples, so N processes with batch b take the same step as one process with
batch N*b (up to float summation order), even when the last batch is split unevenly.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor
from ember.distributed import comm

BUCKET_BYTES = 25 * 2 ** 20


class _Step:
    """What ``fit``'s sharded batches tell the optimizer about the current step."""

    local_samples: float = 1.0


step_info = _Step()


def _buckets(arrays: list, bucket_bytes: int) -> list[list[int]]:
    """Indices of ``arrays`` grouped into consecutive runs of one dtype, each under
    ``bucket_bytes`` (an array larger than that gets a bucket of its own)."""
    groups: list[list[int]] = []
    size = 0
    for i, a in enumerate(arrays):
        same = groups and arrays[groups[-1][0]].dtype == a.dtype
        if same and size + a.nbytes <= bucket_bytes:
            groups[-1].append(i)
            size += a.nbytes
        else:
            groups.append([i])
            size = a.nbytes
    return groups


def allreduce_gradients(grads: list, weight: float | None = None,
                        bucket_bytes: int = BUCKET_BYTES) -> list:
    """The gradients averaged over all processes, in bucketed allreduces.

    Args:
        grads: one gradient per parameter (NumPy/CuPy arrays or Tensors; None entries are
            kept as None). Every process must pass the same shapes in the same order.
        weight: this process's share (its number of samples in the step); None weighs every
            process equally.
        bucket_bytes: the largest bucket.

    Returns:
        a list like ``grads`` (arrays of the same dtype and device; Tensors for Tensors).

    Example (a custom training loop)::

        loss = loss_fn(y, model(x, training=True))
        loss.backward()
        params = model.trainable_weights
        grads = em.distributed.allreduce_gradients([p.grad for p in params])
        optimizer.apply_gradients(zip(grads, params))
    """
    if not isinstance(bucket_bytes, (int, np.integer)) or bucket_bytes < 1:
        raise ValueError(f"allreduce_gradients: bucket_bytes must be a positive integer; got "
                         f"{bucket_bytes!r}")
    present = [i for i, g in enumerate(grads) if g is not None]
    arrays = [grads[i].data if isinstance(grads[i], Tensor) else grads[i] for i in present]
    if comm.size() == 1:
        return list(grads)
    host = [np.ascontiguousarray(backend.to_numpy(a)) for a in arrays]
    w = 1.0 if weight is None else float(weight)
    out_host: list = [None] * len(host)
    total = None
    for gi, group in enumerate(_buckets(host, bucket_bytes)):
        dtype = host[group[0]].dtype
        n = sum(host[i].size for i in group)
        # the first bucket carries this process's weight in one extra element, so the summed
        # weight comes with the gradients (no separate allreduce for it)
        buf = np.empty(n + (1 if gi == 0 else 0), dtype=dtype)
        pos = 0
        for i in group:
            k = host[i].size
            np.multiply(host[i].reshape(-1), w, out=buf[pos:pos + k], casting="unsafe")
            pos += k
        if gi == 0:
            buf[-1] = w
        comm.allreduce_inplace_sum(buf)
        if gi == 0:
            total = float(buf[-1])
        buf[:n] /= dtype.type(total)
        pos = 0
        for i in group:
            k = host[i].size
            out_host[i] = buf[pos:pos + k].reshape(host[i].shape)
            pos += k
    out = list(grads)
    for j, i in enumerate(present):
        arr = out_host[j]
        if type(arrays[j]) is not np.ndarray:
            arr = backend.to_device(arr, backend.device_of(arrays[j]))
        out[i] = Tensor(arr) if isinstance(grads[i], Tensor) else arr
    return out


def _distributed_apply_pairs(self: Any, pairs: list) -> None:
    """An optimizer's ``_apply_pairs`` with the gradients averaged over the processes first."""
    if comm.size() > 1:
        if not self._dist_synced:
            # weights not broadcast by fit (a custom loop): take rank 0's before the first
            # update so the replicas agree from here on
            for p, _ in pairs:
                broadcast_parameter(p)
            self._dist_synced = True
        grads = allreduce_gradients([g for _, g in pairs], step_info.local_samples,
                                    self._dist_bucket_bytes)
        pairs = [(p, g) for (p, _), g in zip(pairs, grads)]
    type(self)._apply_pairs(self, pairs)


def broadcast_parameter(p: Any, root: int = 0) -> None:
    """Overwrite a parameter's values with rank ``root``'s (in place, any device)."""
    data = p.data
    if type(data) is np.ndarray and data.flags.c_contiguous:
        comm.broadcast(data, root=root)
        return
    host = np.ascontiguousarray(backend.to_numpy(data))
    comm.broadcast(host, root=root)
    data[...] = backend.to_device(host, backend.device_of(data))


def DistributedOptimizer(optimizer: Any, bucket_bytes: int = BUCKET_BYTES) -> Any:  # noqa: N802
    """``optimizer`` (an Optimizer or a name such as "sgd") averaging its gradients over all
    processes before each update (Horovod's ``hvd.DistributedOptimizer``).

    The same object is returned, still of its own class (saving, ``get_config`` and schedules
    work as before), with its update allreducing the gradients first. With
    ``fit``, the weights and the optimizer state are broadcast from rank 0 when training
    begins and each process trains on its own shard of the data.

    Example:
        >>> import ember as em
        >>> em.distributed.init()
        >>> opt = em.distributed.DistributedOptimizer(em.optimizers.SGD(0.01 * em.distributed.size()))
        >>> isinstance(opt, em.optimizers.SGD)
        True
    """  # noqa: E501
    from ember import optimizers

    if not isinstance(bucket_bytes, (int, np.integer)) or bucket_bytes < 1:
        raise ValueError(f"DistributedOptimizer: bucket_bytes must be a positive integer; got "
                         f"{bucket_bytes!r}")
    comm.init()
    opt = optimizers.get(optimizer)
    if not is_distributed(opt):
        # on the instance, so its class (what saving and get_config name) stays its own
        opt._apply_pairs = types.MethodType(_distributed_apply_pairs, opt)
        opt._dist_synced = False
    opt._dist_bucket_bytes = int(bucket_bytes)
    from ember.distributed import training

    training.install()
    return opt


def is_distributed(optimizer: Any) -> bool:
    """True for an optimizer returned by ``DistributedOptimizer``."""
    return "_apply_pairs" in getattr(optimizer, "__dict__", {})
