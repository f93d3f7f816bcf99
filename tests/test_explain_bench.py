"""benchmarks/bench_explain.py runs end to end at a tiny size (no timing is asserted; the
agreement with Captum is)."""

import pytest

from conftest import mnist_dir


def test_bench_explain_tiny(capsys):
    pytest.importorskip("captum")
    if mnist_dir() is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    from benchmarks import bench_explain

    out = bench_explain.main(["--images", "2", "--steps", "4", "--repeats", "1", "--doctor",
                              "--epoch-images", "256", "--data", str(mnist_dir())])
    assert out["ig"]["max_abs_diff_jitter"] < 1e-6
    assert out["ig"]["ember_s"] > 0 and out["doctor"]["on_s"] > 0
    printed = capsys.readouterr().out
    assert "ember / best captum" in printed and "without Doctor" in printed
