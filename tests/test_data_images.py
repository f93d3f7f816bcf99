"""ember.data.image_dataset_from_directory and the image helpers, against Keras 3.

Keras' file order for a seed is reproducible (``RandomState(seed).shuffle`` of the sorted list),
so ``file_paths`` and the training / validation split must be identical. Keras' batch order
under ``shuffle=True`` is not a function of the seed alone (tf.data's buffer shuffle and
grain's index shuffle give two different orders for the same seed), so batch contents are
compared with ``shuffle=False``. Pixels: Keras (JAX backend, grain format) decodes with Pillow
and resizes in float32 with jax.image.resize; ember's NumPy resize agrees to 1e-3 of 255.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

Image = pytest.importorskip("PIL.Image")

CLASSES = ("dogs", "cats", "birds")


def write_folder(root, per_class=5, seed=0):
    rng = np.random.default_rng(seed)
    for c, name in enumerate(CLASSES):
        os.makedirs(root / name / "sub", exist_ok=True)
        for i in range(per_class):
            h, w = (int(v) for v in rng.integers(6, 30, 2))
            pixels = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
            mode = ("RGB", "RGBA", "L")[(i + c) % 3]
            img = Image.fromarray(pixels[..., :len(mode)] if mode != "L" else pixels[..., 0],
                                  mode)
            folder = root / name / ("sub" if i == 3 else "")
            img.save(folder / f"img{i}.png")
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


KERAS_SNIPPET = """
def grab(ds, tag):
    xs, ys = [], []
    for batch in ds:
        if isinstance(batch, tuple):
            xs.append(np.asarray(batch[0])); ys.append(np.asarray(batch[1]))
        else:
            xs.append(np.asarray(batch))
    out[tag + "_x"] = np.concatenate(xs)
    if ys:
        out[tag + "_y"] = np.concatenate(ys)
    out[tag + "_paths"] = np.array(ds.file_paths)
    out[tag + "_classes"] = np.array(ds.class_names or [])
f = keras.utils.image_dataset_from_directory
kw = dict(format="grain", verbose=False)
grab(f("d", image_size=(12, 17), batch_size=4, shuffle=False, **kw), "plain")
grab(f("d", image_size=(20, 9), batch_size=3, shuffle=False, color_mode="grayscale",
       label_mode="categorical", **kw), "gray")
grab(f("d", image_size=(8, 8), batch_size=5, shuffle=False, color_mode="rgba",
       label_mode=None, interpolation="nearest", **kw), "rgba")
grab(f("d", image_size=(10, 14), batch_size=4, shuffle=False, crop_to_aspect_ratio=True,
       class_names=["dogs", "cats"], label_mode="binary", **kw), "crop")
grab(f("d", image_size=(9, 16), batch_size=6, shuffle=False, pad_to_aspect_ratio=True,
       **kw), "pad")
tr, va = f("d", image_size=(8, 8), seed=1337, validation_split=0.3, subset="both",
           shuffle=True, **kw)
out["train_paths"] = np.array(tr.file_paths); out["val_paths"] = np.array(va.file_paths)
out["val_y"] = np.concatenate([np.asarray(b[1]) for b in va])
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("images") / "d")


@pytest.fixture(scope="module")
def keras_out(folder):
    return run_keras(KERAS_SNIPPET, folder.parent, "grain", "PIL")


def collect(ds):
    batches = list(ds)
    if isinstance(batches[0], tuple):
        return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    return np.concatenate(batches), None


def load(folder, **kw):
    os.chdir(folder.parent)  # Keras ran in the parent with the relative path "d"
    return em.data.image_dataset_from_directory("d", verbose=False, **kw)


@pytest.mark.parametrize("tag,kw", [
    ("plain", dict(image_size=(12, 17), batch_size=4)),
    ("gray", dict(image_size=(20, 9), batch_size=3, color_mode="grayscale",
                  label_mode="categorical")),
    ("rgba", dict(image_size=(8, 8), batch_size=5, color_mode="rgba", label_mode=None,
                  interpolation="nearest")),
    ("crop", dict(image_size=(10, 14), batch_size=4, crop_to_aspect_ratio=True,
                  class_names=["dogs", "cats"], label_mode="binary")),
    ("pad", dict(image_size=(9, 16), batch_size=6, pad_to_aspect_ratio=True)),
])
def test_batches_match_keras(folder, keras_out, monkeypatch, tag, kw):
    monkeypatch.chdir(folder.parent)
    ds = load(folder, shuffle=False, **kw)
    assert ds.file_paths == keras_out[f"{tag}_paths"].tolist()
    assert (ds.class_names or []) == keras_out[f"{tag}_classes"].tolist()
    x, y = collect(ds)
    want = keras_out[f"{tag}_x"]
    assert x.dtype == np.float32 and x.shape == want.shape
    np.testing.assert_allclose(x, want, atol=1e-3, rtol=0)
    if y is None:
        assert f"{tag}_y" not in keras_out
    else:
        np.testing.assert_array_equal(y, keras_out[f"{tag}_y"])
        assert y.dtype == keras_out[f"{tag}_y"].dtype


def test_seeded_split_matches_keras(folder, keras_out, monkeypatch):
    monkeypatch.chdir(folder.parent)
    train, val = load(folder, image_size=(8, 8), seed=1337, validation_split=0.3,
                      subset="both")
    assert train.file_paths == keras_out["train_paths"].tolist()
    assert val.file_paths == keras_out["val_paths"].tolist()
    # the validation subset is not reshuffled, in Keras as here: labels in the same order
    np.testing.assert_array_equal(collect(val)[1], keras_out["val_y"])
    only_val = load(folder, image_size=(8, 8), seed=1337, validation_split=0.3,
                    subset="validation")
    assert only_val.file_paths == val.file_paths
    assert not set(train.file_paths) & set(val.file_paths)


