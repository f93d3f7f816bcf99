"""``TensorBoard``: training curves, weight and gradient histograms, weight images and the
model's configuration as TensorBoard event files, as ``keras.callbacks.TensorBoard`` writes
them (``<log_dir>/train`` and ``<log_dir>/validation``; tags ``epoch_loss``,
``epoch_val``-less names in the validation run, ``batch_loss``, ``<weight path>/histogram``).

The files are written by ember itself (``ember.callbacks._tfevents``): TensorFlow is not
needed to write them, only TensorBoard to look at them (``tensorboard --logdir logs``).

Example::

    tb = em.callbacks.TensorBoard("logs/run1", histogram_freq=1, update_freq="batch")
    model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[tb])
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np

from ember.callbacks import _tfevents as tfe
from ember.callbacks._graphdef import graph_def
from ember.callbacks.base import Callback


class TensorBoard(Callback):
    """Write event files for TensorBoard during ``fit``.

    - every epoch: ``epoch_<metric>`` scalars (the validation ones in ``validation/``) and
      ``epoch_learning_rate``; ``epoch_steps_per_second`` with ``write_steps_per_second``;
    - ``update_freq="batch"`` (or an int N: every N batches): ``batch_<metric>`` scalars;
    - every ``histogram_freq`` epochs: ``<weight path>/histogram`` and, where the last step
      left a gradient, ``<weight path>/gradient_histogram``; with ``write_images`` each 1-D
      to 3-D weight as an image as well;
    - ``write_graph``: the model's configuration (``keras`` tag, the graph_keras_model
      plugin TensorBoard's Graphs tab shows; also as text, tag ``model_config``) and, for
      Sequential and functional models, a ``GraphDef`` of the layers (one node per layer
      call, with output shapes).
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: str | int = "epoch",
                 profile_batch: int = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Any = None) -> None:
        super().__init__()
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be a non-negative int; got "
                             f"{histogram_freq!r}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a "
                             f"positive int; got {update_freq!r}")
        if profile_batch or embeddings_freq:
            raise ValueError("TensorBoard: profile_batch and embeddings_freq are not "
                             "supported by ember (leave them 0)")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self._writers: dict[str, tfe.EventFileWriter] = {}
        self._global_batch = 0
        self._epoch_start = 0.0
        self._epoch_batches = 0

    # ------------------------------------------------------------------ writers
    def _writer(self, run: str) -> tfe.EventFileWriter:
        if run not in self._writers:
            self._writers[run] = tfe.EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._close()
        self._global_batch = 0
        train = self._writer("train")
        if self.write_graph and hasattr(self.model, "get_config"):
            try:
                config = json.dumps({"class_name": type(self.model).__name__,
                                     "config": self.model.get_config()}, default=str)
            except (TypeError, ValueError, NotImplementedError):
                config = None  # a subclassed model without a config: nothing to draw
            if config is not None:
                train.add(0, tfe.text_tensor_value("keras", config, "graph_keras_model",
                                                   b"1"))
                # the same JSON readable in the Text tab (a code block keeps it verbatim)
                text = "```\n" + json.dumps(json.loads(config), indent=2) + "\n```"
                train.add(0, tfe.text_tensor_value("model_config", text, "text"))
            graph = graph_def(self.model)
            if graph is not None:
                train.add_graph(graph)
        train.flush()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._global_batch += 1
        self._epoch_batches += 1
        if self.update_freq == "epoch" or self._global_batch % self.update_freq:
            return
        values = [tfe.scalar_value(f"batch_{k}", v) for k, v in _scalars(logs).items()]
        self._writer("train").add(self._global_batch, *values)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        scalars = _scalars(logs)
        train = {k: v for k, v in scalars.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in scalars.items() if k.startswith("val_")}
        lr = _learning_rate(self.model)
        if lr is not None:
            train.setdefault("learning_rate", lr)
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            train["steps_per_second"] = self._epoch_batches / elapsed if elapsed > 0 else 0.0
        writer = self._writer("train")
        writer.add(epoch, *(tfe.scalar_value(f"epoch_{k}", v) for k, v in train.items()))
        if val:
            self._writer("validation").add(
                epoch, *(tfe.scalar_value(f"epoch_{k}", v) for k, v in val.items()))
            self._writer("validation").flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()

    # ------------------------------------------------------------------ weights
    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in getattr(self.model, "layers", []):
            for weight in layer.weights:
                name = str(getattr(weight, "path", weight.name)).replace(":", "_")
                values = [tfe.histogram_value(f"{name}/histogram", weight.numpy())]
                grad = getattr(weight, "grad", None)
                if grad is not None:
                    values.append(tfe.histogram_value(f"{name}/gradient_histogram",
                                                      np.asarray(grad.numpy())))
                if self.write_images:
                    image = _weight_image(weight.numpy())
                    if image is not None:
                        values.append(tfe.image_value(f"{name}/image", tfe.png_bytes(image),
                                                      *image.shape))
                writer.add(epoch, *values)


def _scalars(logs: dict | None) -> dict[str, float]:
    out = {}
    for k, v in (logs or {}).items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            continue  # not a number (a list, a string): not a scalar curve
    return out


def _learning_rate(model: Any) -> float | None:
    lr = getattr(getattr(model, "optimizer", None), "learning_rate", None)
    try:
        return None if lr is None else float(lr)
    except (TypeError, ValueError):
        return None  # a schedule object without a current value


def _weight_image(w: np.ndarray) -> np.ndarray | None:
    """A weight as a grayscale picture (Keras' layout: a bias as a row, a kernel with the
    longer side across, a 3-D kernel's channels stacked), scaled to 0..255."""
    w = np.squeeze(np.asarray(w, dtype=np.float64))
    if w.ndim == 1:
        w = w[None, :]
    elif w.ndim == 2:
        w = w.T if w.shape[0] > w.shape[1] else w
    elif w.ndim == 3:
        w = np.concatenate(list(np.transpose(w, (2, 0, 1))), axis=0)
    else:
        return None
    lo, hi = w.min(), w.max()
    scaled = np.zeros_like(w) if hi == lo else (w - lo) / (hi - lo) * 255
    return np.round(scaled).astype(np.uint8)[:, :, None]
