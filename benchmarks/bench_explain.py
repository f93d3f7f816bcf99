"""ember.explain against Captum, in one run, on the same networks and images; every case runs
once per round, in turn (both orders), after a warm-up round, and the medians of ``--repeats``
rounds are compared (the machine may be shared: the load weighs on all cases alike; the load
average is printed).

- Integrated Gradients (``--steps`` 50, ``--images`` 32 MNIST test images) on the Keras MNIST
  convnet (Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten ->
  Dropout 0.5 -> Dense 10 softmax) and the MNIST dense network (Flatten -> Dense 128 relu ->
  Dense 10 softmax), their weights ported from ember to PyTorch, each with its default
  batching (ember: chunks of 1,024 scaled inputs, run in passes sized by
  ``ember.explain._core.pass_rows``; Captum: all 1,600 at once), and Captum again in passes of
  1,024 rows. It prints the largest difference between the two maps, on the images as they
  are and with a 1e-3 jitter: MNIST's saturated pixels (exactly 1.0) make exactly tied
  max-pool windows, which the two frameworks' convolutions (different summation orders) break
  differently at the last bit, so a few pixels may take another, equally valid, subgradient.
- ``--methods``: saliency, gradient x input, SmoothGrad (8 noisy copies over saliency),
  occlusion (4x4 windows, stride 4) and Grad-CAM (last Conv2D) on the convnet, each against
  its Captum class.
- ``--doctor``: one MNIST dense epoch (Flatten -> Dense 128 relu -> Dense 10 softmax, Adam,
  batch 32, 60,000 images) with and without ``em.callbacks.Doctor()``, alternating: the
  doctor's overhead.

    python -m benchmarks.bench_explain                       # IG: ember vs Captum, both nets
    python -m benchmarks.bench_explain --methods --doctor    # + the other methods, the doctor
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


def mnist_dense():
    import ember as em

    return em.Sequential([em.Input((28, 28, 1)), em.layers.Flatten(),
                          em.layers.Dense(128, activation="relu"),
                          em.layers.Dense(10, activation="softmax")])


def interleaved(cases: dict, repeats: int) -> tuple[dict, dict, dict]:
    """Run every case once per round, in turn (round 0 warms up): the machine's load then
    weighs on all of them alike. Returns each case's wall and CPU times (lists) and last
    result."""
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    results = {}
    for i in range(repeats + 1):
        names = list(cases) if i % 2 else list(cases)[::-1]  # both orders
        for name in names:
            start, start_cpu = time.perf_counter(), time.process_time()
            results[name] = cases[name]()
            if i:
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    return wall, cpu, results


def _ratio(wall: dict, cpu: dict, ours: str, theirs: list[str]) -> dict:
    med = {k: float(np.median(v)) for k, v in wall.items()}
    med_cpu = {k: float(np.median(v)) for k, v in cpu.items()}
    best = min(theirs, key=lambda k: med[k])
    return {"ember_s": med[ours], "captum_s": med[best], "captum_case": best,
            "ratio": med[ours] / med[best], "cpu_ratio": med_cpu[ours] / med_cpu[best],
            "ember_min_s": min(wall[ours]), "captum_min_s": min(wall[best]),
            "medians": med}


def bench_ig(images: int, steps: int, repeats: int, data: str | None,
             network: str = "convnet") -> dict:
    """Integrated Gradients, ember vs Captum, interleaved; medians of ``repeats`` rounds."""
    import torch
    from captum.attr import IntegratedGradients

    import ember as em
    from benchmarks.torch_port import nchw, nhwc, to_torch

    em.utils.set_random_seed(0)
    (_, _), (xt, _) = _mnist(data)
    x = (xt[:images] / 255.0).astype(np.float32)[..., None]
    model = keras_convnet() if network == "convnet" else mnist_dense()
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

    wall, cpu, results = interleaved({"ember": run_ember, "captum": run_captum,
                                      "captum_1024": lambda: run_captum(rows=1024)}, repeats)
    want = nhwc(results["captum"].detach().numpy())
    diff = np.abs(results["ember"] - want)
    jitter = (x + np.random.default_rng(0).uniform(0, 1e-3, x.shape)).astype(np.float32)
    jitter_diff = np.abs(run_ember(jitter) - nhwc(run_captum(torch.from_numpy(nchw(jitter)))
                                                  .detach().numpy())).max()
    out = _ratio(wall, cpu, "ember", ["captum", "captum_1024"])
    out.update({"captum_1024_s": out["medians"]["captum_1024"],
                "max_abs_diff": float(diff.max()), "max_abs": float(np.abs(want).max()),
                "pixels_off": int((diff > 1e-6).sum()),
                "max_abs_diff_jitter": float(jitter_diff),
                "torch_threads": torch.get_num_threads(), "network": network})
    return out


def bench_methods(images: int, repeats: int, data: str | None) -> dict:
    """The other methods on the convnet, each against its Captum counterpart, interleaved."""
    import torch
    from captum import attr as ca

    import ember as em
    from benchmarks.torch_port import nchw, to_torch

    em.utils.set_random_seed(0)
    (_, _), (xt, _) = _mnist(data)
    x = (xt[:images] / 255.0).astype(np.float32)[..., None]
    model = keras_convnet()
    model.build((None, 28, 28, 1))
    net, by_name = to_torch(model, torch)
    conv2 = [layer.name for layer in model.layers if isinstance(layer, em.layers.Conv2D)][-1]
    target = model.predict(x, verbose=0).argmax(axis=1)
    xtt, tt = torch.from_numpy(nchw(x)), torch.from_numpy(target)
    noise = np.random.default_rng(0).normal(0, 0.1, (len(x), 8) + x.shape[1:]).astype("float32")
    cases = {
        "saliency": (lambda: em.explain.saliency(model, x, target),
                     lambda: ca.Saliency(net).attribute(xtt, target=tt)),
        "gradient_x_input": (lambda: em.explain.gradient_x_input(model, x, target),
                             lambda: ca.InputXGradient(net).attribute(xtt, target=tt)),
        "smoothgrad(saliency) x8": (
            lambda: em.explain.smoothgrad("saliency", model, x, target, nt_samples=8,
                                          noise=noise),
            lambda: ca.NoiseTunnel(ca.Saliency(net)).attribute(
                xtt, target=tt, nt_samples=8, stdevs=0.1, nt_samples_batch_size=8)),
        "occlusion 4x4/4": (
            lambda: em.explain.occlusion(model, x, target, window=(4, 4), stride=4),
            lambda: ca.Occlusion(net).attribute(xtt, target=tt, sliding_window_shapes=(1, 4, 4),
                                                strides=(1, 4, 4), perturbations_per_eval=64)),
        "grad_cam": (lambda: em.explain.grad_cam(model, x, target, layer=conv2),
                     lambda: ca.LayerGradCam(net, by_name[conv2]).attribute(xtt, target=tt)),
    }
    flat = {}
    for name, (ours, theirs) in cases.items():
        flat[name + "/ember"], flat[name + "/captum"] = ours, theirs
    wall, cpu, _ = interleaved(flat, repeats)
    return {name: _ratio(wall, cpu, name + "/ember", [name + "/captum"]) for name in cases}


def bench_doctor(repeats: int, data: str | None, images: int = 60000) -> dict:
    """One MNIST dense epoch without and with the Doctor, alternating; medians."""
    import ember as em

    (x, y), _ = _mnist(data)
    x, y = (x[:images] / 255.0).astype(np.float32), y[:images]
    own: list[float] = []

    def epoch(with_doctor: bool):
        em.utils.set_random_seed(0)
        model = em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                               em.layers.Dense(128, activation="relu"),
                               em.layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        doctor = em.callbacks.Doctor(verbose=0)
        model.fit(x, y, epochs=1, batch_size=32, verbose=0,
                  callbacks=[doctor] if with_doctor else None)
        if with_doctor:
            own.append(doctor.seconds)

    wall, cpu, _ = interleaved({"off": lambda: epoch(False), "on": lambda: epoch(True)},
                               repeats)
    med = {k: float(np.median(v)) for k, v in wall.items()}
    med_cpu = {k: float(np.median(v)) for k, v in cpu.items()}
    own_s = float(np.median(own[1:] if len(own) > 1 else own))  # own[0]: the warm-up round
    return {"off_s": med["off"], "on_s": med["on"], "overhead": med["on"] / med["off"] - 1,
            "off_cpu_s": med_cpu["off"], "on_cpu_s": med_cpu["on"],
            "cpu_overhead": med_cpu["on"] / med_cpu["off"] - 1, "doctor_own_s": own_s,
            "own_share": own_s / med["on"]}


def _line(name: str, r: dict) -> str:
    return (f"  {name:26s} ember {r['ember_s']:.4f} s  captum {r['captum_s']:.4f} s  "
            f"ember/captum {r['ratio']:.2f}x (CPU time {r['cpu_ratio']:.2f}x)")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed rounds after a warm-up; medians are reported")
    parser.add_argument("--network", choices=("convnet", "dense", "both"), default="both",
                        help="the network(s) Integrated Gradients runs on")
    parser.add_argument("--methods", action="store_true",
                        help="also time saliency, gradient x input, SmoothGrad, occlusion and "
                        "Grad-CAM against Captum")
    parser.add_argument("--doctor", action="store_true")
    parser.add_argument("--epoch-images", type=int, default=60000,
                        help="training images in the doctor's epoch (default: all 60,000)")
    parser.add_argument("--data", default=None, help="the MNIST folder (else EMBER_DATA_DIR)")
    args = parser.parse_args(argv)
    nets = ("convnet", "dense") if args.network == "both" else (args.network,)
    out: dict = {}
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
        out["loadavg_start"] = f.read().strip()
    for net in nets:
        key = "ig" if net == "convnet" else "ig_dense"
        r = out[key] = bench_ig(args.images, args.steps, args.repeats, args.data, net)
        print(f"Integrated Gradients, {args.steps} steps x {args.images} MNIST images, {net} "
              f"({os.cpu_count()} CPUs, torch threads {r['torch_threads']}), medians of "
              f"{args.repeats}:")
        print(f"  ember {r['ember_s']:.3f} s   captum {r['medians']['captum']:.3f} s (in 1,024-row "
              f"passes {r['captum_1024_s']:.3f} s)   ember / best captum {r['ratio']:.2f}x (CPU "
              f"time: {r['cpu_ratio']:.2f}x; best-of: {r['ember_min_s'] / r['captum_min_s']:.2f}x)")
        ties = ": max-pool ties" if net == "convnet" else ""
        print(f"  max |ember - captum| {r['max_abs_diff']:.2e} (largest |attribution| "
              f"{r['max_abs']:.2e}; {r['pixels_off']} pixels differ by > 1e-6{ties}); "
              f"on jittered images {r['max_abs_diff_jitter']:.2e}")
    if args.methods:
        out["methods"] = bench_methods(args.images, args.repeats, args.data)
        print(f"Other methods, {args.images} MNIST images, convnet, medians of {args.repeats}:")
        for name, r in out["methods"].items():
            print(_line(name, r))
    if args.doctor:
        d = out["doctor"] = bench_doctor(args.repeats, args.data, args.epoch_images)
        print(f"MNIST dense epoch, medians of {args.repeats}: without Doctor {d['off_s']:.2f} s, "
              f"with {d['on_s']:.2f} s ({d['overhead']:+.1%}); CPU time {d['off_cpu_s']:.2f} s vs "
              f"{d['on_cpu_s']:.2f} s ({d['cpu_overhead']:+.1%}); the doctor's own work "
              f"{d['doctor_own_s']:.3f} s ({d['own_share']:.1%} of the epoch)")
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
        out["loadavg_end"] = f.read().strip()
    print(f"load average: {out['loadavg_start']} (start), {out['loadavg_end']} (end)")
    return out


if __name__ == "__main__":
    main()
