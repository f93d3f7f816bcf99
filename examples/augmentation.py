"""Data augmentation on a small image set: the same convolutional network trained on 200
MNIST digits with and without random rotations, shifts and zooms.

With 200 images a network memorizes them (training accuracy 100%) and generalizes poorly;
augmentation shows it a slightly different version of each image every epoch, so it has to
learn the shapes instead, and the validation accuracy rises (from about 0.76 to 0.88 here). The
augmentation layers act only during ``fit`` (``training=True``): at evaluation and
prediction they pass images through unchanged. (No RandomFlip: a mirrored 2 or 7 is not a 2
or a 7 any more. Flips suit photos of objects, not digits.)

MNIST is downloaded on first use (or read from ``$EMBER_DATA_DIR``); without it, and with
``small=True``, the 8x8 digits bundled with scikit-learn stand in (too small an image for
shifts of a pixel to help much).

Run: python examples/augmentation.py
"""

from __future__ import annotations

import ember as em


def load_images(small: bool, n_train: int = 200) -> tuple:
    """``(x_train, y_train, x_val, y_val)``: n_train training images, scaled to [0, 1]."""
    data, _ = em.datasets.mnist_or_digits(use_digits=small, test_split=0.3)
    (x_train, y_train), (x_test, y_test) = data
    n_val = 200 if small else 2000
    scale = (lambda a: a[..., None].astype("float32") / 255.0)
    return (scale(x_train[:n_train]), y_train[:n_train], scale(x_test[:n_val]),
            y_test[:n_val])


def build(augment: bool, image_shape: tuple) -> em.Model:
    extra = [
        em.layers.RandomRotation(0.04, fill_mode="constant"),
        em.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        em.layers.RandomZoom(0.1, fill_mode="constant"),
    ] if augment else []
    model = em.Sequential([
        em.Input(image_shape),
        *extra,
        em.layers.Conv2D(16, 3, padding="same", activation="relu"),
        em.layers.MaxPooling2D(2),
        em.layers.Conv2D(32, 3, padding="same", activation="relu"),
        em.layers.MaxPooling2D(2),
        em.layers.Flatten(),
        em.layers.Dense(64, activation="relu"),
        em.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=em.optimizers.Adam(learning_rate=2e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(small: bool = False) -> dict:
    x_train, y_train, x_val, y_val = load_images(small)
    epochs = 2 if small else 40
    print(f"training on {len(x_train)} images of {x_train.shape[1:3]}, validating on "
          f"{len(x_val)}, {epochs} epochs")
    results = {}
    for augment in (False, True):
        em.utils.set_random_seed(0)
        model = build(augment, x_train.shape[1:])
        model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
        # measured after training, with the augmentation layers switched off
        _, train_acc = model.evaluate(x_train, y_train, verbose=0)
        _, val_acc = model.evaluate(x_val, y_val, verbose=0)
        name = "with augmentation" if augment else "without augmentation"
        results[name] = val_acc
        print(f"{name:>22}: training accuracy {train_acc:.3f}, validation accuracy "
              f"{val_acc:.3f}")
    gain = results["with augmentation"] - results["without augmentation"]
    print(f"augmentation changed the validation accuracy by {gain:+.3f}")
    return results


if __name__ == "__main__":
    main()
