"""Issue 5's workload: LSTM(128) over 28 steps of 28 features, batch 64, then Dense(10).

    python benchmarks/bench_lstm.py [--repeat 15] [--number 10] [--torch-threads N] [--breakdown]

One training step = forward, softmax cross-entropy, backward (no optimizer update), in ember
(``em.layers.LSTM`` + ``em.layers.Dense``) and in PyTorch (``nn.LSTM`` + ``nn.Linear``) with
the same weights copied across (checked: the two losses agree). The two run interleaved,
``repeat`` rounds of ``number`` steps each, so that a busy machine slows both alike; the
script prints the median milliseconds per step (wall clock and process CPU time) and the
ratio ember / torch. NumPy's BLAS threads follow OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (set
them before starting the script); PyTorch's are printed and can be set with --torch-threads.

``--breakdown`` also splits ember's LSTM kernel time into its matrix products and the rest
(elementwise gate math, copies, Python), and times the same products in PyTorch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import ember as em

BATCH, STEPS, FEATURES, UNITS, CLASSES = 64, 28, 28, 128, 10


def _blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to see)"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']}={i['num_threads']}" for i in infos) or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds")
    parser.add_argument("--number", type=int, default=10, help="training steps per round")
    parser.add_argument("--torch-threads", type=int, default=None)
    parser.add_argument("--breakdown", action="store_true",
                        help="where the time goes: matrix products vs the rest")
    args = parser.parse_args()

    import torch

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)

    em.utils.set_random_seed(0)
    lstm, dense = em.layers.LSTM(UNITS), em.layers.Dense(CLASSES)
    xe = em.tensor(x)
    dense(lstm(xe))  # build
    params = lstm.weights + dense.weights

    t_lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    t_dense = torch.nn.Linear(UNITS, CLASSES)
    kernel, rec, bias = lstm.get_weights()
    with torch.no_grad():  # Keras' i, f, c, o gate order is PyTorch's i, f, g, o
        t_lstm.weight_ih_l0.copy_(torch.tensor(kernel.T))
        t_lstm.weight_hh_l0.copy_(torch.tensor(rec.T))
        t_lstm.bias_ih_l0.copy_(torch.tensor(bias))
        t_lstm.bias_hh_l0.zero_()
        t_dense.weight.copy_(torch.tensor(dense.kernel.numpy().T))
        t_dense.bias.copy_(torch.tensor(dense.bias.numpy()))
    xt, yt = torch.tensor(x), torch.tensor(y)
    t_params = list(t_lstm.parameters()) + list(t_dense.parameters())

    def ember_step() -> float:
        for p in params:
            p.grad = None
        loss = em.softmax_cross_entropy(dense(lstm(xe)), y).mean()
        loss.backward()
        return loss.item()

    def torch_step() -> float:
        for p in t_params:
            p.grad = None
        out, _ = t_lstm(xt)
        loss = torch.nn.functional.cross_entropy(t_dense(out[:, -1]), yt)
        loss.backward()
        return loss.item()

    le, lt = ember_step(), torch_step()
    if abs(le - lt) > 1e-4 * max(1.0, abs(lt)):
        raise SystemExit(f"the two models disagree: ember loss {le}, torch loss {lt}")
    for _ in range(3):  # warm up both (allocations, BLAS threads)
        ember_step()
        torch_step()

    wall = {"ember": [], "torch": []}
    cpu = {"ember": [], "torch": []}
    for _ in range(args.repeat):
        for name, step in (("ember", ember_step), ("torch", torch_step)):
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.number):
                step()
            wall[name].append((time.perf_counter() - w0) / args.number * 1e3)
            cpu[name].append((time.process_time() - c0) / args.number * 1e3)

    print(f"LSTM({UNITS}) over {STEPS} steps x {FEATURES} features, batch {BATCH}, "
          f"+ Dense({CLASSES}); forward + loss + backward per step")
    print(f"torch {torch.__version__}: {torch.get_num_threads()} threads; NumPy BLAS threads: "
          f"{_blas_threads()}; loss ember {le:.6f} / torch {lt:.6f}")
    print(f"{'':8s}{'wall ms/step':>14s}{'cpu ms/step':>14s}   ({args.repeat} x {args.number} "
          "steps, medians)")
    for name in ("ember", "torch"):
        print(f"{name:8s}{statistics.median(wall[name]):14.2f}"
              f"{statistics.median(cpu[name]):14.2f}")
    ratio = statistics.median(wall["ember"]) / statistics.median(wall["torch"])
    cpu_ratio = statistics.median(cpu["ember"]) / statistics.median(cpu["torch"])
    print(f"ratio ember / torch: wall {ratio:.2f}, cpu {cpu_ratio:.2f} (below 1: ember faster)")
    if args.breakdown:
        breakdown(lstm, x, args.repeat, torch)


def _median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(max(repeat, 5)):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times) * 1e3


def breakdown(layer: em.layers.LSTM, x: np.ndarray, repeat: int, torch) -> None:
    """The LSTM kernel's time: its matrix products alone (same shapes, NumPy and PyTorch) and
    everything else (the gate math, copies and Python around them)."""
    from ember.kernels import rnn_lstm as lstm_kernel

    kernel, rec, bias = (w.data for w in layer.weights)
    h0 = np.zeros((BATCH, UNITS), np.float32)
    need = {"W": True, "R": True, "b": True}
    state: dict = {}

    def forward() -> None:
        state["s"] = lstm_kernel.lstm_forward(x, kernel, rec, bias, h0, h0, None, None, False,
                                              "tanh", "sigmoid")

    def backward() -> None:
        lstm_kernel.lstm_backward(state["s"], None, [h0 + 1, h0], need)

    fwd = _median_ms(forward, repeat)
    forward()
    bwd = _median_ms(backward, repeat)
    rng = np.random.default_rng(0)
    g, k = 4 * UNITS, FEATURES + 1 + UNITS
    m, xh = rng.standard_normal((g, k), np.float32), rng.standard_normal((k, BATCH), np.float32)
    z, dh = rng.standard_normal((g, BATCH), np.float32), np.empty((UNITS, BATCH), np.float32)
    dz_all = rng.standard_normal((g, STEPS * BATCH), np.float32)
    xh_all = rng.standard_normal((k, STEPS * BATCH), np.float32)
    products = {
        "forward: 28 x (4U, F+1+U) @ (F+1+U, B)": lambda: [np.matmul(m, xh, out=z)
                                                         for _ in range(STEPS)],
        "backward: 28 x (U, 4U) @ (4U, B)": lambda: [np.matmul(rec, z, out=dh)
                                                   for _ in range(STEPS)],
        "backward: weights (4U, T*B) @ (T*B, F+1+U)": lambda: dz_all @ xh_all.T,
    }
    t = {name: torch.tensor(a) for name, a in (("m", m), ("xh", xh), ("z", z), ("rec", rec),
                                                ("dz", dz_all), ("xha", xh_all))}
    t_products = [lambda: [torch.mm(t["m"], t["xh"]) for _ in range(STEPS)],
                  lambda: [torch.mm(t["rec"], t["z"]) for _ in range(STEPS)],
                  lambda: torch.mm(t["dz"], t["xha"].T)]
    print("\nember's LSTM kernel alone (cpu ms, medians):")
    gemm = {}
    for (name, fn), tfn in zip(products.items(), t_products):
        gemm[name] = _median_ms(fn, repeat)
        print(f"  {name:44s} NumPy {gemm[name]:6.2f}   PyTorch {_median_ms(tfn, repeat):6.2f}")
    f_gemm = gemm["forward: 28 x (4U, F+1+U) @ (F+1+U, B)"]
    b_gemm = sum(gemm.values()) - f_gemm
    print(f"  forward  total {fwd:6.2f} = products {f_gemm:6.2f} + the rest {fwd - f_gemm:6.2f}")
    print(f"  backward total {bwd:6.2f} = products {b_gemm:6.2f} + the rest {bwd - b_gemm:6.2f}")


if __name__ == "__main__":
    main()
