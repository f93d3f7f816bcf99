"""The articles' transfer-learning recipe, end to end: take a pretrained network's body, freeze
it, train a new head on a small folder of images, then fine-tune.

1. **A pretrained body.** ``em.applications.VGG16(include_top=False, weights=...)``, cut
   after its second block (``em.Model(vgg.input, vgg.get_layer("block2_pool").output)``:
   the edge and corner detectors, the layers that transfer best, and cheap enough for NumPy).
   With network access, ``weights="imagenet"`` fetches Keras' published file; offline, pass
   ``weights=path`` to such a file (``--weights vgg16_..._notop.h5``; the images are then
   prepared with ``em.applications.vgg16.preprocess_input``, as ImageNet's were). When there
   is none, this example makes its own pretrained body: it trains those blocks on a *source*
   task (which way stripes run: four orientations, random colours), saves VGG16's body in
   Keras' ``.weights.h5`` format and builds it again with ``weights=that path``, the way an
   ImageNet file is loaded. (MobileNetV2 does not learn that source task in the few hundred
   steps a NumPy run affords: its BatchNormalization statistics, momentum 0.999, barely
   move; a VGG body has none.)
2. **A small image folder.** The *target* task, 3 classes (circle, square, triangle), is
   written as PNG files to ``<workdir>/shapes/<class>/`` and read back with
   ``em.data.image_dataset_from_directory`` (labels from the folder names, a seeded
   training / validation split).
3. **Feature extraction.** ``body.trainable = False``; a new head (global max pooling,
   batch normalization, dropout, a softmax Dense) is trained on top. The body is called
   with ``training=False``, as Keras' guide does (it keeps BatchNormalization statistics
   of a body that has them).
4. **Fine-tuning.** ``body.trainable = True`` and a few more epochs at a 100x smaller
   learning rate, so the updates adjust the pretrained features instead of wrecking them.

Orientation detectors learned on stripes are what tells a triangle's slanted edges from a
square's straight ones, so the frozen body gives the head features it can use at once.

Run: python examples/transfer_learning_pretrained.py [--weights FILE] [--workdir DIR]
(``main(small=True)`` is the tiny version the tests run.)
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import ember as em

CLASSES = ("circle", "square", "triangle")


# ---------------------------------------------------------------------- synthetic images
def _canvas(rng: np.random.Generator, size: int) -> np.ndarray:
    background = rng.uniform(0, 90, 3)
    noise = rng.normal(0, 8, (size, size, 3))
    return np.clip(background + noise, 0, 255)


def shape_image(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One (size, size, 3) uint8 picture of a filled circle, square or triangle."""
    img = _canvas(rng, size)
    r = rng.uniform(0.22, 0.38) * size
    cy, cx = rng.uniform(r + 1, size - r - 1, 2)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    if kind == "circle":
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
    elif kind == "square":
        inside = (np.abs(yy - cy) <= r * 0.85) & (np.abs(xx - cx) <= r * 0.85)
    else:  # an upright triangle: below its apex, between two slanted edges
        top, bottom = cy - r, cy + r
        half = (yy - top) / (2 * r) * r * 1.15
        inside = (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half)
    img[inside] = rng.uniform(150, 255, 3)
    return img.astype(np.uint8)


