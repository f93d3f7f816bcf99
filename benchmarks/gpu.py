"""The GPU section: ember on CuPy against PyTorch on CUDA, in the same run, on the same GPU.

    python -m benchmarks.gpu [--steps 300] [--repeats 3] [--warmup 1] [--predict-batch 256]
                             [--workloads dense_b32,convnet_b32,convnet_b256,lstm_b256,predict]
                             [--data DIR] [--json PATH] [--smoke-on-cpu]

Workloads (the suite's networks, benchmarks/contenders): dense (Flatten, Dense 128 relu,
Dense 10) at batch 32; the convnet at batch 32 and 256; LSTM(128) over the 28 image rows at
batch 256; inference of the dense network and the convnet on the test images. Each training
workload runs ``--steps`` Adam steps (lr 1e-3, eps 1e-7) on MNIST (random images of the same
shape where MNIST is absent, said in the header).

Both sides do the same work: the data stays in host memory and each batch is copied to the GPU
(ember's ``fit`` does that; the PyTorch loop does ``.to("cuda")`` per batch), and both read the
loss every step (``fit`` keeps a running mean; the loop calls ``.item()``). ember runs through
its public API: ``model.to("cuda")``, ``compile``, ``fit(verbose=0)``, ``predict``. The clock
stops after ``em.cuda.synchronize()`` / ``torch.cuda.synchronize()``. Rounds alternate
ember, PyTorch, ember, ...; the first ``--warmup`` rounds (CuPy compiles its kernels then) are
excluded; the table gives the median seconds and the median of the per-round ratios.

Without a GPU it prints "no GPU: skipped" and exits 0. ``--smoke-on-cpu`` runs the same code
on the CPU, to check the script itself on a machine without one (the numbers are not GPU
numbers).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

WORKLOADS = {  # name: (network, batch, training?)
    "dense_b32": ("dense", 32, True),
    "convnet_b32": ("convnet", 32, True),
    "convnet_b256": ("convnet", 256, True),
    "lstm_b256": ("lstm", 256, True),
    "predict_dense": ("dense", None, False),
    "predict_convnet": ("convnet", None, False),
}
GROUPS = {"predict": ["predict_dense", "predict_convnet"]}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu",
                                description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300, help="Adam steps per training workload")
    p.add_argument("--repeats", type=int, default=3, help="timed rounds")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first (kernel builds)")
    p.add_argument("--predict-batch", type=int, default=256)
    p.add_argument("--workloads", default="dense_b32,convnet_b32,convnet_b256,lstm_b256,predict")
    p.add_argument("--data", default=None, help="MNIST folder (as python -m benchmarks)")
    p.add_argument("--json", default=None, help="also write every timing to this file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke-on-cpu", action="store_true",
                   help="run on the CPU where there is no GPU (checks the script only)")
    args = p.parse_args(argv)
    names: list[str] = []
    for w in args.workloads.split(","):
        names += GROUPS.get(w, [w])
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        p.error(f"--workloads: unknown {unknown}; choose from {','.join(WORKLOADS)},predict")
    if args.steps < 1 or args.repeats < 1 or args.warmup < 0:
        p.error("--steps and --repeats must be >= 1, --warmup >= 0")
    args.names = names
    return args


# ---------------------------------------------------------------------- data
def load_data(folder: str | None, n_train: int, seed: int) -> tuple[tuple, str]:
    """(x_train, y_train, x_test, y_test) as float32 images in [0, 1] and int64 labels."""
    from benchmarks.data import find_mnist

    path = find_mnist(folder)
    if path is not None:
        import ember as em

        (x, y), (xt, yt) = em.datasets.mnist.load_data(path)
        x = (x[:n_train].astype(np.float32) / np.float32(255))
        xt = xt.astype(np.float32) / np.float32(255)
        return (x, y[:n_train].astype(np.int64), xt, yt.astype(np.int64)), f"MNIST ({path})"
    rng = np.random.default_rng(seed)
    x = rng.random((n_train, 28, 28), dtype=np.float32)
    xt = rng.random((10_000, 28, 28), dtype=np.float32)
    return ((x, rng.integers(0, 10, n_train), xt, rng.integers(0, 10, 10_000)),
            "random images of MNIST's shape (MNIST not found)")


def _images(arch: str, x: np.ndarray) -> np.ndarray:
    return x[..., None] if arch == "convnet" else x


# ---------------------------------------------------------------------- contenders
def ember_round(arch: str, batch: int | None, training: bool, data: tuple, steps: int,
                predict_batch: int, device: str, seed: int) -> dict:
    import ember as em
    from benchmarks.contenders.ember_fit import build

    em.utils.set_random_seed(seed)
    model = build(arch).to(device)
    x, y, xt, _ = data
    if not training:
        xt = _images(arch, xt)
        seconds = _clock(lambda: model.predict(xt, batch_size=predict_batch, verbose=0),
                         em.cuda.synchronize)
        return {"seconds": seconds, "samples": len(xt)}
    model.compile(optimizer=em.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy")
    n = steps * batch
    xs, ys = _images(arch, x[:n]), y[:n]
    box: dict = {}

    def fit() -> None:
        box["h"] = model.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=True)

    seconds = _clock(fit, em.cuda.synchronize)
    if any(w.device != device for w in model.weights):
        raise RuntimeError("ember: weights left the device during fit")
    return {"seconds": seconds, "samples": n, "loss": float(box["h"].history["loss"][-1])}


def torch_round(arch: str, batch: int | None, training: bool, data: tuple, steps: int,
                predict_batch: int, device: str, seed: int) -> dict:
    import torch
    from torch import nn

    from benchmarks.contenders.torch_loop import build

    torch.manual_seed(seed)
    model = build(arch).to(device)
    x, y, xt, _ = data
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def host(a: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(a)
        return t.unsqueeze(1) if arch == "convnet" else t  # NCHW

    if not training:
        xs = host(xt)

        def predict() -> None:
            model.eval()
            with torch.inference_mode():
                outs = [torch.softmax(model(xs[i:i + predict_batch].to(device)), dim=1).cpu()
                        for i in range(0, len(xs), predict_batch)]
                torch.cat(outs).numpy()

        return {"seconds": _clock(predict, sync), "samples": len(xt)}
    n = steps * batch
    xs, ys = host(x[:n]), torch.from_numpy(y[:n])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    box: dict = {}

    def loop() -> None:
        model.train()
        order = torch.from_numpy(rng.permutation(n))
        running = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            xb, yb = xs[idx].to(device), ys[idx].to(device)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            running += loss.item() * len(idx)
        box["loss"] = running / n

    return {"seconds": _clock(loop, sync), "samples": n, "loss": box.get("loss")}


def _clock(fn: Callable[[], None], sync: Callable[[], None]) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


# ---------------------------------------------------------------------- the section
def availability(smoke_on_cpu: bool) -> tuple[str | None, str, str | None]:
    """(ember's device or None, why not, PyTorch's device or None)."""
    import ember as em

    if em.cuda.is_available():
        device, why = "cuda", ""
    elif smoke_on_cpu:
        device, why = "cpu", "smoke test"
    else:  # say so before importing PyTorch, which takes seconds
        return None, "em.cuda.is_available() is False: CuPy or an NVIDIA GPU is missing", None
    try:
        import torch
    except ImportError:
        return device, why, None
    if device == "cpu":
        return device, why, "cpu"
    return device, why, "cuda" if torch.cuda.is_available() else None


def describe(device: str, data_note: str) -> list[str]:
    import ember as em

    lines = [f"- data: {data_note}", f"- Python {platform.python_version()}, NumPy "
             f"{np.__version__}, ember {em.__version__}"]
    if device == "cuda":
        cupy = em.backend.cupy_module()
        lines.append(f"- GPU: {em.cuda.get_device_name()} (CuPy "
                     f"{getattr(cupy, '__version__', '?')}, CUDA runtime "
                     f"{getattr(cupy.cuda.runtime, 'runtimeGetVersion', lambda: '?')()})")
    try:
        import torch

        lines.append(f"- PyTorch {torch.__version__} (CUDA {torch.version.cuda})")
    except ImportError:
        lines.append("- PyTorch: not installed")
    if device == "cpu":
        lines.append("- **smoke test on the CPU: these are not GPU numbers**")
    return lines


def run_section(args: argparse.Namespace) -> dict:
    device, why, torch_device = availability(args.smoke_on_cpu)
    if device is None:
        return {"skipped": f"no GPU: skipped ({why})"}
    n_train = args.steps * max(b for _, b, t in WORKLOADS.values() if t and b)
    data, note = load_data(args.data, n_train, args.seed)
    contenders = {"ember": ember_round}
    if torch_device is not None:
        contenders["torch"] = torch_round
    results: dict = {}
    for name in args.names:
        arch, batch, training = WORKLOADS[name]
        runs: dict = {c: [] for c in contenders}
        errors: dict = {}
        for r in range(args.warmup + args.repeats):
            for contender, fn in contenders.items():
                if contender in errors:
                    continue
                dev = device if contender == "ember" else torch_device
                try:
                    rec = fn(arch, batch, training, data, args.steps, args.predict_batch, dev,
                             args.seed + r)
                except Exception as exc:  # one workload failing must not end the section
                    errors[contender] = f"{type(exc).__name__}: {exc}"[:300]
                    continue
                rec["warmup"] = r < args.warmup
                runs[contender].append(rec)
        results[name] = {"runs": runs, "errors": errors,
                         "batch": batch or args.predict_batch}
    header = describe(device, note)
    if torch_device is None:
        header.append("- PyTorch is missing or has no CUDA here: its columns are empty")
    return {"device": device, "header": header, "results": results}


def _median(runs: list, key: str = "seconds") -> float | None:
    vals = [r[key] for r in runs if not r["warmup"]]
    return statistics.median(vals) if vals else None


def _cells(seconds: float | None, runs: list, error: str | None) -> tuple[str, str]:
    if error is not None:
        return f"failed: {error}", ""
    if seconds is None:
        return "n/a", ""
    return f"{seconds:.3f}", f"{runs[-1]['samples'] / seconds:,.0f}"


def markdown(section: dict) -> str:
    if "skipped" in section:
        return f"## GPU\n\n{section['skipped']}\n"
    lines = ["## GPU: ember on CuPy vs PyTorch on CUDA", "", *section["header"], "",
             "| workload | batch | ember s | PyTorch s | ember / PyTorch | ember samples/s | "
             "PyTorch samples/s |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, res in section["results"].items():
        e, t = res["runs"].get("ember", []), res["runs"].get("torch", [])
        es, ts = _median(e), _median(t)
        pairs = [a["seconds"] / b["seconds"] for a, b in zip(e, t)
                 if not a["warmup"] and not b["warmup"]]
        ratio = f"{statistics.median(pairs):.2f}x" if pairs else "n/a"
        (e_s, e_rate), (t_s, t_rate) = (_cells(es, e, res["errors"].get("ember")),
                                        _cells(ts, t, res["errors"].get("torch")))
        lines.append(f"| {name} | {res['batch']} | {e_s} | {t_s} | {ratio} | {e_rate} | "
                     f"{t_rate} |")
    lines += ["", "Medians over the timed rounds; the ratio is the median of the per-round "
              "ratios (below 1: ember is faster)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    section = run_section(args)
    print(markdown(section))
    if args.json:
        Path(args.json).write_text(json.dumps({"argv": sys.argv, **section}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
