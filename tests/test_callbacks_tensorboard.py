"""ember.callbacks.TensorBoard writes event files TensorBoard itself reads back (its own
EventAccumulator, skipped where tensorboard is not installed) and the framing checks out."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import ember as em
from ember.callbacks import _tfevents as tfe


def test_crc32c_and_framing():
    # RFC 3720's CRC-32C check value, and the masked CRC of an empty string
    assert tfe.crc32c(b"123456789") == 0xE3069283
    assert tfe.crc32c(bytes(32)) == 0x8A9136AA
    rec = tfe.record(b"hello")
    assert struct.unpack("<Q", rec[:8])[0] == 5 and rec[12:17] == b"hello"
    assert struct.unpack("<I", rec[8:12])[0] == tfe.masked_crc32c(rec[:8])


def fit_with_tensorboard(tmp_path, **kw):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = em.Sequential([em.layers.Input((4,)), em.layers.Dense(5, activation="relu"),
                           em.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    tb = em.callbacks.TensorBoard(tmp_path / "logs", **kw)
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[tb])
    return model, history


def accumulator(path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = ea_mod.EventAccumulator(str(path), size_guidance={ea_mod.SCALARS: 0,
                                                            ea_mod.HISTOGRAMS: 0,
                                                            ea_mod.IMAGES: 0,
                                                            ea_mod.TENSORS: 0})
    acc.Reload()
    return acc


def test_tensorboard_reads_scalars_histograms_images_and_config(tmp_path):
    model, history = fit_with_tensorboard(tmp_path, histogram_freq=1, write_images=True,
                                          update_freq="batch", write_steps_per_second=True)
    train = accumulator(tmp_path / "logs" / "train")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss",
            "epoch_steps_per_second"} <= set(tags["scalars"])
    losses = [e.value for e in train.Scalars("epoch_loss")]
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    assert [e.step for e in train.Scalars("batch_loss")] == list(range(1, 10))  # 3 x 3
    np.testing.assert_allclose(train.Scalars("epoch_learning_rate")[0].value, 0.001)
    kernel = model.layers[0].weights[0]
    name = f"{kernel.path}/histogram"
    assert name in tags["histograms"] and f"{kernel.path}/gradient_histogram" in \
        tags["histograms"]
    histo = train.Histograms(name)[-1].histogram_value
    w = kernel.numpy()
    assert histo.num == w.size and histo.min == pytest.approx(w.min())
    assert histo.max == pytest.approx(w.max()) and sum(histo.bucket) == w.size
    assert histo.sum == pytest.approx(float(w.astype(np.float64).sum()), rel=1e-6)
    image = train.Images(f"{kernel.path}/image")[-1]
    assert (image.height, image.width) == (4, 5)  # Keras' layout: the longer side across
    assert image.encoded_image_string.startswith(b"\x89PNG")
    config = train.Tensors("keras")[0].tensor_proto.string_val[0]
    assert json.loads(config)["class_name"] == "Sequential"
    val = accumulator(tmp_path / "logs" / "validation")
    val_losses = [e.value for e in val.Scalars("epoch_loss")]
    np.testing.assert_allclose(val_losses, history.history["val_loss"], rtol=1e-6)


def test_png_is_readable_by_pillow():
    Image = pytest.importorskip("PIL.Image")
    import io

    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    img = Image.open(io.BytesIO(tfe.png_bytes(pixels)))
    np.testing.assert_array_equal(np.asarray(img), pixels)


def test_epoch_only_by_default_and_bad_arguments(tmp_path):
    fit_with_tensorboard(tmp_path)
    train = accumulator(tmp_path / "logs" / "train")
    assert "batch_loss" not in train.Tags()["scalars"] and not train.Tags()["histograms"]
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive"):
        em.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch and embeddings_freq"):
        em.callbacks.TensorBoard(profile_batch=3)


def test_graph_def_and_config_text_are_read_by_tensorboard(tmp_path):
    a, b = em.Input((4,), name="a"), em.Input((3,), name="b")
    h = em.layers.Dense(5, activation="relu", name="hidden")(a)
    merged = em.layers.Concatenate(name="merge")([h, b])
    model = em.Model([a, b], em.layers.Dense(1, name="out")(merged))
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")]
    model.fit(xs, rng.normal(size=(8, 1)).astype("float32"), epochs=1, verbose=0,
              callbacks=[em.callbacks.TensorBoard(tmp_path / "logs")])
    train = accumulator(tmp_path / "logs" / "train")
    assert train.Tags()["graph"]
    graph = train.Graph()  # TensorBoard's own GraphDef parse
    nodes = {n.name: n for n in graph.node}
    assert set(nodes) == {"a", "b", "hidden", "merge", "out"}
    assert nodes["hidden"].op == "Dense" and list(nodes["hidden"].input) == ["a"]
    assert list(nodes["merge"].input) == ["hidden", "b"]
    assert nodes["merge"].op == "Concatenate" and list(nodes["out"].input) == ["merge"]
    shape = nodes["merge"].attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shape.dim] == [-1, 8]
    text = train.Tensors("model_config")[0].tensor_proto.string_val[0].decode()
    assert text.startswith("```") and json.loads(text.strip("`\n"))["class_name"] == "Model"
    assert "model_config" in train.Tags()["tensors"]
    keras_json = json.loads(train.Tensors("keras")[0].tensor_proto.string_val[0])
    assert keras_json == json.loads(text.strip("`\n"))  # the same config, two plugins


def test_subclassed_model_writes_no_graph(tmp_path):
    from ember.callbacks._graphdef import graph_def

    class Net(em.Model):
        def __init__(self):
            super().__init__()
            self.d = em.layers.Dense(1)

        def call(self, x):
            return self.d(x)

    assert graph_def(Net()) is None
