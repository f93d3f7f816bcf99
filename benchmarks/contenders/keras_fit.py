"""Keras 3 on JAX (``keras_jax``) and on TensorFlow (``keras_tf``), CPU builds, through its
public API as a user writes it: ``Sequential``, ``compile``, ``fit(verbose=0)``, ``predict``;
Keras' defaults otherwise (JAX jit-compiles the step; TensorFlow on a CPU-only machine traces
a ``tf.function`` without XLA, as ``jit_compile="auto"`` decides).

The backend is fixed when Keras is imported, so each backend runs in its own child process:
the parent sets ``KERAS_BACKEND`` in the child's environment and ``run`` checks it before the
first ``import keras``. Threads: the parent's BLAS/OpenMP variables reach oneDNN; TensorFlow's
own pools are set with ``tf.config.threading``; XLA's CPU pool takes its size from the CPU
affinity, so when fewer threads than usable cores are asked for, the process is pinned to that
many cores (the documented way to limit JAX on a CPU).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from benchmarks.contenders import (
    Unavailable,
    accuracy,
    predict_warm_slice,
    train_subset,
    warm_subset,
)

BACKENDS = {"keras_jax": "jax", "keras_tf": "tensorflow"}


def _pin_threads(backend: str, threads: int) -> dict:
    """Limit this process to ``threads`` compute threads before the backend loads; what was
    done, for the record."""
    done: dict = {}
    if hasattr(os, "sched_getaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        if threads < len(cores):
            os.sched_setaffinity(0, cores[:threads])
        done["affinity"] = sorted(os.sched_getaffinity(0))
    if backend == "jax" and threads == 1:
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
        done["xla_flags"] = os.environ["XLA_FLAGS"]
    return done


def _import_keras(backend: str, threads: int) -> tuple:
    if "keras" in sys.modules:
        loaded = sys.modules["keras"].backend.backend()
        if loaded != backend:
            raise RuntimeError(f"keras_fit: Keras is already loaded on {loaded!r} in this "
                               f"process; {backend!r} needs its own process")
    os.environ["KERAS_BACKEND"] = backend
    pinning = _pin_threads(backend, threads)
    try:
        import keras
    except ImportError as e:
        raise Unavailable(f"keras is not installed ({e}); pip install -r "
                          "benchmarks/requirements.txt") from e
    if backend == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # already initialized (a second spec in one process)
            pass
        pinning["tf_intra_op"] = tf.config.threading.get_intra_op_parallelism_threads()
        pinning["tf_inter_op"] = tf.config.threading.get_inter_op_parallelism_threads()
    return keras, pinning


def build(keras, arch: str, width: int = 128):
    """The benchmark's network ``arch`` ('dense', 'convnet' or 'lstm'), softmax output, the
    same layers as benchmarks/contenders/ember_fit.py."""
    L = keras.layers
    if arch == "dense":
        layers = [L.Input(shape=(28, 28)), L.Flatten(), L.Dense(width, activation="relu"),
                  L.Dense(10, activation="softmax")]
    elif arch == "convnet":
        layers = [L.Input(shape=(28, 28, 1)),
                  L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                  L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                  L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dense(10, activation="softmax")]
    elif arch == "lstm":
        layers = [L.Input(shape=(28, 28)), L.LSTM(128), L.Dense(10, activation="softmax")]
    else:
        raise Unavailable(f"keras: no network {arch!r}")
    return keras.Sequential(layers)


def _images(arch: str, x: np.ndarray) -> np.ndarray:
    return x[..., None] if arch == "convnet" else x


def run(spec: dict, data: tuple, timed) -> dict:
    contender = spec["contender"]
    if contender not in BACKENDS:
        raise Unavailable(f"keras_fit: unknown contender {contender!r}; "
                          f"expected one of {sorted(BACKENDS)}")
    backend = BACKENDS[contender]
    keras, pinning = _import_keras(backend, spec["threads"])
    keras.utils.set_random_seed(spec["seed"])
    x, y, xt, yt = data
    workload = spec["workload"]
    info = {"backend": backend, "keras": keras.__version__, "pinning": pinning}
    if workload.startswith("predict_"):
        arch = workload.removeprefix("predict_")
        model = build(keras, arch)
        xt = _images(arch, xt)
        batch = spec["predict_batch"]
        start = time.perf_counter()  # compiles the predict step for both batch shapes
        model.predict(xt[predict_warm_slice(len(xt), batch)], batch_size=batch, verbose=0)
        first = time.perf_counter() - start
        passes = spec.get("predict_passes", 1)
        with timed():
            for _ in range(passes):
                probs = model.predict(xt, batch_size=batch, verbose=0)
        return {"images": int(len(xt)) * passes, "outputs": list(probs.shape),
                "first_s": first, **info}
    arch = workload
    model = build(keras, arch, spec.get("width", 128))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss="sparse_categorical_crossentropy")
    x = _images(arch, x)
    wx, wy = warm_subset(spec, x, y)
    first = None
    if len(wx):
        start = time.perf_counter()  # the first fit compiles / traces the train step
        model.fit(wx, wy, batch_size=spec["batch"], epochs=1, verbose=0, shuffle=True)
        first = time.perf_counter() - start
    x, y = train_subset(spec, x, y)
    marks: list[float] = []
    callbacks = [keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: marks.append(time.perf_counter()))]
    with timed() as t:
        history = model.fit(x, y, batch_size=spec["batch"], epochs=spec["epochs"], verbose=0,
                            shuffle=True, callbacks=callbacks)
    starts = [t.start] + marks[:-1]
    probs = model.predict(_images(arch, xt), batch_size=256, verbose=0)
    return {"images": int(len(x)) * spec["epochs"],
            "epoch_times": [b - a for a, b in zip(starts, marks)],
            "first_s": first, "first_steps": spec.get("warm_steps", 0),
            "params": int(model.count_params()),
            "final_loss": float(history.history["loss"][-1]),
            "accuracy": accuracy(probs, yt), **info}
