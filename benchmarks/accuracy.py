"""The accuracies the seeds quote, on the real MNIST, trained through ember's public API.

    python -m benchmarks.accuracy [--data DIR] [--models dense,convnet,lstm] [--epochs 5]

Targets (test accuracy): the dense network >= 97.5 % after 5 epochs; the Keras MNIST convnet
>= 99.0 % after at most 5 epochs; LSTM(128) reading the image row by row >= 98 % after at most 5
epochs. Prints a markdown table and writes benchmarks/results/accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import ember as em

TARGETS = {"dense": 0.975, "convnet": 0.990, "lstm": 0.980}


def build(kind: str) -> em.Model:
    """The three networks, as the seeds describe them."""
    L = em.layers
    if kind == "dense":
        layers = [L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"),
                  L.Dense(10, activation="softmax")]
    elif kind == "convnet":
        layers = [L.Reshape((28, 28, 1), input_shape=(28, 28)),
                  L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                  L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
    elif kind == "lstm":
        layers = [L.LSTM(128, input_shape=(28, 28)), L.Dense(10, activation="softmax")]
    else:
        raise ValueError(f"unknown model {kind!r}")
    model = em.Sequential(layers, name=kind)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(kind: str, data: tuple, epochs: int, batch_size: int, seed: int) -> dict:
    (x, y), (xt, yt) = data
    em.utils.set_random_seed(seed)
    model = build(kind)
    per_epoch = []
    start = time.perf_counter()
    for epoch in range(epochs):
        model.fit(x, y, epochs=epoch + 1, initial_epoch=epoch, batch_size=batch_size,
                  verbose=0)
        per_epoch.append(float(model.evaluate(xt, yt, verbose=0, batch_size=500)[1]))
    return {"model": kind, "epochs": epochs, "batch_size": batch_size,
            "test_accuracy_per_epoch": per_epoch, "best": max(per_epoch),
            "final": per_epoch[-1], "target": TARGETS[kind],
            "met": max(per_epoch) >= TARGETS[kind], "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="folder with the MNIST .gz files")
    parser.add_argument("--models", default="dense,convnet,lstm")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only N training images")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    data = _data(args.data, args.limit)
    rows = [run(kind, data, args.epochs, args.batch_size, args.seed)
            for kind in args.models.split(",")]
    print("| model | test accuracy per epoch | best | target | met | time |")
    print("| --- | --- | ---: | ---: | --- | ---: |")
    for r in rows:
        accs = ", ".join(f"{a:.4f}" for a in r["test_accuracy_per_epoch"])
        print(f"| {r['model']} | {accs} | {r['best']:.4f} | {r['target']:.3f} | "
              f"{'yes' if r['met'] else 'NO'} | {r['seconds']:.0f} s |")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "accuracy.json").write_text(json.dumps(rows, indent=1))
    return 0 if all(r["met"] for r in rows) or args.limit else 1


def _data(path: str | None, limit: int | None) -> tuple:
    import os

    if path is None and not os.environ.get("EMBER_DATA_DIR"):
        shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
        path = str(shared) if shared.exists() else None
    (x, y), (xt, yt) = em.datasets.mnist.load_data(path=path)
    if limit:
        x, y = x[:limit], y[:limit]
    return (x / 255.0, y), (xt / 255.0, yt)


if __name__ == "__main__":
    raise SystemExit(main())
