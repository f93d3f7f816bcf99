"""The focal cross-entropies (losses/focal.py) against Keras 3 (values, with logits, class
balancing and label smoothing, sample weights and reductions), against finite differences
in float64, and through get / serialize."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.gradcheck import gradcheck
from keras_oracle import run_keras

CASES = {
    "bfce": ("BinaryFocalCrossentropy", {}),
    "bfce_logits": ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 1.5}),
    "bfce_balanced": ("BinaryFocalCrossentropy", {"apply_class_balancing": True,
                                                  "alpha": 0.3, "label_smoothing": 0.1}),
    "cfce": ("CategoricalFocalCrossentropy", {}),
    "cfce_logits": ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5,
                                                     "gamma": 3.0, "label_smoothing": 0.2}),
    "cfce_sum": ("CategoricalFocalCrossentropy", {"reduction": "sum"}),
}


def _data():
    rng = np.random.default_rng(0)
    yb = rng.integers(0, 2, (6, 3)).astype("float32")
    pb = rng.uniform(0.02, 0.98, (6, 3)).astype("float32")
    yc = np.eye(4, dtype="float32")[rng.integers(0, 4, 6)]
    pc = rng.dirichlet(np.ones(4), 6).astype("float32")
    logits = rng.normal(size=(6, 3)).astype("float32") * 2
    logits_c = rng.normal(size=(6, 4)).astype("float32") * 2
    w = rng.uniform(0.2, 2.0, 6).astype("float32")
    return yb, pb, yc, pc, logits, logits_c, w


def _inputs(key, data):
    yb, pb, yc, pc, logits, logits_c, _ = data
    if key.startswith("bfce"):
        return yb, logits if "logits" in key else pb
    return yc, logits_c if "logits" in key else pc


def test_focal_losses_match_keras(tmp_path):
    data = _data()
    np.savez(tmp_path / "d.npz", *data)
    keras = run_keras(f"""
        d = np.load({str(tmp_path / "d.npz")!r})
        yb, pb, yc, pc, lg, lgc, w = (d[f"arr_{{i}}"] for i in range(7))
        cases = {CASES!r}
        for key, (cls, kw) in cases.items():
            y, p = (yb, lg if "logits" in key else pb) if key.startswith("bfce") else \\
                (yc, lgc if "logits" in key else pc)
            loss = getattr(keras.losses, cls)(**kw)
            out[key] = float(loss(y, p))
            out[key + "_w"] = float(loss(y, p, sample_weight=w))
        out["fn_b"] = np.asarray(keras.losses.binary_focal_crossentropy(yb, pb, gamma=3.0))
        out["fn_c"] = np.asarray(keras.losses.categorical_focal_crossentropy(yc, pc))
    """, tmp_path)
    w = data[-1]
    for key, (cls, kw) in CASES.items():
        y, p = _inputs(key, data)
        loss = getattr(em.losses, cls)(**kw)
        assert loss(y, em.tensor(p)).item() == pytest.approx(float(keras[key]), rel=1e-5), key
        assert loss(y, em.tensor(p), sample_weight=w).item() == pytest.approx(
            float(keras[key + "_w"]), rel=1e-5), key
    yb, pb, yc, pc = data[:4]
    np.testing.assert_allclose(
        em.losses.binary_focal_crossentropy(yb, em.tensor(pb), gamma=3.0).numpy(),
        keras["fn_b"], rtol=1e-5)
    np.testing.assert_allclose(em.losses.categorical_focal_crossentropy(yc, em.tensor(pc))
                               .numpy(), keras["fn_c"], rtol=1e-5)


@pytest.mark.parametrize("key", ["bfce", "bfce_logits", "bfce_balanced", "cfce",
                                 "cfce_logits"])
def test_focal_losses_gradcheck(key):
    data = _data()
    y, p = _inputs(key, data)
    cls, kw = CASES[key]
    kw = {k: v for k, v in kw.items() if k != "reduction"}
    fn = em.losses.binary_focal_crossentropy if key.startswith("bfce") else \
        em.losses.categorical_focal_crossentropy
    assert gradcheck(lambda t: fn(y.astype("float64"), t, **kw),
                                  [p.astype("float64")])


def test_focal_losses_by_name_and_config():
    for name in ("binary_focal_crossentropy", "BinaryFocalCrossentropy",
                 "categorical_focal_crossentropy", "CategoricalFocalCrossentropy"):
        assert "Focal" in type(em.losses.get(name)).__name__
    loss = em.losses.BinaryFocalCrossentropy(gamma=1.0, apply_class_balancing=True)
    again = em.losses.deserialize(em.losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="gamma"):
        em.losses.CategoricalFocalCrossentropy(gamma=-1.0)
