"""ember.applications against keras.applications: the same network built in Keras 3 with
weights=None, its weights saved and loaded into ember, gives the same outputs."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
pytest.importorskip("h5py")

import ember as em  # noqa: E402
from ember.applications import imagenet_utils, resnet50, vgg16  # noqa: E402

CASES = [  # (name, kwargs): small inputs keep them fast
    ("VGG16", dict(include_top=True, input_shape=(32, 32, 3), classes=7)),
    ("VGG19", dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")),
    ("ResNet50", dict(include_top=False, input_shape=(32, 32, 3), pooling="max")),
    ("MobileNetV2", dict(include_top=True, input_shape=(32, 32, 3), classes=5)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[c[0] for c in CASES])
def test_same_outputs_as_keras(name, kwargs, tmp_path):
    keras = pytest.importorskip("keras")
    km = getattr(keras.applications, name)(weights=None, **kwargs)
    rng = np.random.default_rng(0)
    weights = []
    for w in km.weights:  # random batch-norm statistics, so they matter
        value = np.asarray(w.numpy())
        if "moving_variance" in w.path:
            value = rng.uniform(0.5, 1.5, value.shape).astype("float32")
        elif "moving_mean" in w.path or "beta" in w.path:
            value = rng.normal(0, 0.1, value.shape).astype("float32")
        weights.append(value)
    km.set_weights(weights)
    km.save_weights(tmp_path / "w.weights.h5")
    model = getattr(em.applications, name)(weights=str(tmp_path / "w.weights.h5"), **kwargs)
    # the same layers, named as Keras names them (the input's name carries a session counter),
    # and the order Keras saves them in computed right for a branching graph
    from ember.interop.keras_layout import model_layers

    def names(layers):  # auto-named layers carry session counters ("..._1") in both
        return [re.sub(r"_\d+$", "", layer.name) for layer in layers][1:]

    assert names(model_layers(model)) == names(km.layers)
    x = vgg16.preprocess_input(rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32"))
    want = np.asarray(km(x, training=False))
    got = model.predict(x, verbose=0)
    scale = max(1.0, float(np.abs(want).max()))
    assert np.abs(got - want).max() / scale < 1e-4


def test_preprocess_input_matches_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(1).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(resnet50.preprocess_input(x.copy()),
                               keras.applications.resnet50.preprocess_input(x.copy()),
                               rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="tf"),
                               keras.applications.mobilenet_v2.preprocess_input(x.copy()),
                               rtol=1e-6, atol=1e-6)


def test_imagenet_weights_fail_at_once_offline(tmp_path, monkeypatch):
    import time

    from ember.datasets import _download

    monkeypatch.setenv("EMBER_HOME", str(tmp_path))
    monkeypatch.setattr("pathlib.Path.home", lambda: tmp_path)

    def no_network(url, timeout):
        raise OSError("no network (test)")

    monkeypatch.setattr(_download, "_resolve", no_network)
    start = time.perf_counter()
    with pytest.raises(_download.DownloadError, match="put it at .*vgg16_weights_tf_dim"):
        em.applications.VGG16(weights="imagenet", include_top=False,
                              input_shape=(32, 32, 3))
    assert time.perf_counter() - start < 10
    with pytest.raises(ValueError, match="weights must be None, 'imagenet' or the path"):
        em.applications.VGG16(weights="nowhere.h5")
    with pytest.raises(ValueError, match="classes must be 1000"):
        em.applications.ResNet50(weights="imagenet", classes=10)


def test_legacy_by_name_weights_file(tmp_path):
    """Keras' published ImageNet files use Keras 2's by-name layout: write one with Keras'
    own legacy writer and load it."""
    keras = pytest.importorskip("keras")
    h5py = pytest.importorskip("h5py")
    from keras.src.legacy.saving import legacy_h5_format

    km = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    with h5py.File(tmp_path / "legacy.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, km)
    model = em.applications.VGG16(weights=str(tmp_path / "legacy.h5"), include_top=False,
                                  input_shape=(32, 32, 3))
    x = np.random.default_rng(2).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    assert np.abs(model.predict(x, verbose=0) - np.asarray(km(x))).max() < 1e-4
