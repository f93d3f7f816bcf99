"""Interop numbers for issue 19: per network and format, the max abs difference of outputs
and the export / import times; the server's latency and throughput.

    KERAS_BACKEND=jax python benchmarks/bench_interop.py
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def keras_nets():
    import keras

    L = keras.layers
    dense = keras.Sequential([keras.Input((28, 28)), L.Flatten(), L.Dense(128, activation="relu"),
                              L.Dense(10, activation="softmax")])
    conv = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                             L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"),
                             L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
                             L.Dense(10, activation="softmax")])
    i = keras.Input((28, 28))
    lstm = keras.Model(i, L.Dense(10, activation="softmax")(L.LSTM(128)(i)))
    return {"dense": (dense, (28, 28)), "convnet": (conv, (28, 28, 1)),
            "lstm": (lstm, (28, 28))}


def formats(tmp):
    import keras

    import ember as em

    rng = np.random.default_rng(0)
    rows = []
    for name, (km, shape) in keras_nets().items():
        x = rng.random((64,) + shape, dtype=np.float32)
        want = np.asarray(km(x, training=False))
        path = os.path.join(tmp, f"{name}.keras")
        km.save(path)
        model, t_in = timed(lambda p=path: em.models.load_model(p))
        d_in = np.abs(model.predict(x, verbose=0) - want).max()
        out = os.path.join(tmp, f"{name}_e.keras")
        _, t_out = timed(lambda o=out, m=model: m.save(o))
        back = keras.saving.load_model(out)
        d_out = np.abs(np.asarray(back(x, training=False)) - want).max()
        rows.append((name, ".keras Keras->ember", d_in, t_in))
        rows.append((name, ".keras ember->Keras", d_out, t_out))
        h5 = os.path.join(tmp, f"{name}.weights.h5")
        _, t_w = timed(lambda m=model, h=h5: m.save_weights(h))
        _, t_r = timed(lambda m=model, h=h5: m.load_weights(h))
        km.load_weights(h5)
        rows.append((name, ".weights.h5 write / read", np.abs(
            np.asarray(km(x, training=False)) - model.predict(x, verbose=0)).max(), t_w + t_r))
        if name != "lstm":
            import onnxruntime as ort

            onnx_path = os.path.join(tmp, f"{name}.onnx")
            _, t_x = timed(lambda m=model, p=onnx_path: m.export(p))
            sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
            got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
            rows.append((name, "ONNX export vs onnxruntime", np.abs(
                got - model.predict(x, verbose=0)).max(), t_x))
    return rows


def torch_rows():
    import torch

    import ember as em
    from ember.interop import load_torch_state_dict

    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                        nn.Linear(1600, 10)).eval()
    model = em.Sequential([em.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
                           em.layers.MaxPooling2D(2), em.layers.Conv2D(64, 3, activation="relu"),
                           em.layers.MaxPooling2D(2), em.layers.Flatten(),
                           em.layers.Dropout(0.5), em.layers.Dense(10)])
    _, t = timed(lambda: load_torch_state_dict(model, net.state_dict()))
    x = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    return [("convnet", "PyTorch state_dict -> ember", np.abs(
        model.predict(x, verbose=0) - want).max(), t)]


def server(tmp):
    import ember as em

    model = em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                           em.layers.Dense(128, activation="relu"),
                           em.layers.Dense(10, activation="softmax")])
    path = os.path.join(tmp, "mnist.ember")
    model.save(path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "ember.cli", "serve", path, "--port",
                             str(port)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    body = json.dumps({"inputs": np.random.default_rng(0).random((1, 28, 28)).tolist()}
                      ).encode()

    def one(_=None):
        start = time.perf_counter()
        req = urllib.request.Request(url + "/predict", data=body,
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).read()
        return time.perf_counter() - start

    for _ in range(20):
        one()
    results = {}
    start = time.perf_counter()
    single = [one() for _ in range(300)]
    results["single"] = (single, 300 / (time.perf_counter() - start))
    with ThreadPoolExecutor(16) as pool:
        start = time.perf_counter()
        conc = list(pool.map(one, range(800)))
        results["16 concurrent"] = (conc, 800 / (time.perf_counter() - start))
    health = json.loads(urllib.request.urlopen(url + "/health").read())
    proc.terminate()
    proc.wait()
    return results, health


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("| network | format | max abs diff | time (s) |\n| --- | --- | ---: | ---: |")
        for name, fmt, diff, t in formats(tmp) + torch_rows():
            print(f"| {name} | {fmt} | {diff:.2e} | {t:.3f} |")
        results, health = server(tmp)
        print("\n| server (dense MNIST, 1 sample/request) | p50 ms | p99 ms | requests/s |")
        print("| --- | ---: | ---: | ---: |")
        for kind, (lat, rps) in results.items():
            lat = np.array(lat) * 1000
            print(f"| {kind} | {np.percentile(lat, 50):.2f} | {np.percentile(lat, 99):.2f} | "
                  f"{rps:.0f} |")
        print(f"\nmodel calls: {health['batches']} for {health['requests']} requests")


if __name__ == "__main__":
    main()
