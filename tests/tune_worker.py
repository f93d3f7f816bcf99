"""One worker of a shared study (run by tests/test_tune_postgres.py, several at once):
``python tune_worker.py STORAGE STUDY WORKER BUDGET``."""

from __future__ import annotations

import os
import sys

import numpy as np

import ember as em


def build(trial):
    lr = trial.suggest_float("learning_rate", 1e-4, 1.0, log=True)
    trial.set_user_attr("worker", int(os.environ["WORKER"]))
    model = em.Sequential([em.layers.Dense(8, activation="relu", input_shape=(4,)),
                           em.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=em.optimizers.SGD(lr), loss="sparse_categorical_crossentropy")
    return model


def main() -> None:
    storage, study, worker, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.environ["WORKER"] = str(worker)
    import optuna

    rng = np.random.default_rng(0)  # the same data and validation set in every worker
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    em.tune.search(build, x[:90], y[:90], validation_data=(x[90:], y[90:]), n_trials=None,
                   total_trials=budget, storage=storage, study_name=study, epochs=4,
                   batch_size=16, seed=worker, pruner=pruner, keep_best_model=False)


if __name__ == "__main__":
    main()
