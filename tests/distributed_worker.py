"""Scripts the distributed tests run under ``mpiexec -n N`` (and once as a single process).

``python distributed_worker.py MODE OUT [ARGS]``: MODE "dense" trains the MNIST dense network
("bn" a convnet with SyncBatchNormalization) on a fixed subset (per-rank batch ``b``; a
single process given ``--batch N*b`` sees the same samples) and rank 0 writes the weights to
OUT; "fail" raises on rank 1 while rank 0 waits in an allreduce; "shuffle" writes each rank's
sample ids per epoch.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import ember as em


def mnist_subset(n: int) -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = em.datasets.mnist.load_data()
    return (x[:n] / 255.0).astype(np.float32), y[:n].astype(np.int64)


def _network(kind: str):  # noqa: ANN202
    if kind == "dense":
        return em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                              em.layers.Dense(64, activation="relu"),
                              em.layers.Dense(10, activation="softmax")])
    return em.Sequential([em.layers.Reshape((28, 28, 1), input_shape=(28, 28)),
                          em.layers.Conv2D(4, 3, strides=2),
                          em.distributed.SyncBatchNormalization(momentum=0.5),
                          em.layers.Activation("relu"),
                          em.layers.MaxPooling2D(2), em.layers.Flatten(),
                          em.layers.Dense(10, activation="softmax")])


def dense(args: argparse.Namespace) -> None:
    em.distributed.init()
    x, y = mnist_subset(args.samples)
    em.utils.set_random_seed(0)
    model = _network(args.mode)
    opt = em.distributed.DistributedOptimizer(em.optimizers.SGD(args.lr))
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if em.distributed.rank() == 1:
        em.utils.set_random_seed(123)  # rank 1 starts elsewhere: the broadcast must fix it
        for w in model.weights:
            w.data[...] = 0.5
    history = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, shuffle=False,
                        verbose=0)
    weights = [w.numpy() for w in model.weights]
    gathered = em.distributed.comm._comm()
    if gathered is not None and em.distributed.size() > 1:
        others = gathered.gather(weights, root=0)
    else:
        others = [weights]
    if em.distributed.is_main():
        spread = max(float(np.abs(a - b).max()) for o in others for a, b in zip(o, weights))
        np.savez(args.out, *weights)
        with open(args.out + ".json", "w") as f:
            json.dump({"loss": history.history["loss"], "spread": spread,
                       "size": em.distributed.size()}, f)


def resume(args: argparse.Namespace) -> None:
    """Momentum SGD with shuffling and a BackupAndRestore in ``--backup`` (kept at the end)."""
    em.distributed.init()
    x, y = mnist_subset(args.samples)
    em.utils.set_random_seed(0)
    model = _network("dense")
    opt = em.distributed.DistributedOptimizer(em.optimizers.SGD(args.lr, momentum=0.9))
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    cb = [em.callbacks.BackupAndRestore(args.backup, delete_checkpoint=False)] \
        if args.backup else []
    history = model.fit(x, y, batch_size=args.batch, epochs=args.epochs, callbacks=cb,
                        verbose=0)
    if em.distributed.is_main():
        np.savez(args.out, *[w.numpy() for w in model.weights])
        with open(args.out + ".json", "w") as f:
            json.dump({"loss": history.history["loss"], "iterations": opt.iterations}, f)


def custom(args: argparse.Namespace) -> None:
    """A hand-written loop: this rank's slice of each global batch, allreduce_gradients."""
    em.distributed.init()
    x, y = mnist_subset(args.samples)
    em.utils.set_random_seed(0)
    model = _network("dense")
    model.build((None, 28, 28))
    em.distributed.broadcast_weights(model)
    opt = em.optimizers.SGD(args.lr)
    loss_fn = em.losses.SparseCategoricalCrossentropy()
    r, n, b = em.distributed.rank(), em.distributed.size(), args.batch
    params = model.trainable_weights
    for _ in range(args.epochs):
        for start in range(0, len(x), n * b):
            part = slice(start + r * b, start + (r + 1) * b)
            loss = loss_fn(em.tensor(y[part]), model(em.tensor(x[part]), training=True))
            for p in params:
                p.grad = None
            loss.backward()
            grads = em.distributed.allreduce_gradients([p.grad for p in params])
            opt.apply_gradients(zip(grads, params))
    if em.distributed.is_main():
        np.savez(args.out, *[w.numpy() for w in model.weights])


def fail(args: argparse.Namespace) -> None:
    em.distributed.init()
    if em.distributed.rank() == 1:
        time.sleep(0.2)
        raise ValueError("rank one broke on purpose")
    em.distributed.allreduce(np.ones(3))  # rank 0 would wait here forever without the abort
    time.sleep(60)


def shuffle(args: argparse.Namespace) -> None:
    em.distributed.init()
    n = args.samples
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    y = np.zeros((n, 1), np.float32)
    seen: list[list[float]] = []

    class Record(em.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append([])

    model = em.Sequential([em.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer=em.distributed.DistributedOptimizer("sgd"), loss="mse")
    real_step = model._trainer.train_step

    def step(xb, yb, sb):
        seen[-1].extend(xb[0][:, 0].tolist())
        return real_step(xb, yb, sb)

    model._trainer.train_step = step
    model.fit(x, y, batch_size=args.batch, epochs=args.epochs, callbacks=[Record()], verbose=0)
    comm = em.distributed.comm._comm()
    every = comm.gather(seen, root=0) if comm is not None else [seen]
    if em.distributed.is_main():
        with open(args.out, "w") as f:
            json.dump(every, f)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["dense", "bn", "fail", "shuffle", "resume", "custom"])
    parser.add_argument("out")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--backup", default=None)
    a = parser.parse_args()
    {"dense": dense, "bn": dense, "fail": fail, "shuffle": shuffle,
     "resume": resume, "custom": custom}[a.mode](a)
