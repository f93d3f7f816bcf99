"""ember through its public API, exactly as a user writes it: ``Sequential``, ``compile``,
``fit(verbose=0)``, ``predict``."""

from __future__ import annotations

import time

import numpy as np

import ember as em
from benchmarks.contenders import (
    Unavailable,
    accuracy,
    predict_warm_slice,
    train_subset,
    warm_subset,
)


def _need(*names: str) -> None:
    missing = [n for n in names if not hasattr(em.layers, n)]
    if missing:
        raise Unavailable(f"em.layers has no {', '.join(missing)} yet")


def build(arch: str, width: int = 128) -> em.Sequential:
    """The benchmark's network ``arch`` ('dense', 'convnet' or 'lstm'), softmax output;
    ``width``: the dense network's hidden units (the scaling grid varies it)."""
    L = em.layers
    if arch == "dense":
        layers = [L.Input(shape=(28, 28)), L.Flatten(), L.Dense(width, activation="relu"),
                  L.Dense(10, activation="softmax")]
    elif arch == "convnet":
        _need("Conv2D", "MaxPooling2D")
        layers = [L.Input(shape=(28, 28, 1)),
                  L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                  L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                  L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dense(10, activation="softmax")]
    elif arch == "lstm":
        _need("LSTM")
        layers = [L.Input(shape=(28, 28)), L.LSTM(128), L.Dense(10, activation="softmax")]
    else:
        raise Unavailable(f"ember: no network {arch!r}")
    return em.Sequential(layers)


def _images(arch: str, x: np.ndarray) -> np.ndarray:
    # channels-last view with one channel for the convnet; no copy
    return x[..., None] if arch == "convnet" else x


def run(spec: dict, data: tuple, timed) -> dict:
    x, y, xt, yt = data
    workload = spec["workload"]
    em.utils.set_random_seed(spec["seed"])
    if workload.startswith("predict_"):
        arch = workload.removeprefix("predict_")
        model = build(arch)
        xt = _images(arch, xt)
        batch = spec["predict_batch"]
        start = time.perf_counter()  # the same warm-up predict as Keras' (which compiles)
        model.predict(xt[predict_warm_slice(len(xt), batch)], batch_size=batch, verbose=0)
        first = time.perf_counter() - start
        passes = spec.get("predict_passes", 1)
        with timed():
            for _ in range(passes):
                probs = model.predict(xt, batch_size=batch, verbose=0)
        return {"images": int(len(xt)) * passes, "outputs": list(probs.shape),
                "first_s": first}
    arch = workload
    model = build(arch, spec.get("width", 128))
    model.compile(optimizer=em.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy")
    x = _images(arch, x)
    wx, wy = warm_subset(spec, x, y)
    first = None
    if len(wx):
        # the same first fit as Keras' (where it compiles the step): ember's first-use costs
        # (numba's import and its cached loops, lazy imports, first allocations)
        start = time.perf_counter()
        model.fit(wx, wy, batch_size=spec["batch"], epochs=1, verbose=0, shuffle=True)
        first = time.perf_counter() - start
    x, y = train_subset(spec, x, y)
    marks: list[float] = []
    # only the epoch-end hook: fit skips per-batch hooks that no callback overrides
    callbacks = [em.callbacks.LambdaCallback(
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
            "accuracy": accuracy(probs, yt)}
