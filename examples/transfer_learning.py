"""Transfer learning: features learned on one task help another that has few labels.

The source task is telling apart the digits 0-4, with plenty of images. The target task is
telling apart the digits 5-9 with only 100 labelled images. Three ways to train for it:

1. from scratch: the whole convolutional network trained on the 100 images;
2. feature extraction: the source network's convolutional body, frozen
   (``trainable = False``), cut out with ``em.Model(source.input, layer.output)``, and a new
   classifier head trained on top of it;
3. fine-tuning: the same, then the body unfrozen and everything trained a little more at a
   small learning rate (large steps would wreck the learned features).

Strokes, loops and edges look alike in every digit, so the reused body gives the head better
features than 100 images can teach a fresh network: on MNIST the validation accuracy on 5-9
goes from 0.880 (scratch) to 0.922 (feature extraction) and 0.921 (fine-tuning). Cutting
after the body matters: the source network's dense layer had learned the digits 0-4
themselves, and features taken after it gave only 0.755.

MNIST is downloaded on first use (or read from ``$EMBER_DATA_DIR``); without it, and with
``small=True``, the 8x8 digits bundled with scikit-learn stand in.

Run: python examples/transfer_learning.py
"""

from __future__ import annotations

import numpy as np

import ember as em


def load_tasks(small: bool, n_target: int = 100) -> dict:
    """Scaled images for the source task (0-4) and the target task (5-9, labels 0-4)."""
    data, _ = em.datasets.mnist_or_digits(use_digits=small, test_split=0.3)
    (x_train, y_train), (x_test, y_test) = data

    def scale(a: np.ndarray) -> np.ndarray:
        return a[..., None].astype("float32") / 255.0

    low, high = y_train < 5, y_train >= 5
    n_source = 600 if small else 20000
    rng = np.random.default_rng(0)
    few = rng.permutation(np.flatnonzero(high))[:n_target]  # the few labelled target images
    val = y_test >= 5
    return {"source": (scale(x_train[low][:n_source]), y_train[low][:n_source]),
            "target": (scale(x_train[few]), y_train[few] - 5),
            "target_val": (scale(x_test[val]), y_test[val] - 5)}


def convnet(image_shape: tuple) -> em.Model:
    """A convolutional body ending in "features" (the flattened feature maps), then a dense
    classifier: the body learns generic strokes and shapes, the dense layers the task."""
    inp = em.Input(image_shape)
    x = em.layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = em.layers.MaxPooling2D(2)(x)
    x = em.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = em.layers.MaxPooling2D(2)(x)
    x = em.layers.Flatten(name="features")(x)
    x = em.layers.Dense(64, activation="relu")(x)
    out = em.layers.Dense(5, activation="softmax", name="head")(x)
    return em.Model(inp, out)


def compile_(model: em.Model, learning_rate: float) -> em.Model:
    model.compile(optimizer=em.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(small: bool = False) -> dict:
    tasks = load_tasks(small)
    (xs, ys), (xt, yt), (xv, yv) = tasks["source"], tasks["target"], tasks["target_val"]
    shape = xs.shape[1:]
    epochs = 2 if small else 30
    print(f"source task: {len(xs)} images of the digits 0-4; target task: {len(xt)} images "
          f"of the digits 5-9, validated on {len(xv)}")
    results = {}

    em.utils.set_random_seed(0)
    scratch = compile_(convnet(shape), 1e-3)
    scratch.fit(xt, yt, epochs=epochs, batch_size=16, verbose=0)
    results["from scratch"] = scratch.evaluate(xv, yv, verbose=0)[1]

    em.utils.set_random_seed(0)
    source = compile_(convnet(shape), 1e-3)
    source.fit(xs, ys, epochs=1 if small else 2, batch_size=32, verbose=0)
    body = em.Model(source.input, source.get_layer("features").output)
    body.trainable = False  # its weights stay as the source task left them
    head = em.layers.Dense(5, activation="softmax", name="new_head")(body.output)
    model = compile_(em.Model(body.input, head), 1e-3)
    print(f"feature extraction: {model.count_params()} parameters, of which "
          f"{sum(w.data.size for w in model.trainable_weights)} trainable (the new head)")
    model.fit(xt, yt, epochs=epochs, batch_size=16, verbose=0)
    results["feature extraction"] = model.evaluate(xv, yv, verbose=0)[1]

    body.trainable = True  # fine-tuning: everything, in small steps
    compile_(model, 1e-4).fit(xt, yt, epochs=max(epochs // 3, 1), batch_size=16, verbose=0)
    results["fine-tuning"] = model.evaluate(xv, yv, verbose=0)[1]

    for name, acc in results.items():
        print(f"{name:>20}: validation accuracy on the digits 5-9 {acc:.3f}")
    return results


if __name__ == "__main__":
    main()
