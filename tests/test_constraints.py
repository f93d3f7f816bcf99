"""ember.constraints against keras.constraints, and applied after each optimizer step as
Keras applies them (same weights after one step of the same model)."""

import numpy as np
import pytest

import ember as em
from zoo_oracle import keras

rng = np.random.default_rng(0)
W = (rng.standard_normal((4, 5)) * 2).astype("float32")


@pytest.mark.parametrize("name,kwargs", [
    ("MaxNorm", {}), ("MaxNorm", {"max_value": 1.5, "axis": 1}),
    ("MaxNorm", {"max_value": 3, "axis": [0, 1]}), ("NonNeg", {}), ("UnitNorm", {}),
    ("UnitNorm", {"axis": 1}), ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 2.0, "rate": 0.5, "axis": 1})])
def test_same_as_keras(name, kwargs):
    k = keras()
    ours = getattr(em.constraints, name)(**kwargs)
    theirs = getattr(k.constraints, name)(**kwargs)
    got = ours(em.tensor(W))
    np.testing.assert_allclose(got.numpy(), np.asarray(theirs(W)), rtol=1e-5, atol=1e-6)
    assert got.dtype == "float32"
    cfg = ours.get_config()
    assert cfg == theirs.get_config()
    again = em.constraints.deserialize(em.constraints.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == cfg


def test_names_and_aliases_as_keras():
    k = keras()
    for name in ("max_norm", "non_neg", "unit_norm", "min_max_norm", "MaxNorm", "NonNeg"):
        ours, theirs = em.constraints.get(name), k.constraints.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.get_config() == theirs.get_config()
    assert em.constraints.get(None) is None
    fn = lambda w: w  # noqa: E731
    assert em.constraints.get(fn) is fn
    with pytest.raises(ValueError, match="unknown constraint 'max_nrm'.*max_norm"):
        em.constraints.get("max_nrm")


def test_applied_after_each_optimizer_step_as_keras():
    k = keras()
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 3)).astype("float32")

    def build(lib):
        C = lib.constraints
        model = lib.Sequential([
            lib.Input((4,)),
            lib.layers.Dense(5, kernel_constraint=C.MaxNorm(0.5), bias_constraint=C.NonNeg()),
            lib.layers.Dense(3, kernel_constraint=C.UnitNorm(axis=1),
                             bias_constraint=C.MinMaxNorm(0.1, 0.2))])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.5), loss="mse")
        return model

    theirs, ours = build(k), build(em)
    start = [w * 3 for w in theirs.get_weights()]  # far outside every constraint
    theirs.set_weights(start)
    ours.set_weights(start)
    for _ in range(2):
        theirs.train_on_batch(x, y)
        ours.train_on_batch(x, y)
        for got, want in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=1e-5)
    norms = np.linalg.norm(ours.get_weights()[0], axis=0)
    assert (norms <= 0.5 + 1e-5).all()


def test_layer_configs_carry_constraints_and_save(tmp_path):
    inp = em.Input((4,))
    dense = em.layers.Dense(3, kernel_constraint="max_norm",
                            bias_constraint=em.constraints.NonNeg())
    model = em.Model(inp, dense(inp))
    cfg = dense.get_config()
    assert cfg["kernel_constraint"] == {"class_name": "MaxNorm",
                                        "config": {"max_value": 2, "axis": 0}}
    path = str(tmp_path / "m.ember")
    model.save(path)
    again = em.models.load_model(path)
    assert isinstance(again.layers[-1].kernel.constraint, em.constraints.MaxNorm)
    assert isinstance(again.layers[-1].bias.constraint, em.constraints.NonNeg)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="MinMaxNorm: need 0 <= min_value <= max_value"):
        em.constraints.MinMaxNorm(2.0, 1.0)
    with pytest.raises(ValueError, match="MaxNorm: max_value"):
        em.constraints.MaxNorm(-1)
