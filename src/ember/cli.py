"""The ``ember`` command: ``ember quickstart`` trains the seeds' MNIST network; ``ember info``
reports the installation (version, backend, BLAS threads, GPU)."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import Any


def build_model(kind: str, input_shape: tuple) -> Any:
    """The seeds' networks: 'mlp' (Flatten-Dense 128-Dense 10), 'cnn' (Keras' MNIST convnet),
    'rnn' (an LSTM reading the image row by row)."""
    import ember as em

    L = em.layers
    if kind == "mlp":
        layers = [L.Flatten(input_shape=input_shape), L.Dense(128, activation="relu"),
                  L.Dense(10, activation="softmax")]
    elif kind == "cnn":
        # Keras' MNIST convnet; on the 8x8 digits "same" padding keeps the maps from vanishing
        pad = "valid" if min(input_shape) >= 16 else "same"
        layers = [L.Reshape(input_shape + (1,), input_shape=input_shape),
                  L.Conv2D(32, 3, activation="relu", padding=pad), L.MaxPooling2D(2),
                  L.Conv2D(64, 3, activation="relu", padding=pad), L.MaxPooling2D(2),
                  L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
    elif kind == "rnn":
        layers = [L.LSTM(128, input_shape=input_shape), L.Dense(10, activation="softmax")]
    else:
        raise ValueError(f"unknown model {kind!r}: choose mlp, cnn or rnn")
    return em.Sequential(layers, name=f"quickstart_{kind}")


def _quickstart(args: argparse.Namespace) -> int:
    import ember as em

    em.utils.set_random_seed(args.seed)
    ((x_train, y_train), (x_test, y_test)), source = em.datasets.mnist_or_digits(args.data)
    x_train, x_test = x_train / 255.0, x_test / 255.0
    print(f"data: {source}, {len(x_train)} training and {len(x_test)} test images")
    model = build_model(args.model, tuple(x_train.shape[1:]))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_split=0.1, verbose=args.verbose)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {test_acc:.4f}  (test loss {test_loss:.4f})")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"mnist_{args.model}.ember"
    model.save(str(path))
    print(f"saved the trained model to {path}")
    _plot_history(history.history, out / f"mnist_{args.model}_curves.png")
    return 0


def _plot_history(history: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        print("(install the 'plot' extra, pip install 'ember[plot]', for a PNG of the learning "
              "curves)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("loss", "accuracy")):
        for k in (key, f"val_{key}"):
            if k in history:
                ax.plot(range(1, len(history[k]) + 1), history[k], marker="o", label=k)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(key)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved the learning curves to {path}")


def info(args: argparse.Namespace) -> int:
    import numpy as np

    import ember as em

    print(f"ember {em.__version__}")
    print(f"python {platform.python_version()} on {platform.platform()}")
    print(f"numpy {np.__version__}; default float type {em.floatx()}")
    print(f"BLAS: {_blas_description()}")
    print(f"CPU cores: {os.cpu_count()}")
    print(f"GPU: {_gpu_description()}")
    print(f"heap: {_heap_description()}")
    print(f"kernels: {_kernels_description()}")
    return 0


def _kernels_description() -> str:
    from ember import kernels

    chosen = kernels.describe()
    fast = sorted(op for op, path in chosen.items() if path == "fast")
    ref = sorted(op for op, path in chosen.items() if path == "reference")
    return (f"fast for {', '.join(fast) or 'none'}"
            + (f"; reference for {', '.join(ref)}" if ref else "")
            + " (EMBER_KERNELS=reference selects the reference ops)")


def _heap_description() -> str:
    from ember import heap

    if heap.tuned():
        return (f"freed arrays kept for reuse (glibc: blocks < {heap.MMAP_THRESHOLD >> 20} MiB "
                f"from the heap, trimmed beyond {heap.TRIM_THRESHOLD >> 20} MiB free)")
    if not heap.enabled_by_environment():
        return "as the C library decides (EMBER_MALLOC_TUNING=0)"
    if heap._is_glibc():
        return ("as the C library decides until fit or predict starts (then freed arrays are "
                "kept for reuse; EMBER_MALLOC_TUNING=0 turns that off)")
    return "as the C library decides (not glibc)"


def _blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return f"{p.get('internal_api')} {p.get('version')}, {p.get('num_threads')} threads"
    except ImportError:
        pass
    from ember import blas

    n = blas.threads()
    if n is not None:
        return f"OpenBLAS, {n} threads"
    env = [f"{k}={os.environ[k]}" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                             "MKL_NUM_THREADS") if k in os.environ]
    return "thread count not known (pip install threadpoolctl to see it)" + (
        f"; {', '.join(env)}" if env else "")


def _gpu_description() -> str:
    try:
        import cupy
    except ImportError:
        return "not usable: CuPy is not installed (pip install 'ember[gpu]')"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
        props = cupy.cuda.runtime.getDeviceProperties(0)
        free, total = cupy.cuda.runtime.memGetInfo()
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        cuda = cupy.cuda.runtime.runtimeGetVersion()
        return (f"{n} device(s); {name}, {total / 2**30:.1f} GiB ({free / 2**30:.1f} free); "
                f"CuPy {cupy.__version__}, CUDA runtime {cuda // 1000}.{cuda % 1000 // 10}")
    except Exception as exc:  # no driver, no device
        return f"not usable: CuPy {cupy.__version__} is installed but found no GPU ({exc})"


def _launch(args: argparse.Namespace) -> int:
    from ember.distributed.launch import launch

    return launch(args.n, args.script, args.script_args, hostfile=args.hostfile)


def _serve(args: argparse.Namespace) -> int:
    from ember.serving.app import serve

    serve(args.path, host=args.host, port=args.port, max_batch=args.max_batch)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ember", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quickstart", help="train the seeds' MNIST network and report accuracy")
    q.add_argument("--model", choices=["mlp", "cnn", "rnn"], default="mlp")
    q.add_argument("--epochs", type=int, default=5)
    q.add_argument("--batch-size", type=int, default=32)
    q.add_argument("--data", default=None, help="folder with the MNIST .gz files")
    q.add_argument("--output", default="runs/quickstart", help="where the model and plot go")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--verbose", default="auto")
    q.set_defaults(func=_quickstart)
    i = sub.add_parser("info", help="version, backend, BLAS threads and GPU")
    i.set_defaults(func=info)
    la = sub.add_parser("launch", help="run a script on N MPI processes (ember[distributed])")
    la.add_argument("-n", "--np", dest="n", type=int, required=True, help="processes")
    la.add_argument("--hostfile", default=None, help="MPI hostfile (one host per line)")
    la.add_argument("script")
    la.add_argument("script_args", nargs=argparse.REMAINDER)
    la.set_defaults(func=_launch)
    s = sub.add_parser("serve", help="serve a saved model over HTTP (JSON /predict, a web page)")
    s.add_argument("path", help="a model file (.ember or .keras)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--max-batch", type=int, default=64, help="samples batched per model call")
    s.set_defaults(func=_serve)
    args = parser.parse_args(argv)
    if getattr(args, "verbose", None) not in (None, "auto"):
        args.verbose = int(args.verbose)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
