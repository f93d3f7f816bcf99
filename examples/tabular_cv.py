"""Tabular classification from a CSV file: read it, cross-validate a small network, and
report per-class precision / recall / F1 on a held-out test set.

The CSV is written first from scikit-learn's breast-cancer data, with two things real tables
have: a categorical column ("clinic", one-hot encoded by ``em.data.read_csv``) and string
class labels ("malignant" / "benign", encoded as integer codes).

Run: python examples/tabular_cv.py
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

import ember as em


def write_csv(path: str, seed: int = 0) -> None:
    """The breast-cancer table plus a categorical column, as a CSV file."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    df = bunch.frame.drop(columns="target")
    rng = np.random.default_rng(seed)
    df["clinic"] = rng.choice(["north", "south", "east"], size=len(df))
    df["diagnosis"] = pd.Series(bunch.target_names[bunch.target])
    df.to_csv(path, index=False)


def build() -> em.Model:
    """A fresh, compiled network: cross-validation calls this once per fold."""
    model = em.Sequential([
        em.layers.Dense(16, activation="relu"),
        em.layers.Dropout(0.1),
        em.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=em.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(small: bool = False) -> dict:
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "breast_cancer.csv")
    write_csv(path)
    data = em.data.read_csv(path, target="diagnosis")
    one_hot = [name for name in data.feature_names if name.startswith("clinic=")]
    print(f"{len(data.x)} rows, {data.x.shape[1]} features (one-hot: {one_hot}), "
          f"classes {data.target_names}")

    x_train, x_test, y_train, y_test = em.model_selection.train_test_split(
        data.x, data.y, test_size=0.2, stratify=data.y, random_state=0)
    # Standardize with the TRAINING statistics only, so nothing about the test rows leaks in.
    # (Inside cross-validation each fold is scaled with the whole training part: a small
    # leak; an sklearn Pipeline, as in examples/grid_search.py, avoids even that.)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-7
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    epochs = 3 if small else 30
    cv = em.model_selection.cross_validate(
        build, x_train, y_train, cv=3 if small else 5, metrics=("accuracy", "f1", "roc_auc"),
        fit_kwargs={"epochs": epochs, "batch_size": 32}, seed=0)
    print(cv)

    em.utils.set_random_seed(0)
    model = build()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    y_pred = (model.predict(x_test, verbose=0)[:, 0] > 0.5).astype(int)
    print("\nheld-out test set:")
    print(em.metrics.sklearn.classification_report(y_test, y_pred, target_names=data.target_names))
    return {"cv_accuracy": cv.mean("accuracy"),
            "test_accuracy": em.metrics.sklearn.accuracy_score(y_test, y_pred)}


if __name__ == "__main__":
    main()
