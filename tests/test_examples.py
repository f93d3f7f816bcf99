"""The example scripts run end to end (``main(small=True)``: seconds, not minutes)."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tabular_cv(capsys):
    pytest.importorskip("pandas")
    pytest.importorskip("sklearn")
    out = load("tabular_cv").main(small=True)
    assert 0.5 <= out["cv_accuracy"] <= 1.0 and 0.5 <= out["test_accuracy"] <= 1.0
    printed = capsys.readouterr().out
    assert "3-fold stratified cross-validation" in printed
    assert "malignant" in printed and "clinic=north" in printed  # report rows, one-hot column


def test_grid_search(capsys):
    pytest.importorskip("sklearn")
    out = load("grid_search").main(small=True)
    assert set(out["best_params"]) == {"net__model__units", "net__learning_rate"}
    assert "best:" in capsys.readouterr().out


def test_augmentation(capsys):
    pytest.importorskip("sklearn")
    out = load("augmentation").main(small=True)  # at small size: only that it runs
    assert set(out) == {"with augmentation", "without augmentation"}
    assert "validation accuracy" in capsys.readouterr().out


def test_transfer_learning_freezes_the_reused_body(capsys):
    pytest.importorskip("sklearn")
    out = load("transfer_learning").main(small=True)  # at small size: only that it runs
    assert set(out) == {"from scratch", "feature extraction", "fine-tuning"}
    printed = capsys.readouterr().out
    assert "trainable (the new head)" in printed and "digits 5-9" in printed


def test_transfer_learning_pretrained_recipe_beats_chance(tmp_path, capsys):
    pytest.importorskip("h5py")  # the body's weights go through a Keras .weights.h5 file
    pytest.importorskip("PIL")  # the image folder is PNG files
    out = load("transfer_learning_pretrained").main(small=True, workdir=str(tmp_path))
    chance = 1 / 3
    # the frozen pretrained body + a new head, then fine-tuning: well above chance
    assert out["feature extraction"] > chance + 0.2, out
    assert out["fine-tuning"] > chance + 0.2, out
    assert (tmp_path / "vgg16_stripes_no_top.weights.h5").exists()
    assert len(list((tmp_path / "shapes" / "circle").glob("*.png"))) == 40
    printed = capsys.readouterr().out
    assert "trainable (the new head)" in printed and "frozen in the body" in printed
    import ember as em  # the pretrained file is a Keras-format VGG16 body: it loads by name

    vgg = em.applications.VGG16(input_shape=(32, 32, 3), include_top=False,
                                weights=str(tmp_path / "vgg16_stripes_no_top.weights.h5"))
    assert vgg.get_layer("block1_conv1").kernel.shape == (3, 3, 3, 64)


def test_optuna_search(tmp_path, capsys):
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    out = load("optuna_search").main(small=True, storage_dir=str(tmp_path))
    assert (tmp_path / "ember_optuna.db").exists()
    assert len(out["space"].trials) == 2 and len(out["custom"].trials) == 2
    assert "test accuracy of the best MLP" in capsys.readouterr().out


def test_explain_mnist_writes_a_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from conftest import mnist_dir

    if mnist_dir() is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    out = load("explain_mnist").main(small=True, out_dir=str(tmp_path))
    assert out["report"].exists() and "Worst mistakes" in out["report"].read_text()
    assert 0.3 < out["accuracy"] <= 1.0 and out["mistakes"] > 0
    printed = capsys.readouterr().out
    assert "Doctor" in printed and "IG sums to" in printed and "report written" in printed
