"""Data-parallel training on MPI, Horovod-style (``pip install 'ember[distributed]'``).

Each process holds a replica of the model and trains on its own shard of the data; gradients
are averaged over the processes with bucketed allreduces before every update. A script for
one process needs three changes::

    import ember as em

    em.distributed.init()                                          # 1
    model = em.Sequential([...])
    opt = em.optimizers.SGD(0.01 * em.distributed.size())          # scale the rate, as usual
    opt = em.distributed.DistributedOptimizer(opt)                 # 2
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=5)   # sharded, averaged logs, rank 0 prints
    if em.distributed.is_main():                                   # 3
        model.save("mnist.ember")

and runs with ``mpirun -n 4 python train.py`` or ``ember launch -n 4 train.py``. Without MPI,
or as one process, it runs unchanged. See docs/distributed.md.
"""

from ember.distributed.comm import (
    allreduce,
    barrier,
    broadcast,
    init,
    is_initialized,
    is_main,
    local_rank,
    rank,
    size,
)
from ember.distributed.optimizer import (
    DistributedOptimizer,
    allreduce_gradients,
    broadcast_parameter,
    is_distributed,
)
from ember.distributed.sync_batchnorm import SyncBatchNormalization


def broadcast_weights(model, root: int = 0) -> None:  # noqa: ANN001
    """Overwrite ``model``'s weights with rank ``root``'s (for custom training loops).

    Example::

        em.distributed.broadcast_weights(model)   # after building, before the first step
    """
    for w in model.weights:
        broadcast_parameter(w, root=root)


__all__ = ["init", "is_initialized", "rank", "size", "local_rank", "is_main", "barrier",
           "broadcast", "allreduce", "allreduce_gradients", "DistributedOptimizer",
           "broadcast_parameter", "broadcast_weights", "is_distributed",
           "SyncBatchNormalization"]
