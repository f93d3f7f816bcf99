"""ember.explain against Captum, in one run, on the same network and images:

- Integrated Gradients (``--steps`` 50, ``--images`` 32 MNIST test images) on the Keras MNIST
  convnet (Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten ->
  Dropout 0.5 -> Dense 10 softmax), its weights ported from ember to PyTorch, each with its
  default batching (ember: 1,024 scaled inputs per pass; Captum: all 1,600 at once), and
  Captum again in passes of 1,024 rows; best of ``--repeats`` after a warm-up. It prints the
  largest difference between the two maps, on the images as they are and with a 1e-3 jitter:
  MNIST's saturated pixels (exactly 1.0) make exactly tied max-pool windows, which the two
  frameworks' convolutions (different summation orders) break differently at the last bit,
  so a few pixels take another, equally valid, subgradient.
- ``--doctor``: one MNIST dense epoch (Flatten -> Dense 128 relu -> Dense 10 softmax, Adam,
  batch 32, 60,000 images) with and without ``em.callbacks.Doctor()``, alternating, best of
  ``--repeats``: the doctor's overhead.

    python -m benchmarks.bench_explain               # IG: ember vs Captum
    python -m benchmarks.bench_explain --doctor      # + the doctor's overhead on an epoch
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def keras_convnet():
    import ember as em

    L = em.layers
    return em.Sequential([
        em.Input((28, 28, 1)),
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dropout(0.5), L.Dense(10, activation="softmax"),
    ])


def _mnist(data: str | None):
    import ember as em

    return em.datasets.mnist.load_data(path=data)


def bench_ig(images: int, steps: int, repeats: int, data: str | None) -> dict:
    import torch
    from captum.attr import IntegratedGradients

    import ember as em
    from benchmarks.torch_port import nchw, nhwc, to_torch

    em.utils.set_random_seed(0)
    (_, _), (xt, _) = _mnist(data)
    x = (xt[:images] / 255.0).astype(np.float32)[..., None]
    model = keras_convnet()
    model.build((None, 28, 28, 1))
    net, _ = to_torch(model, torch)
    target = model.predict(x, verbose=0).argmax(axis=1)
    xt_torch = torch.from_numpy(nchw(x))
    ig = IntegratedGradients(net)

    def run_ember(images=x):
        return em.explain.integrated_gradients(model, images, target, n_steps=steps)

    def run_captum(images=xt_torch, rows=None):
        return ig.attribute(images, target=torch.from_numpy(target), n_steps=steps,
                            method="riemann_trapezoid", internal_batch_size=rows)

    times: dict[str, list[float]] = {"ember": [], "captum": [], "captum_1024": []}
    cpu: dict[str, list[float]] = {k: [] for k in times}
    results = {}
    for i in range(repeats + 1):  # round 0 warms up
        for name, fn in (("ember", run_ember), ("captum", run_captum),
                         ("captum_1024", lambda: run_captum(rows=1024))):
            start, start_cpu = time.perf_counter(), time.process_time()
            out = fn()
            took, took_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            if i:
                times[name].append(took)
                cpu[name].append(took_cpu)
            results[name] = out
    want = nhwc(results["captum"].detach().numpy())
    diff = np.abs(results["ember"] - want)
    jitter = (x + np.random.default_rng(0).uniform(0, 1e-3, x.shape)).astype(np.float32)
    jitter_diff = np.abs(run_ember(jitter) - nhwc(run_captum(torch.from_numpy(nchw(jitter)))
                                                  .detach().numpy())).max()
    best = {k: min(v) for k, v in times.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    return {"ember_s": best["ember"], "captum_s": best["captum"],
            "captum_1024_s": best["captum_1024"],
            "ratio": best["ember"] / min(best["captum"], best["captum_1024"]),
            "cpu_ratio": best_cpu["ember"] / min(best_cpu["captum"], best_cpu["captum_1024"]),
            "max_abs_diff": float(diff.max()), "max_abs": float(np.abs(want).max()),
            "pixels_off": int((diff > 1e-6).sum()), "max_abs_diff_jitter": float(jitter_diff),
            "torch_threads": torch.get_num_threads()}


def bench_doctor(repeats: int, data: str | None, images: int = 60000) -> dict:
    import ember as em

    (x, y), _ = _mnist(data)
    x, y = (x[:images] / 255.0).astype(np.float32), y[:images]

    def epoch(with_doctor: bool) -> tuple[float, float]:
        em.utils.set_random_seed(0)
        model = em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                               em.layers.Dense(128, activation="relu"),
                               em.layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        doctor = em.callbacks.Doctor(verbose=0)
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, epochs=1, batch_size=32, verbose=0,
                  callbacks=[doctor] if with_doctor else None)
        return (time.perf_counter() - start, time.process_time() - start_cpu,
                doctor.seconds)

    runs: dict[bool, list] = {False: [], True: []}
    for i in range(repeats + 1):  # alternating, in both orders; round 0 warms up
        for flag in ((False, True) if i % 2 else (True, False)):
            result = epoch(flag)
            if i:
                runs[flag].append(result)
    off = min(r[0] for r in runs[False])
    on = min(r[0] for r in runs[True])
    off_cpu = min(r[1] for r in runs[False])
    on_cpu = min(r[1] for r in runs[True])
    own = min(r[2] for r in runs[True])
    return {"off_s": off, "on_s": on, "overhead": on / off - 1, "off_cpu_s": off_cpu,
            "on_cpu_s": on_cpu, "cpu_overhead": on_cpu / off_cpu - 1, "doctor_own_s": own,
            "own_share": own / on}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--doctor", action="store_true")
    parser.add_argument("--epoch-images", type=int, default=60000,
                        help="training images in the doctor's epoch (default: all 60,000)")
    parser.add_argument("--data", default=None, help="the MNIST folder (else EMBER_DATA_DIR)")
    args = parser.parse_args(argv)
    out = {"ig": bench_ig(args.images, args.steps, args.repeats, args.data)}
    r = out["ig"]
    print(f"Integrated Gradients, {args.steps} steps x {args.images} MNIST images, Keras "
          f"convnet ({os.cpu_count()} CPUs, torch threads {r['torch_threads']}):")
    print(f"  ember {r['ember_s']:.3f} s   captum {r['captum_s']:.3f} s (in 1,024-row passes "
          f"{r['captum_1024_s']:.3f} s)   ember / best captum {r['ratio']:.2f}x (CPU time: "
          f"{r['cpu_ratio']:.2f}x)")
    print(f"  max |ember - captum| {r['max_abs_diff']:.2e} (largest |attribution| "
          f"{r['max_abs']:.2e}; {r['pixels_off']} pixels differ by > 1e-6: max-pool ties); "
          f"on jittered images {r['max_abs_diff_jitter']:.2e}")
    if args.doctor:
        d = out["doctor"] = bench_doctor(args.repeats, args.data, args.epoch_images)
        print(f"MNIST dense epoch: without Doctor {d['off_s']:.2f} s, with {d['on_s']:.2f} s "
              f"({d['overhead']:+.1%}); CPU time {d['off_cpu_s']:.2f} s vs {d['on_cpu_s']:.2f} s "
              f"({d['cpu_overhead']:+.1%}); the doctor's own work {d['doctor_own_s']:.3f} s "
              f"({d['own_share']:.1%} of the epoch)")
    return out


if __name__ == "__main__":
    main()
