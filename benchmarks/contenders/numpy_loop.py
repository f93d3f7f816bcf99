"""The floor of this stack: the dense network trained by a hand-written NumPy loop.

Forward, backward and Adam written out by hand, float32 throughout, every buffer allocated
once and updated in place (``out=``), softmax and cross-entropy fused. Whatever ember spends
beyond this is framework overhead. Only the dense network (training and ``predict``).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.contenders import Unavailable, accuracy, train_subset

F32 = np.float32


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(F32)


class DenseNet:
    """784 -> 128 relu -> 10 softmax with Adam(1e-3, 0.9, 0.999, 1e-7), Keras' update form."""

    def __init__(self, seed: int, batch: int, lr: float = 1e-3) -> None:
        rng = np.random.default_rng(seed)
        self.params = [_glorot(rng, 784, 128), np.zeros(128, F32),
                       _glorot(rng, 128, 10), np.zeros(10, F32)]
        self.grads = [np.empty_like(p) for p in self.params]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.tmp = [np.empty_like(p) for p in self.params]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, 0.9, 0.999, 1e-7, 0
        self.batch = batch
        self.xb = np.empty((batch, 784), F32)
        self.h = np.empty((batch, 128), F32)
        self.dh = np.empty((batch, 128), F32)
        self.z = np.empty((batch, 10), F32)
        self.zmax = np.empty((batch, 1), F32)
        self.rows = np.arange(batch)

    def forward(self, x: np.ndarray, h: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Softmax probabilities into ``z`` (``h`` receives the hidden activations)."""
        w1, b1, w2, b2 = self.params
        np.matmul(x, w1, out=h)
        h += b1
        np.maximum(h, 0, out=h)
        np.matmul(h, w2, out=z)
        z += b2
        zmax = self.zmax[:len(z)]
        np.max(z, axis=1, keepdims=True, out=zmax)
        z -= zmax
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def step(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> float:
        """One Adam step on the samples ``idx``; returns the batch's mean cross-entropy."""
        n = len(idx)
        xb, h, dh, z = self.xb[:n], self.h[:n], self.dh[:n], self.z[:n]
        np.take(x, idx, axis=0, out=xb)
        yb = y[idx]
        p = self.forward(xb, h, z)
        rows = self.rows[:n]
        loss = -float(np.log(p[rows, yb] + F32(1e-7)).mean())
        p[rows, yb] -= F32(1)  # dL/dlogits = (softmax - onehot) / n
        p *= F32(1.0 / n)
        gw1, gb1, gw2, gb2 = self.grads
        np.matmul(h.T, p, out=gw2)
        np.sum(p, axis=0, out=gb2)
        np.matmul(p, self.params[2].T, out=dh)
        dh[h <= 0] = 0
        np.matmul(xb.T, dh, out=gw1)
        np.sum(dh, axis=0, out=gb1)
        self._adam()
        return loss

    def _adam(self) -> None:
        self.t += 1
        b1, b2 = self.b1, self.b2
        alpha = F32(self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t))
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.tmp):
            m *= F32(b1)
            np.multiply(g, F32(1 - b1), out=tmp)
            m += tmp
            v *= F32(b2)
            np.multiply(g, g, out=tmp)
            tmp *= F32(1 - b2)
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += F32(self.eps)
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            p -= tmp

    def predict(self, x: np.ndarray, batch: int) -> np.ndarray:
        out = np.empty((len(x), 10), F32)
        h = np.empty((batch, 128), F32)
        if len(self.zmax) < batch:
            self.zmax = np.empty((batch, 1), F32)
        for i in range(0, len(x), batch):
            xb = x[i:i + batch]
            self.forward(xb, h[:len(xb)], out[i:i + batch])
        return out


def run(spec: dict, data: tuple, timed) -> dict:
    x, y, xt, yt = data
    workload = spec["workload"]
    if workload not in ("dense", "predict_dense"):
        raise Unavailable("the hand-written NumPy loop covers the dense network only")
    x, xt = x.reshape(len(x), 784), xt.reshape(len(xt), 784)  # views
    if workload == "predict_dense":
        net = DenseNet(spec["seed"], spec["predict_batch"])
        passes = spec.get("predict_passes", 1)
        with timed():
            for _ in range(passes):
                probs = net.predict(xt, spec["predict_batch"])
        return {"images": int(len(xt)) * passes, "outputs": list(probs.shape)}
    x, y = train_subset(spec, x, y)
    batch, n = spec["batch"], len(x)
    net = DenseNet(spec["seed"], batch)
    rng = np.random.default_rng(spec["seed"])
    y = y.astype(np.intp)
    epoch_times: list[float] = []
    with timed():
        for _ in range(spec["epochs"]):
            start = time.perf_counter()
            order = rng.permutation(n)
            running = 0.0
            for i in range(0, n, batch):
                idx = order[i:i + batch]
                running += net.step(x, y, idx) * len(idx)
            epoch_times.append(time.perf_counter() - start)
    probs = net.predict(xt, 256)
    return {"images": n * spec["epochs"], "epoch_times": epoch_times,
            "final_loss": running / n, "accuracy": accuracy(probs, yt)}
