"""plot_model / model_to_dot: Graphviz text that Graphviz accepts, PNG/SVG through ``dot``
where installed, and ember's own SVG / PNG layout where not."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

import ember as em
from ember.utils import model_visualization as pm


def functional_model():
    inp = em.layers.Input((4,), name="x")
    a = em.layers.Dense(3, activation="relu", name="d1")(inp)
    b = em.layers.Dense(3, name="d2")(inp)
    c = em.layers.Add(name="sum")([a, b])
    head = em.Sequential([em.layers.Input((3,)), em.layers.Dense(2, name="inner")], name="head")
    return em.Model(inp, head(c), name="net")


def test_dot_text_has_every_layer_shape_and_edge():
    dot = em.utils.model_to_dot(functional_model(), show_shapes=True,
                                show_layer_activations=True, show_trainable=True)
    text = str(dot)
    assert text.startswith('digraph "net" {')
    for fragment in ('"x" [label="{x (InputLayer)', 'd1 (Dense)|activation: relu',
                     "input: (None, 4)  output: (None, 3)", '"d1" -> "sum"', '"d2" -> "sum"',
                     '"sum" -> "head"', "trainable: yes"):
        assert fragment in text, fragment
    assert sorted(dot.edges) == [("d1", "sum"), ("d2", "sum"), ("sum", "head"), ("x", "d1"),
                                 ("x", "d2")]


def test_expand_nested_draws_the_inner_model_as_a_cluster():
    dot = em.utils.model_to_dot(functional_model(), expand_nested=True)
    text = str(dot)
    assert 'subgraph "cluster_head"' in text and '"head/inner"' in text
    assert ("sum", "head/input") in dot.edges and ("head/input", "head/inner") in dot.edges


def test_sequential_chain_and_label_escaping():
    model = em.Sequential([em.layers.Input((5,)), em.layers.Dense(2), em.layers.Dense(1)])
    dot = em.utils.model_to_dot(model, show_shapes=True, show_layer_names=False)
    assert [b.lines[0] for b in dot.boxes] == ["InputLayer", "Dense", "Dense"]
    assert len(dot.edges) == 2
    assert pm._esc("a{b}|<c>") == "a\\{b\\}\\|\\<c\\>"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix,magic", [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_plot_model_with_graphviz(tmp_path, suffix, magic):
    path = tmp_path / f"model.{suffix}"
    em.utils.plot_model(functional_model(), path, show_shapes=True, expand_nested=True)
    assert path.read_bytes().startswith(magic)
    if suffix == "svg":
        assert "d1 (Dense)" in path.read_text()


def test_plot_model_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(pm.shutil, "which", lambda name: None)
    model = functional_model()
    em.utils.plot_model(model, tmp_path / "m.svg", show_shapes=True)
    root = ET.parse(tmp_path / "m.svg").getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall(".//s:rect", ns)) == 5 and len(root.findall(".//s:line", ns)) == 5
    texts = [t.text for t in root.findall(".//s:text", ns)]
    assert "sum (Add)" in texts
    # ranks: the input above both Dense layers, which sit side by side above the Add
    ys = {g.get("id"): float(g.find("s:rect", ns).get("y")) for g in root.findall("s:g", ns)}
    assert ys["x"] < ys["d1"] == ys["d2"] < ys["sum"] < ys["head"]
    pytest.importorskip("PIL")
    em.utils.plot_model(model, tmp_path / "m.png", rankdir="LR")
    assert (tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")
    em.utils.plot_model(model, tmp_path / "m.dot")
    assert (tmp_path / "m.dot").read_text().startswith("digraph")
    with pytest.raises(ValueError, match="'pdf' needs Graphviz"):
        em.utils.plot_model(model, tmp_path / "m.pdf")


def test_bad_arguments():
    with pytest.raises(ValueError, match="rankdir must be"):
        em.utils.model_to_dot(functional_model(), rankdir="UP")
    with pytest.raises(TypeError, match="expected an ember model"):
        em.utils.model_to_dot(object())


def test_plot_history_panels_and_file(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = em.Sequential([em.layers.Input((4,)), em.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    fig = history.plot(to_file=tmp_path / "curves.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["training", "validation"]
    np.testing.assert_allclose(lines[0].get_ydata(), history.history["loss"])
    assert list(lines[0].get_xdata()) == [1, 2, 3]
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="no logs for \\['auc'\\]"):
        em.utils.plot_history(history, metrics=["auc"])
