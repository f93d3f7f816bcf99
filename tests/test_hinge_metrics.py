"""The hinge metrics (metrics/hinge_metrics.py) against Keras 3: the same running means
over two batches, with and without sample weights, and a config round trip."""

from __future__ import annotations

import numpy as np
import pytest

import ember as em
from keras_oracle import run_keras

NAMES = ("Hinge", "SquaredHinge", "CategoricalHinge")


def _data():
    rng = np.random.default_rng(0)
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 12)]
    p = rng.normal(size=(12, 4)).astype("float32")
    w = rng.uniform(0.1, 2.0, 12).astype("float32")
    return y, p, w


def _ember(name: str) -> tuple[float, float]:
    y, p, w = _data()
    out = []
    for weights in (None, w):
        m = getattr(em.metrics, name)()
        m.update_state(y[:5], p[:5], None if weights is None else weights[:5])
        m.update_state(y[5:], p[5:], None if weights is None else weights[5:])
        out.append(float(m.result()))
    return tuple(out)


def test_hinge_metrics_match_keras(tmp_path):
    y, p, w = _data()
    np.savez(tmp_path / "data.npz", y=y, p=p, w=w)
    keras = run_keras(f"""
        d = np.load({str(tmp_path / "data.npz")!r})
        for name in {NAMES!r}:
            for tag, weights in (("plain", None), ("weighted", d["w"])):
                m = getattr(keras.metrics, name)()
                m.update_state(d["y"][:5], d["p"][:5], None if weights is None else weights[:5])
                m.update_state(d["y"][5:], d["p"][5:], None if weights is None else weights[5:])
                out[name + "_" + tag] = float(m.result())
    """, tmp_path)
    for name in NAMES:
        plain, weighted = _ember(name)
        assert plain == pytest.approx(float(keras[name + "_plain"]), rel=1e-5), name
        assert weighted == pytest.approx(float(keras[name + "_weighted"]), rel=1e-5), name


@pytest.mark.parametrize("name", NAMES)
def test_hinge_metric_config_round_trip(name):
    m = getattr(em.metrics, name)(name="mine")
    again = em.metrics.deserialize(em.metrics.serialize(m))
    assert type(again) is type(m) and again.name == "mine"
    snake = m.__class__().name  # "hinge", "squared_hinge", "categorical_hinge"
    assert type(em.metrics.get(snake)) is type(m) and em.metrics.get(snake).name == snake
