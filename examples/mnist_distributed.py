"""The MNIST dense network, data-parallel: ``mpirun -n 2 python examples/mnist_distributed.py``
(or ``ember launch -n 2 examples/mnist_distributed.py``); ``python examples/...`` runs it as
one process. Against the one-process script, the lines marked ``# distributed`` are new.

``--small`` trains on 2,000 images for 2 epochs (what the tests run).
"""

from __future__ import annotations

import argparse
import os

import ember as em


def main(small: bool = False, out: str = "runs/mnist_distributed") -> dict:
    em.distributed.init()                                                  # distributed
    (x, y), (x_test, y_test) = em.datasets.mnist.load_data()
    if small:
        x, y, x_test, y_test = x[:2000], y[:2000], x_test[:500], y_test[:500]
    x, x_test = x / 255.0, x_test / 255.0
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                           em.layers.Dense(128, activation="relu"),
                           em.layers.Dense(10, activation="softmax")])
    opt = em.optimizers.SGD(0.05 * em.distributed.size(), momentum=0.9)  # lr x processes
    opt = em.distributed.DistributedOptimizer(opt)                         # distributed
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    os.makedirs(out, exist_ok=True)
    callbacks = [em.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
                 em.callbacks.ModelCheckpoint(os.path.join(out, "best.ember"),
                                              save_best_only=True)]
    model.fit(x, y, batch_size=64, epochs=2 if small else 10, validation_split=0.1,
              callbacks=callbacks, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    if em.distributed.is_main():                                           # distributed
        model.save(os.path.join(out, "mnist.ember"))
        print(f"test accuracy {accuracy:.4f} on {em.distributed.size()} process(es)")
    return {"accuracy": accuracy, "loss": loss}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--out", default="runs/mnist_distributed")
    args = parser.parse_args()
    main(args.small, args.out)
