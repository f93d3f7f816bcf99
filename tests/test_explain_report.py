"""``em.explain.report`` writes one self-contained HTML page, and it renders in headless
Chromium with no console errors and every image decoded; plus the plot helpers."""

import re
import shutil
import subprocess

import numpy as np
import pytest

import ember as em

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def trained_report(tmp_path_factory):
    from conftest import mnist_dir

    path = mnist_dir()
    if path is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    (x, y), (xt, yt) = em.datasets.mnist.load_data(path=str(path))
    x = (x[:1000] / 255.0).astype(np.float32)[..., None]
    xt, yt = (xt[:200] / 255.0).astype(np.float32)[..., None], yt[:200]
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((28, 28, 1)), em.layers.Conv2D(8, 3, activation="relu"),
                           em.layers.MaxPooling2D(2), em.layers.Flatten(),
                           em.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y[:1000], epochs=2, batch_size=64, verbose=0,
                        validation_data=(xt, yt), callbacks=[em.callbacks.Doctor(verbose=0)])
    out = tmp_path_factory.mktemp("report") / "report.html"
    em.explain.report(model, xt, yt, history=history, path=out, method="saliency", worst=4,
                      per_class=1)
    return out, model, xt, yt


def test_report_is_one_self_contained_file(trained_report):
    out, model, xt, yt = trained_report
    page = out.read_text()
    for heading in ("Model", "Learning curves", "Training doctor", "Confusion matrix",
                    "Worst mistakes", "Examples of each class"):
        assert f"<h2>{heading}" in page
    assert "<svg" in page  # the layer diagram
    for layer in model.layers:
        assert layer.name in page
    # images only as embedded data: nothing to fetch
    srcs = re.findall(r'src="([^"]*)"', page)
    assert len(srcs) >= 1 + 4 + 10 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "http://" not in page and "https://" not in page
    # the confusion matrix counts every test sample once
    cells = re.findall(r"<td[^>]*>(\d+)</td>", page)
    assert sum(int(c) for c in cells) == len(yt)
    acc = float((model.predict(xt, verbose=0).argmax(1) == yt).mean())
    assert f"accuracy <b>{acc:.2%}</b>" in page


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")


def test_report_renders_in_headless_chromium(trained_report, tmp_path):
    out, _, _, _ = trained_report
    browser = _chromium()
    shot = tmp_path / "report.png"
    flags = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
             "--v=0", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run(flags + ["--dump-dom", out.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    n_images = len(re.findall(r"<img ", out.read_text()))
    assert f'data-images-loaded="{n_images}/{n_images}"' in dom.stdout
    assert f"{n_images} of {n_images} images shown" in dom.stdout
    snap = subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1200,2400",
                                   out.as_uri()], capture_output=True, text=True, timeout=120)
    assert snap.returncode == 0 and shot.stat().st_size > 10_000, snap.stderr[-2000:]
    keep = out.parent / "report.png"  # beside the page, for a person to look at
    shutil.copy(shot, keep)


def test_report_checks_its_arguments(trained_report):
    _, model, xt, yt = trained_report
    with pytest.raises(ValueError, match="x has 200 samples but y has 3"):
        em.explain.report(model, xt, yt[:3])
    with pytest.raises(ValueError, match="method must be one of"):
        em.explain.report(model, xt, yt, method="lime")


def test_plots_draw_what_they_are_given():
    rng = np.random.default_rng(0)
    fig = em.explain.plot_attribution(rng.random((8, 8, 1)), rng.normal(size=(8, 8, 1)),
                                      title="t")
    assert len(fig.axes[0].images) == 2  # the image and the map over it
    fig = em.explain.plot_feature_maps(rng.random((1, 6, 6, 5)), max_maps=3)
    assert sum(a.has_data() for a in fig.axes) == 3
    fig = em.explain.plot_filters(rng.normal(size=(6, 3, 3, 2)))
    assert sum(a.has_data() for a in fig.axes) == 6
    fig = em.explain.plot_history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.7]})
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        em.explain.plot_feature_maps(np.ones(3))
    with pytest.raises(ValueError, match="2-D points"):
        em.explain.plot_decision_boundary(None, np.ones((3, 3)), np.ones(3))


def test_decision_boundary_follows_the_classifier():
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((2,)), em.layers.Dense(2)])
    model.layers[0].kernel.data[...] = np.array([[1.0, -1.0], [0.0, 0.0]], np.float32)
    model.layers[0].bias.data[...] = 0
    x = np.array([[-1.0, 0.0], [1.0, 0.0]], np.float32)
    fig = em.explain.plot_decision_boundary(model, x, np.array([1, 0]), resolution=21)
    filled = fig.axes[0].collections[0]
    assert filled is not None  # the two regions x < 0 (class 1) and x > 0 (class 0)
    assert len(fig.axes[0].collections) >= 2  # regions and the scattered points


def test_report_of_a_tabular_model_with_a_history_dict(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    em.utils.set_random_seed(0)
    model = em.Sequential([em.Input((5,)), em.layers.Dense(8, activation="relu"),
                           em.layers.Dense(2)])
    model.compile("adam", em.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=4, verbose=0)
    out = em.explain.report(model, x, y, history={"loss": history.history["loss"]},
                            path=tmp_path / "tabular.html", method="gradient_x_input")
    page = out.read_text()
    assert "Learning curves" in page and "No training history" not in page
    assert "Examples of each class" in page and page.count("<img ") >= 3
