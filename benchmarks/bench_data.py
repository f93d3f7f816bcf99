"""Issue 16's measurements: an MNIST epoch fed by a ``Dataset`` pipeline against the same
epoch fed by arrays, and the throughput of ``image_dataset_from_directory``.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_data.py [--rounds 5] [--images 2000]

(On a 2-core machine shared with other jobs, leave BLAS one thread: its spinning threads
otherwise make each epoch take 5-20 times longer and the timings meaningless.)

1. MNIST, Dense 128 relu -> Dense 10, Adam, batch 32, one epoch (1,875 steps), two feeds
   run interleaved ``rounds`` times so a busy machine slows both alike:
   ``arrays``: ``fit(x, y, shuffle=True)`` with ``x`` scaled to float32 beforehand (not timed);
   ``pipeline``: ``Dataset.from_tensor_slices((x_uint8, y)).shuffle(60000).batch(32)
   .map(scale to float32).prefetch()`` (the map runs per batch, in the prefetch thread).
   Printed: the median wall seconds of each and their ratio (the target is <= 1.10).
2. ``image_dataset_from_directory`` over ``--images`` PNGs (64x64 RGB, 10 classes) written to
   a temporary folder, resized to 128x128, batch 32: images per second for one pass.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

import ember as em


def model() -> em.Model:
    em.utils.set_random_seed(0)
    m = em.Sequential([em.layers.Input((784,)), em.layers.Dense(128, activation="relu"),
                       em.layers.Dense(10)])
    m.compile("adam", em.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def epoch_from_arrays(x_float: np.ndarray, y: np.ndarray) -> float:
    m = model()
    start = time.perf_counter()
    m.fit(x_float, y, batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - start


def epoch_from_pipeline(x: np.ndarray, y: np.ndarray) -> float:
    m = model()
    start = time.perf_counter()
    ds = (em.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(32)
          .map(lambda a, b: (a.astype("float32") * np.float32(1 / 255), b)).prefetch())
    m.fit(ds, epochs=1, verbose=0)
    return time.perf_counter() - start


def image_throughput(n: int) -> float:
    from PIL import Image

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as root:
        for i in range(n):
            folder = os.path.join(root, f"class{i % 10}")
            os.makedirs(folder, exist_ok=True)
            pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(os.path.join(folder, f"{i}.png"))
        ds = em.data.image_dataset_from_directory(root, image_size=(128, 128), batch_size=32,
                                                  seed=0, verbose=False)
        start = time.perf_counter()
        count = sum(len(xb) for xb, _ in ds)
        return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--skip-images", action="store_true")
    args = parser.parse_args()
    (x, y), _ = em.datasets.mnist.load_data()
    x = x.reshape(len(x), 784)
    x_float = (x / 255.0).astype("float32")  # scaled once, outside the timing
    arrays, pipeline = [], []
    for _ in range(args.rounds):
        arrays.append(epoch_from_arrays(x_float, y))
        pipeline.append(epoch_from_pipeline(x, y))
    a, p = statistics.median(arrays), statistics.median(pipeline)
    print(f"MNIST epoch from arrays:   {a:.2f} s (rounds: "
          f"{', '.join(f'{t:.2f}' for t in arrays)})")
    print(f"MNIST epoch from pipeline: {p:.2f} s (rounds: "
          f"{', '.join(f'{t:.2f}' for t in pipeline)})")
    print(f"pipeline / arrays: {p / a:.3f}")
    if not args.skip_images:
        rate = image_throughput(args.images)
        print(f"image_dataset_from_directory: {rate:.0f} images/s "
              f"({args.images} PNGs 64x64 -> 128x128, batch 32, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
