"""Train the MNIST convnet, then ask it why it gets some digits wrong.

1. The Keras MNIST convnet trains with ``em.callbacks.Doctor()`` watching (it prints what it
   found when training ends: a healthy run says "no problems found").
2. For the mistakes it is most sure of, Integrated Gradients shows which pixels pushed it
   towards the wrong digit (and their sum, by completeness, is the logit's rise over a black
   image), and Grad-CAM where in the image the last convolution saw the evidence.
3. ``em.explain.report`` writes everything — summary, curves, doctor, confusion matrix, worst
   mistakes with their maps, examples of each class — to one HTML file you can open offline.

MNIST is read from ``$EMBER_DATA_DIR`` (or downloaded on first use).

Run: python examples/explain_mnist.py            (60,000 images, 2 epochs: a few minutes)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ember as em


def build() -> em.Model:
    L = em.layers
    model = em.Sequential([
        em.Input((28, 28, 1)),
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu", name="last_conv"), L.MaxPooling2D(2),
        L.Flatten(), L.Dropout(0.5), L.Dense(10, name="logits"),
    ])
    model.compile("adam", em.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def main(small: bool = False, out_dir: str = ".") -> dict:
    (x, y), (xt, yt) = em.datasets.mnist.load_data()
    n_train, n_test, epochs = (1000, 200, 1) if small else (60000, 2000, 2)
    x = (x[:n_train] / 255.0).astype(np.float32)[..., None]
    xt = (xt[:n_test] / 255.0).astype(np.float32)[..., None]
    y, yt = y[:n_train], yt[:n_test]
    em.utils.set_random_seed(0)
    model = build()
    print(f"training the MNIST convnet on {n_train} images, {epochs} epoch(s)")
    history = model.fit(x, y, epochs=epochs, batch_size=64, validation_data=(xt, yt),
                        verbose=0, callbacks=[em.callbacks.Doctor()])
    logits = model.predict(xt, verbose=0)
    pred = logits.argmax(axis=1)
    accuracy = float((pred == yt).mean())
    wrong = np.flatnonzero(pred != yt)
    print(f"test accuracy {accuracy:.2%}: {len(wrong)} of {n_test} test digits wrong")

    # the mistakes made with the largest margin over the true class
    margin = logits[wrong, pred[wrong]] - logits[wrong, yt[wrong]]
    order = np.argsort(-margin)[:5]
    worst, margin = wrong[order], margin[order]
    if len(worst):
        attr, delta = em.explain.integrated_gradients(
            model, xt[worst], pred[worst], n_steps=64, method="gausslegendre",
            return_convergence_delta=True)
        cam = em.explain.grad_cam(model, xt[worst], pred[worst], layer="last_conv",
                                  upsample_to_input="bilinear")
        rise = logits[worst, pred[worst]] - model.predict(np.zeros_like(xt[worst]),
                                                          verbose=0)[np.arange(len(worst)),
                                                                     pred[worst]]
        for k, i in enumerate(worst):
            a = attr[k, ..., 0]
            r, c = np.unravel_index(a.argmax(), a.shape)
            where = cam[k]
            peak = "none (all its evidence is negative)"
            if where.max() > 0:
                peak = str(tuple(int(v) for v in np.unravel_index(where.argmax(), where.shape)))
            print(f"  #{i}: a {yt[i]} read as {pred[i]} (logit margin {margin[k]:.2f}); "
                  f"IG sums to {a.sum():.2f} = logit rise {rise[k]:.2f} "
                  f"(delta {delta[k]:+.1e}); strongest pixel ({r}, {c}); Grad-CAM peak {peak}")
    path = em.explain.report(model, xt, yt, history=history,
                             path=Path(out_dir) / "explain_mnist.html",
                             method="integrated_gradients", worst=8 if not small else 4,
                             per_class=2 if not small else 1)
    print(f"report written to {path}")
    return {"accuracy": accuracy, "mistakes": len(wrong), "report": path,
            "findings": em.explain.diagnose(model)}


if __name__ == "__main__":
    main()