def stripes(n: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The source task: stripes at 0, 45, 90 or 135 degrees, random colours and widths."""
    labels = rng.integers(0, 4, n)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    images = np.empty((n, size, size, 3), np.float32)
    for i, k in enumerate(labels):
        angle = k * np.pi / 4
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / rng.uniform(2.5, 5) + rng.uniform(
            0, 6.3)
        on = (np.sin(phase) > 0)[..., None]
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        images[i] = np.where(on, a, b) + rng.normal(0, 8, (size, size, 3))
    return np.clip(images, 0, 255), labels


def write_folder(root: str, per_class: int, size: int, seed: int = 0) -> str:
    """The target task's image folder: ``root/shapes/<class>/<i>.png``."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "shapes")
    for kind in CLASSES:
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
        for i in range(per_class):
            em.utils.save_img(os.path.join(folder, kind, f"{i:03d}.png"),
                              shape_image(kind, size, rng))
    return folder


# ---------------------------------------------------------------------- the recipe
CUT = "block2_pool"


def pretrained_body(size: int, weights: str | None, workdir: str, n_source: int,
                    epochs: int) -> em.Model:
    """VGG16's convolutional body with pretrained weights, cut after ``CUT`` (its first two
    blocks: edge and corner detectors, the layers that transfer best): from ``weights`` (a
    Keras VGG16 no-top file) when given, else pretrained here on the stripes task, saved as
    .weights.h5 and loaded from that file."""
    shape = (size, size, 3)
    if weights is not None and os.path.exists(weights):
        print(f"pretrained body: VGG16 from {weights}")
        vgg = em.applications.VGG16(input_shape=shape, include_top=False, weights=weights)
        return em.Model(vgg.input, vgg.get_layer(CUT).output)
    print("pretrained body: no weights file given, so VGG16's first blocks are pretrained "
          "here on the source task (stripe orientation)")
    em.utils.set_random_seed(0)
    vgg = em.applications.VGG16(input_shape=shape, include_top=False, weights=None)
    cut = em.Model(vgg.input, vgg.get_layer(CUT).output)  # shares vgg's layers
    x, y = stripes(n_source, size, np.random.default_rng(1))
    inp = em.Input(shape)
    h = cut(em.layers.Rescaling(1 / 255)(inp))
    out = em.layers.Dense(4, activation="softmax")(em.layers.GlobalAveragePooling2D()(h))
    source = em.Model(inp, out)
    source.compile(em.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    hist = source.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.2, verbose=0)
    print(f"  source task accuracy: {hist.history['val_accuracy'][-1]:.3f} (chance 0.25)")
    path = os.path.join(workdir, "vgg16_stripes_no_top.weights.h5")
    vgg.save_weights(path)  # the whole body, in Keras' format, as the published files
    again = em.applications.VGG16(input_shape=shape, include_top=False, weights=path)
    return em.Model(again.input, again.get_layer(CUT).output)


def main(small: bool = False, weights: str | None = None, workdir: str | None = None) -> dict:
    size = 32 if small else 64
    per_class = 40 if small else 200
    n_source = 160 if small else 2000
    head_epochs, tune_epochs = (8, 2) if small else (12, 4)
    workdir = workdir or tempfile.mkdtemp(prefix="ember_transfer_")
    folder = write_folder(workdir, per_class, size)
    train, val = em.data.image_dataset_from_directory(
        folder, image_size=(size, size), batch_size=16, validation_split=0.25,
        subset="both", seed=42, verbose=False)
    print(f"target task: {len(train.file_paths)} training and {len(val.file_paths)} "
          f"validation images of {train.class_names} in {folder}")

    body = pretrained_body(size, weights, workdir, n_source, 3 if small else 6)
    body.trainable = False
    inp = em.Input((size, size, 3))
    if weights is not None and os.path.exists(weights):  # ImageNet's preprocessing
        prep = em.applications.vgg16.preprocess_input
        train = train.map(lambda x, y: (prep(x), y))
        val = val.map(lambda x, y: (prep(x), y))
        h = body(inp, training=False)
    else:  # the body was pretrained on pixels in [0, 1]
        h = body(em.layers.Rescaling(1 / 255)(inp), training=False)
    # the head: strongest response of each detector anywhere (the shapes sit anywhere),
    # standardized (the body's outputs are unnormalized; momentum 0.9 so that the moving
    # statistics settle within the few steps here), dropout, a softmax classifier
    h = em.layers.BatchNormalization(momentum=0.9)(em.layers.GlobalMaxPooling2D()(h))
    h = em.layers.Dropout(0.2)(h)
    model = em.Model(inp, em.layers.Dense(len(CLASSES), activation="softmax")(h))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print(f"feature extraction: {trainable} weights trainable (the new head), "
          f"{sum(int(np.prod(w.shape)) for w in body.weights)} frozen in the body")
    model.compile(em.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    chance = model.evaluate(val, verbose=0, return_dict=True)["accuracy"]
    model.fit(train, epochs=head_epochs, verbose=0)
    frozen = model.evaluate(val, verbose=0, return_dict=True)["accuracy"]
    print(f"  validation accuracy: {chance:.3f} before training, {frozen:.3f} with the "
          f"new head (chance {1 / len(CLASSES):.3f})")

    body.trainable = True  # fine-tuning: everything, at a small learning rate
    model.compile(em.optimizers.Adam(1e-4), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(train, epochs=tune_epochs, verbose=0)
    tuned = model.evaluate(val, verbose=0, return_dict=True)["accuracy"]
    print(f"fine-tuning: validation accuracy {tuned:.3f}")
    return {"untrained": chance, "feature extraction": frozen, "fine-tuning": tuned,
            "model": model, "workdir": workdir}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="a Keras VGG16 no-top weights file (ImageNet's)")
    parser.add_argument("--workdir", help="where the image folder and weights are written")
    parser.add_argument("--small", action="store_true", help="a tiny, fast run")
    args = parser.parse_args()
    main(small=args.small, weights=args.weights, workdir=args.workdir)
