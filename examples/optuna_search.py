"""Hyperparameter search with Optuna through ``em.tune.search``, two ways:

1. a search-space dict for the built-in MLP (learning rate, units, layers, activation,
   optimizer, L2 strength, batch size), on the digits data;
2. your own ``build(trial)`` function, for anything the dict cannot express.

Poor trials are pruned after a few epochs (their validation loss is worse than the median of
earlier trials at the same epoch), and the study is kept in a SQLite file, so running the
script again continues the same study.

Run: python examples/optuna_search.py
"""

from __future__ import annotations

import os
import tempfile

import ember as em


def load() -> tuple:
    (x_train, y_train), (x_test, y_test) = em.datasets.digits.load_data(test_split=0.2, seed=0)
    flat = lambda a: a.reshape(len(a), -1).astype("float32") / 255.0  # noqa: E731
    return flat(x_train), y_train, flat(x_test), y_test


def build(trial) -> em.Model:
    """A network whose size and learning rate the trial chooses."""
    units = trial.suggest_categorical("units", [16, 32, 64])
    model = em.Sequential([em.layers.Dense(units, activation="relu")])
    if trial.suggest_categorical("second_layer", [False, True]):
        model.add(em.layers.Dense(units // 2, activation="relu"))
    model.add(em.layers.Dropout(trial.suggest_float("dropout", 0.0, 0.4)))
    model.add(em.layers.Dense(10, activation="softmax"))
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    model.compile(optimizer=em.optimizers.Adam(learning_rate=lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(small: bool = False, storage_dir: str | None = None) -> dict:
    x, y, x_test, y_test = load()
    n_trials, epochs = (2, 2) if small else (20, 20)
    if small:
        x, y = x[:400], y[:400]
    storage_dir = storage_dir or (tempfile.mkdtemp() if small else ".")
    storage = f"sqlite:///{os.path.join(storage_dir, 'ember_optuna.db')}"

    space = {
        "learning_rate": ("log", 1e-4, 1e-1),
        "units": [16, 32, 64, 128],
        "layers": (1, 3),
        "activation": ["relu", "tanh"],
        "optimizer": ["adam", "sgd"],
        "l2": ("log", 1e-6, 1e-2),
        "batch_size": [32, 64],
    }
    result = em.tune.search(space, x, y, n_trials=n_trials, epochs=epochs,
                            monitor="val_loss", storage=storage, study_name="digits-mlp",
                            seed=0)
    print(result)
    loss, acc = result.best_model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy of the best MLP: {acc:.4f} ({result.n_pruned} trials pruned)\n")

    custom = em.tune.search(build, x, y, n_trials=n_trials, epochs=epochs,
                            monitor="val_accuracy", seed=0)
    print(custom)
    loss, acc_custom = custom.best_model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy of the best custom network: {acc_custom:.4f}")
    return {"space": result, "custom": custom, "test_accuracy": acc,
            "custom_test_accuracy": acc_custom}


if __name__ == "__main__":
    main()
