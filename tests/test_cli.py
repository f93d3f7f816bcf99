"""The ember command: quickstart trains and saves; info reports the installation."""

import numpy as np
import pytest

import ember as em
from ember import cli


def test_quickstart_falls_back_to_digits_without_mnist(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_DATA_DIR", raising=False)
    monkeypatch.setattr(em.datasets.mnist, "MIRRORS", ["http://127.0.0.1:9/"])
    out = tmp_path / "out"
    code = cli.main(["quickstart", "--epochs", "2", "--data", str(tmp_path / "empty"),
                     "--output", str(out), "--verbose", "2"])
    assert code == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("MNIST is not available")
    acc = float(text.split("test accuracy: ")[1].split()[0])
    assert acc > 0.8  # 8x8 digits, 2 epochs
    model = em.models.load_model(str(out / "mnist_mlp.ember"))
    assert model.count_params() == 64 * 128 + 128 + 128 * 10 + 10


def test_quickstart_on_mnist_subset(mnist_path, tmp_path, monkeypatch, capsys):
    real = em.datasets.mnist.load_data

    def subset(path=None):
        (x, y), (xt, yt) = real(path)
        return (x[:3000], y[:3000]), (xt[:1000], yt[:1000])

    monkeypatch.setattr(em.datasets.mnist, "load_data", subset)
    code = cli.main(["quickstart", "--epochs", "2", "--data", str(mnist_path),
                     "--output", str(tmp_path), "--verbose", "0"])
    assert code == 0
    text = capsys.readouterr().out
    assert "data: MNIST" in text
    assert float(text.split("test accuracy: ")[1].split()[0]) > 0.85
    if pytest.importorskip("matplotlib"):
        assert (tmp_path / "mnist_mlp_curves.png").stat().st_size > 1000


def test_info_reports_version_backend_and_gpu(capsys):
    assert cli.main(["info"]) == 0
    text = capsys.readouterr().out
    assert f"ember {em.__version__}" in text
    assert f"numpy {np.__version__}" in text
    assert "BLAS:" in text and "GPU:" in text
    assert "heap: freed arrays kept for reuse" in text if em.heap.tuned() else "heap: as" in text


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
def test_quickstart_builds_the_cnn_and_rnn_for_any_image_size(kind):
    for shape in ((28, 28), (8, 8)):
        model = cli.build_model(kind, shape)
        out = model.predict(np.zeros((2,) + shape, np.float32), verbose=0)
        assert out.shape == (2, 10)
