"""PyTorch (CPU) with a plain, idiomatic training loop: manual batching over a shuffled index
(the same work a DataLoader does for in-memory tensors, without its worker machinery),
``zero_grad`` / ``backward`` / ``step``, the running loss read with ``.item()`` as ember's fit
does. Same architectures and Adam hyper-parameters as ember (eps 1e-7, Keras' default)."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from benchmarks.contenders import (
    Unavailable,
    accuracy,
    predict_warm_slice,
    train_subset,
    warm_subset,
)


class _LSTMNet(nn.Module):
    """LSTM(128) over the 28 rows of an image, the last hidden state into Dense 10."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def build(arch: str, width: int = 128) -> nn.Module:
    """The network ``arch`` producing logits (the loss and ``predict`` add the softmax);
    ``width``: the dense network's hidden units."""
    if arch == "dense":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(),
                             nn.Linear(width, 10))
    if arch == "convnet":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    if arch == "lstm":
        return _LSTMNet()
    raise Unavailable(f"torch: no network {arch!r}")


def _images(arch: str, x: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(x)  # shares memory with the NumPy array
    return t.unsqueeze(1) if arch == "convnet" else t  # NCHW, one channel


def _predict(model: nn.Module, x: torch.Tensor, batch: int) -> np.ndarray:
    model.eval()
    with torch.inference_mode():
        outs = [torch.softmax(model(x[i:i + batch]), dim=1) for i in range(0, len(x), batch)]
        return torch.cat(outs).numpy()


def run(spec: dict, data: tuple, timed) -> dict:
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    x, y, xt, yt = data
    workload = spec["workload"]
    if workload.startswith("predict_"):
        arch = workload.removeprefix("predict_")
        model = build(arch)
        xt_t = _images(arch, xt)
        batch = spec["predict_batch"]
        start = time.perf_counter()  # the same warm-up predict as the others'
        _predict(model, xt_t[predict_warm_slice(len(xt_t), batch)], batch)
        first = time.perf_counter() - start
        passes = spec.get("predict_passes", 1)
        with timed():
            for _ in range(passes):
                probs = _predict(model, xt_t, batch)
        return {"images": int(len(xt)) * passes, "outputs": list(probs.shape),
                "first_s": first}
    arch = workload
    model = build(arch, spec.get("width", 128))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    batch = spec["batch"]
    rng = np.random.default_rng(spec["seed"])

    def epoch(xs: torch.Tensor, ys: torch.Tensor) -> float:
        n = len(xs)
        model.train()
        order = torch.from_numpy(rng.permutation(n))
        running = 0.0
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
            running += loss.item() * len(idx)
        return running / n

    wx, wy = warm_subset(spec, x, y)
    first = None
    if len(wx):  # the same first steps as the others' first fit
        start = time.perf_counter()
        epoch(_images(arch, wx), torch.from_numpy(wy.astype(np.int64)))
        first = time.perf_counter() - start
    x, y = train_subset(spec, x, y)
    xs, ys = _images(arch, x), torch.from_numpy(y.astype(np.int64))
    n = len(x)
    epoch_times: list[float] = []
    with timed():
        for _ in range(spec["epochs"]):
            start = time.perf_counter()
            final_loss = epoch(xs, ys)
            epoch_times.append(time.perf_counter() - start)
    probs = _predict(model, _images(arch, xt), 256)
    return {"images": n * spec["epochs"], "epoch_times": epoch_times,
            "first_s": first, "first_steps": spec.get("warm_steps", 0),
            "params": int(sum(p.numel() for p in model.parameters())),
            "final_loss": final_loss, "accuracy": accuracy(probs, yt),
            "torch_threads": torch.get_num_threads()}
