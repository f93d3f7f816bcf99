"""em.tune: Optuna search with a build function or a search-space dict, pruning, storage."""

import sys

import numpy as np
import pytest

import ember as em

optuna = pytest.importorskip("optuna")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 4)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    return x, y


def build(trial):
    units = trial.suggest_categorical("units", [4, 8])
    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    model = em.Sequential([em.layers.Dense(units, activation="relu"),
                           em.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=em.optimizers.Adam(learning_rate=lr), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def test_search_with_build_function_and_sqlite_storage(data, tmp_path):
    x, y = data
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    result = em.tune.search(build, x, y, n_trials=3, epochs=3, storage=storage,
                            study_name="s", monitor="val_accuracy", seed=0)
    assert (tmp_path / "study.db").exists()
    assert result.direction == "maximize"  # inferred from val_accuracy
    assert set(result.best_params) == {"units", "lr"}
    assert len(result.trials) == 3 and all(t["epochs"] == 3 for t in result.trials)
    assert result.best_value == max(t["value"] for t in result.trials)
    _, acc = result.best_model.evaluate(x, y, verbose=0)
    assert 0.0 <= acc <= 1.0
    assert "best: trial" in str(result)
    # the study lives in the file: a second search continues it
    more = em.tune.search(build, x, y, n_trials=2, epochs=3, storage=storage, study_name="s",
                          monitor="val_accuracy", seed=1)
    assert len(more.trials) == 5
    loaded = optuna.load_study(study_name="s", storage=storage)
    assert len(loaded.trials) == 5


def test_best_model_is_retrained_when_not_kept(data):
    x, y = data
    result = em.tune.search(build, x, y, n_trials=2, epochs=2, seed=3, keep_best_model=False)
    model = result.best_model  # retrained from the best parameters and the same seed
    assert result.best_model is model
    val_loss = model.evaluate(*result_validation(x, y, seed=3), verbose=0)[0]
    assert val_loss == pytest.approx(result.best_value, rel=1e-4)


def result_validation(x, y, seed, fraction=0.2):
    # the split search() draws: a seeded permutation, the first ceil(20%) for validation
    order = np.random.default_rng(seed).permutation(len(x))
    val = order[:int(np.ceil(len(x) * fraction))]
    return x[val], y[val]


def test_search_space_dict_and_trials_table(data):
    x, y = data
    space = {"learning_rate": ("log", 1e-3, 1e-1), "units": [4, 8], "layers": (1, 2),
             "activation": ["relu", "tanh"], "optimizer": ["adam", "sgd"],
             "l2": ("log", 1e-6, 1e-2), "batch_size": [16, 32], "epochs": 2}
    result = em.tune.search(space, x, y, n_trials=3, seed=0)
    assert set(result.best_params) == {"learning_rate", "units", "layers", "activation",
                                       "optimizer", "l2", "batch_size"}
    assert all(t["epochs"] == 2 for t in result.trials)  # the fixed value, not epochs=10
    pytest.importorskip("pandas")
    frame = result.to_dataframe()
    assert len(frame) == 3 and {"value", "learning_rate", "units"} <= set(frame.columns)


def test_search_is_reproducible_with_a_seed(data):
    x, y = data
    runs = [em.tune.search({"learning_rate": ("log", 1e-3, 1e-1), "units": [2, 8]}, x, y,
                           n_trials=2, epochs=2, seed=4) for _ in range(2)]
    assert [t["value"] for t in runs[0].trials] == [t["value"] for t in runs[1].trials]


def test_pruner_stops_trials_early(data):
    x, y = data
    pruner = optuna.pruners.ThresholdPruner(upper=1e-6)  # every val_loss is above: prune
    result = em.tune.search(build, x, y, n_trials=2, epochs=5, pruner=pruner, seed=0)
    assert result.n_pruned == 2 and result.n_complete == 0
    assert all(len(t.intermediate_values) == 1 for t in result.study.trials)  # epoch 0 only
    assert "no trial completed" in str(result)


def test_pruning_callback_raises_trial_pruned():
    class FakeTrial:
        number = 0

        def __init__(self):
            self.reports = []

        def report(self, value, step):
            self.reports.append((step, value))

        def should_prune(self):
            return len(self.reports) == 2

    trial = FakeTrial()
    model = em.Sequential([em.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 2), dtype="float32")
    with pytest.raises(optuna.TrialPruned, match="pruned at epoch 1"):
        model.fit(x, x[:, :1], epochs=5, validation_data=(x, x[:, :1]), verbose=0,
                  callbacks=[em.tune.PruningCallback(trial, "val_loss")])
    assert [s for s, _ in trial.reports] == [0, 1]
    with pytest.raises(ValueError, match="monitor 'val_auc' is not among"):
        model.fit(x, x[:, :1], epochs=1, validation_data=(x, x[:, :1]), verbose=0,
                  callbacks=[em.tune.PruningCallback(FakeTrial(), "val_auc")])


@pytest.mark.parametrize("space, match", [
    ({}, "non-empty dict"),
    ({"units": []}, "'units': an empty list"),
    ({"learning_rate": ("log", 0.0, 1.0)}, "'learning_rate': a log scale needs low > 0"),
    ({"learning_rate": ("log", 1e-1, 1e-4)}, "low .* is greater than high"),
    ({"learning_rate": ("cubic", 1e-4, 1e-1)}, "unknown kind 'cubic'"),
    ({"units": (16, 32, 64)}, "use a list for choices"),
    ({"units": (1.5, 3.0)}, "'units': 1.5 is not a positive int"),
    ({"layers": ("int", 1, 3, 0)}, "step must be > 0"),
    ({"dropout": (0.0, 1.5)}, "'dropout': 1.5 is not a float in"),
    ({"activation": ["relu", "nope"]}, "'activation'.*nope"),
    ({"optimizer": ["adam", "bogus"]}, "'optimizer'.*bogus"),
    ({"units": {16, 32}}, "a set is not a search-space entry"),
    ({"units": [(16, 8)]}, "choices must be None, bools, numbers or strings"),
    ({"momentum": [0.9]}, "unknown hyperparameter 'momentum'"),
    ({"lr": [0.1], "learning_rate": [0.01]}, "given twice"),
])
def test_invalid_search_spaces_are_clear_errors(space, match, data):
    x, y = data
    with pytest.raises(ValueError, match=match):
        em.tune.search(space, x, y, n_trials=1)


def test_other_errors(data, monkeypatch):
    x, y = data
    with pytest.raises(ValueError, match="direction='minimize' or direction='maximize'"):
        em.tune.search(build, x, y, monitor="val_something")
    with pytest.raises(ValueError, match="direction must be"):
        em.tune.search(build, x, y, direction="up")
    with pytest.raises(ValueError, match="monitor 'val_auc' is not among"):
        em.tune.search(build, x, y, monitor="val_auc", n_trials=1, epochs=1)
    with pytest.raises(TypeError, match="must return a compiled ember model"):
        em.tune.search(lambda t: em.Sequential([em.layers.Dense(1)]), x, y, n_trials=1)
    with pytest.raises(ValueError, match="give n_trials or timeout"):
        em.tune.search(build, x, y, n_trials=None)
    with pytest.raises(TypeError, match="search-space dict"):
        em.tune.search(42, x, y)
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ImportError, match=r"ember\[tune\]"):
        em.tune.search(build, x, y)


def test_suggest_reads_a_space_inside_your_own_build():
    trial = optuna.trial.FixedTrial({"units": 64, "lr": 0.01})
    values = em.tune.suggest(trial, {"units": [32, 64], "lr": ("log", 1e-4, 1e-1),
                                     "act": "relu"})
    assert values == {"units": 64, "lr": 0.01, "act": "relu"}


def test_dict_space_encodes_string_labels_and_validation_data(data):
    x, y = data
    names = np.array(["no", "yes"])[y]
    x_val, y_val = x[:40], names[:40]
    result = em.tune.search({"units": [4]}, x[40:], names[40:], n_trials=1, epochs=2,
                            validation_data=(x_val, y_val), monitor="val_accuracy", seed=0)
    _, acc = result.best_model.evaluate(x_val, (y_val == "yes").astype("int64"), verbose=0)
    assert acc == pytest.approx(result.best_value)
    with pytest.raises(ValueError, match="labels the training data does not"):
        em.tune.search({"units": [4]}, x[40:], names[40:], n_trials=1, epochs=1,
                       validation_data=(x_val, np.array(["maybe"] * 40)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_a_diverging_trial_is_recorded_not_a_crash_of_the_search(data):
    """fit raises NonFiniteLossError when the loss becomes NaN; the search keeps going, and
    the diverging trial keeps the epochs it finished (or fails, as a NaN trial did)."""
    x, y = data

    def build_diverging(trial):
        lr = trial.suggest_categorical("lr", [0.01, 1e30])
        model = em.Sequential([em.layers.Dense(8, activation="relu"), em.layers.Dense(1)])
        model.compile(optimizer=em.optimizers.SGD(learning_rate=lr), loss="mse")
        return model

    result = em.tune.search(build_diverging, x, y.astype("float32"), n_trials=4, epochs=2,
                            seed=0, sampler=optuna.samplers.GridSampler({"lr": [0.01, 1e30]}))
    assert result.best_params == {"lr": 0.01}
    diverged = [t for t in result.study.trials if t.params["lr"] == 1e30]
    assert diverged and all("became" in t.user_attrs["nonfinite_loss"] for t in diverged)
