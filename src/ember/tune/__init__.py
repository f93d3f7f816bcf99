"""Hyperparameter tuning with Optuna underneath (``pip install 'ember[tune]'``).

- ``search(build, x, y, ...)``: run a study; ``build`` is ``build(trial) -> compiled model``
  or a search-space dict for a default MLP (learning rate, units, layers, activation,
  optimizer, l1/l2, dropout, batch size, epochs).
- ``PruningCallback``: report each epoch's metric to a trial and prune poor trials.
- ``parse_space`` / ``suggest``: the dict search-space format, for your own ``build``.

Example::

    import ember as em

    def build(trial):
        model = em.Sequential([
            em.layers.Dense(trial.suggest_categorical("units", [16, 64]), activation="relu"),
            em.layers.Dense(10, activation="softmax"),
        ])
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        model.compile(optimizer=em.optimizers.Adam(lr),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    result = em.tune.search(build, x, y, n_trials=30, monitor="val_accuracy", epochs=20,
                            storage="sqlite:///tune.db", study_name="digits", seed=0)
    print(result)
"""

from ember.tune.default_model import build_default_model
from ember.tune.pruning import PruningCallback
from ember.tune.result import SearchResult
from ember.tune.search import search
from ember.tune.space import MODEL_KEYS, Param, parse_space, suggest

__all__ = ["search", "SearchResult", "PruningCallback", "parse_space", "suggest", "Param",
           "MODEL_KEYS", "build_default_model"]
