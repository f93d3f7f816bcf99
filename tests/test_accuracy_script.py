"""The MNIST accuracy script of the benchmark suite runs end to end (on a subset here; the full
run's numbers go in the issue notes), and the row-by-row LSTM pipeline learns on a subset."""

import json

import pytest

import ember as em
from benchmarks import accuracy


def test_accuracy_script_on_a_subset(mnist_path, tmp_path):
    code = accuracy.main(["--data", str(mnist_path), "--models", "dense", "--epochs", "1",
                          "--limit", "3000", "--out", str(tmp_path)])
    assert code == 0
    rows = json.loads((tmp_path / "accuracy.json").read_text())
    assert rows[0]["model"] == "dense" and rows[0]["final"] > 0.85


def test_lstm_reads_mnist_rows(mnist_path):
    if not hasattr(em.layers, "LSTM"):
        pytest.skip("LSTM layer not available")
    (x, y), (xt, yt) = em.datasets.mnist.load_data(path=str(mnist_path))
    em.utils.set_random_seed(0)
    model = accuracy.build("lstm")
    model.fit(x[:6000] / 255.0, y[:6000], epochs=2, batch_size=64, verbose=0)
    _, acc = model.evaluate(xt[:1000] / 255.0, yt[:1000], verbose=0)
    assert acc > 0.8  # 188 steps; the full 5-epoch run reaches 98 %+
