"""Dice and Tversky losses (losses/overlap.py) against Keras 3 (axis None and per sample,
alpha/beta, sample weights), against finite differences in float64, and by name."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from ember.gradcheck import gradcheck
from keras_oracle import run_keras

CASES = {
    "dice": ("Dice", {}),
    "dice_axis": ("Dice", {"axis": [1, 2]}),
    "tversky": ("Tversky", {}),
    "tversky_ab": ("Tversky", {"alpha": 0.7, "beta": 0.3, "axis": [1, 2]}),
}


def _data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (4, 5, 3)).astype("float32")
    p = rng.uniform(0.0, 1.0, (4, 5, 3)).astype("float32")
    w = rng.uniform(0.2, 2.0, 4).astype("float32")
    return y, p, w


def test_overlap_losses_match_keras(tmp_path):
    y, p, w = _data()
    np.savez(tmp_path / "d.npz", y=y, p=p, w=w)
    keras = run_keras(f"""
        d = np.load({str(tmp_path / "d.npz")!r})
        for key, (cls, kw) in {CASES!r}.items():
            kw = {{k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}}
            loss = getattr(keras.losses, cls)(**kw)
            out[key] = float(loss(d["y"], d["p"]))
            if "axis" in kw:
                out[key + "_w"] = float(loss(d["y"], d["p"], sample_weight=d["w"]))
    """, tmp_path)
    for key, (cls, kw) in CASES.items():
        loss = getattr(em.losses, cls)(**kw)
        assert loss(y, em.tensor(p)).item() == pytest.approx(float(keras[key]), rel=1e-5), key
        if "axis" in kw:
            assert loss(y, em.tensor(p), sample_weight=w).item() == pytest.approx(
                float(keras[key + "_w"]), rel=1e-5), key


@pytest.mark.parametrize("fn", ["dice", "tversky"])
def test_overlap_losses_gradcheck(fn):
    y, p, _ = _data()
    f = getattr(em.losses, fn)
    assert gradcheck(lambda t: f(y.astype("float64"), t, axis=(1, 2)), [p.astype("float64")])


def test_overlap_losses_by_name():
    assert type(em.losses.get("dice")).__name__ == "Dice"
    loss = em.losses.Tversky(alpha=0.2, beta=0.8)
    again = em.losses.deserialize(em.losses.serialize(loss))
    assert again.get_config() == loss.get_config()