def test_reshuffles_each_epoch_reproducibly(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    runs = []
    for _ in range(2):
        ds = load(folder, image_size=(4, 4), batch_size=4, seed=7)
        runs.append([collect(ds)[1].tolist() for _ in range(3)])
    assert runs[0] == runs[1]  # the same seed, the same sequence of epochs
    assert runs[0][0] != runs[0][1]  # a new order each epoch
    assert sorted(runs[0][0]) == sorted(runs[0][2]) == [0] * 5 + [1] * 5 + [2] * 5


def test_images_are_decoded_lazily_per_batch(folder, monkeypatch):
    from ember.utils import image_utils

    decoded = []
    real = image_utils.decode_image
    monkeypatch.setattr(image_utils, "decode_image",
                        lambda p, mode: decoded.append(p) or real(p, mode))
    monkeypatch.chdir(folder.parent)
    ds = load(folder, image_size=(4, 4), batch_size=1, shuffle=False)
    assert decoded == []  # listing the folder decodes nothing
    it = iter(ds)
    first = next(it)
    assert first[0].shape == (1, 4, 4, 3)
    assert 1 <= len(decoded) <= 4  # the batch and at most the prefetched ones
    del it


def test_fit_trains_on_the_folder(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    train = load(folder, image_size=(8, 8), batch_size=4, seed=3)
    assert len(train) == 4
    model = em.Sequential([em.layers.Input((8, 8, 3)), em.layers.Rescaling(1 / 255),
                           em.layers.Flatten(), em.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.predict(train, verbose=0).shape == (15, 3)


def test_unbatched_and_labels_list(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    ds = load(folder, image_size=(5, 6), batch_size=None, shuffle=False,
              labels=list(range(15)))
    items = list(ds)
    assert len(items) == 15 and items[0][0].shape == (5, 6, 3)
    assert [int(y) for _, y in items] == list(range(15))
    assert ds.class_names == [str(i) for i in range(15)]


@pytest.mark.parametrize("kw,match", [
    (dict(label_mode="binary"), "exactly 2 classes; got 3"),
    (dict(color_mode="hsv"), "color_mode.*'hsv'"),
    (dict(validation_split=0.2), "validation_split and subset go together"),
    (dict(validation_split=0.2, subset="training"), "pass a seed"),
    (dict(class_names=["cats", "fish"]), "class_names.*do not match"),
    (dict(image_size=(0, 3)), "image_size must be positive"),
    (dict(label_mode="sparse"), "label_mode must be"),
])
def test_bad_arguments_are_named(folder, monkeypatch, kw, match):
    monkeypatch.chdir(folder.parent)
    with pytest.raises(ValueError, match=match):
        load(folder, **kw)


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="image_dataset_from_directory: no folder"):
        em.data.image_dataset_from_directory(tmp_path / "nope")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="no images found"):
        em.data.image_dataset_from_directory(tmp_path / "empty", verbose=False)


# ---------------------------------------------------------------------- image helpers
HELPERS_SNIPPET = """
from keras.utils import load_img, img_to_array, array_to_img, save_img
img = load_img("d/cats/img1.png", target_size=(9, 11), interpolation="bilinear")
out["loaded"] = img_to_array(img)
out["gray"] = img_to_array(load_img("d/cats/img1.png", color_mode="grayscale"))
out["aspect"] = img_to_array(load_img("d/dogs/img0.png", target_size=(7, 5),
                                      keep_aspect_ratio=True))
rng = np.random.default_rng(5)
arr = rng.normal(size=(6, 4, 3)).astype("float32")
out["back"] = img_to_array(array_to_img(arr))
out["noscale"] = img_to_array(array_to_img(arr * 0 + 200, scale=False))
save_img("saved.png", arr)
out["saved"] = img_to_array(load_img("saved.png"))
"""


def test_image_helpers_match_keras(folder, monkeypatch):
    want = run_keras(HELPERS_SNIPPET, folder.parent, "PIL")
    monkeypatch.chdir(folder.parent)
    u = em.utils
    got = u.img_to_array(u.load_img("d/cats/img1.png", target_size=(9, 11),
                                    interpolation="bilinear"))
    np.testing.assert_array_equal(got, want["loaded"])
    np.testing.assert_array_equal(u.img_to_array(u.load_img("d/cats/img1.png",
                                                            color_mode="grayscale")),
                                  want["gray"])
    np.testing.assert_array_equal(u.img_to_array(u.load_img(
        "d/dogs/img0.png", target_size=(7, 5), keep_aspect_ratio=True)), want["aspect"])
    arr = np.random.default_rng(5).normal(size=(6, 4, 3)).astype("float32")
    np.testing.assert_array_equal(u.img_to_array(u.array_to_img(arr)), want["back"])
    np.testing.assert_array_equal(u.img_to_array(u.array_to_img(arr * 0 + 200, scale=False)),
                                  want["noscale"])
    u.save_img("ember_saved.png", arr)
    np.testing.assert_array_equal(u.img_to_array(u.load_img("ember_saved.png")), want["saved"])


def test_image_helper_errors(tmp_path):
    with pytest.raises(ValueError, match="array_to_img: .*rank 3"):
        em.utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="unsupported number of channels 2"):
        em.utils.array_to_img(np.zeros((2, 2, 2)))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ValueError, match="bad.png is not an image"):
        em.utils.load_img(bad)
