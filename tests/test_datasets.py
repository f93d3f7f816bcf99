"""em.datasets: MNIST from a folder, $EMBER_DATA_DIR, the cache or a (local) mirror; checksums;
clear errors for corrupt files and for a machine without network; the bundled digits."""

from __future__ import annotations

import functools
import gzip
import http.server
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import ember as em
from conftest import mnist_dir
from ember.datasets import _base, fashion_mnist, mnist

NAMES = [name for name, _ in _base.FILES]
UNROUTABLE = ["http://127.0.0.1:9/"]  # the discard port: refused at once, never the internet
# Label counts from ../shared/data/mnist/README.md.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """No test may touch the internet or the user's own cache."""
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(mnist, "MIRRORS", UNROUTABLE)
    monkeypatch.setattr(fashion_mnist, "MIRRORS", UNROUTABLE)


@pytest.fixture
def no_data_dir(monkeypatch):
    monkeypatch.delenv("EMBER_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def real_mnist():
    """(folder, arrays) of the real MNIST, loaded once through the path argument."""
    folder = mnist_dir()  # the same search as conftest's mnist_path fixture
    if folder is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR or place "
                    "them in ../shared/data/mnist)")
    return folder, em.datasets.mnist.load_data(folder)


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


def write_set(folder: Path, seed: int = 0, compress: bool = True, **replace: bytes) -> dict:
    """Four small valid idx files (6 train, 4 test images) in ``folder``; ``replace`` maps a
    file name (dashes as underscores) to the raw bytes to write instead."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        key = name.replace("-", "_")
        if key in replace:
            (folder / f"{name}.gz").write_bytes(replace[key])
        elif compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
        else:
            (folder / name).write_bytes(idx_bytes(array))
    return arrays


def assert_loaded(result, arrays: dict) -> None:
    flat = [a for pair in result for a in pair]
    for got, name in zip(flat, NAMES):
        np.testing.assert_array_equal(got, arrays[name])
        assert got.dtype == np.uint8


# ---- the real MNIST ---------------------------------------------------------------------

def test_mnist_from_path_shapes_dtypes_labels(real_mnist):
    _, ((x_train, y_train), (x_test, y_test)) = real_mnist
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_train.flags.writeable  # users normalise in place, as with Keras' arrays


def test_mnist_through_ember_data_dir(real_mnist, monkeypatch):
    folder, ((x_train, y_train), (x_test, y_test)) = real_mnist
    monkeypatch.setenv("EMBER_DATA_DIR", str(folder))
    (a, b), (c, d) = em.datasets.mnist.load_data()
    for got, want in zip((a, b, c, d), (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(got, want)


def test_mnist_from_verified_cache(real_mnist, no_data_dir):
    folder, ((x_train, y_train), _) = real_mnist
    cache = em.datasets.data_home() / "mnist"
    cache.mkdir(parents=True)
    for name in NAMES:
        (cache / f"{name}.gz").symlink_to(folder / f"{name}.gz")
    (a, b), _ = em.datasets.mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(b, y_train)


def test_embedded_sha256_match_the_shared_sums():
    sums = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist" / "SHA256SUMS"
    if not sums.exists():
        pytest.skip(f"{sums} is not on this machine")
    published = dict(reversed(line.split()) for line in sums.read_text().splitlines() if line)
    assert published == dict(mnist._SPEC.hashes)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """serve(folder) -> the base URL of a local HTTP server for ``folder``."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_download_from_a_mirror_into_the_cache(real_mnist, serve, monkeypatch, no_data_dir):
    folder, ((x_train, _), (_, y_test)) = real_mnist
    url = serve(folder)
    # The first mirror answers 404 for every file, so each falls through to the second.
    monkeypatch.setattr(mnist, "MIRRORS", [url + "missing/", url])
    (a, _), (_, d) = em.datasets.mnist.load_data()
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(d, y_test)
    cache = em.datasets.data_home() / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n in NAMES)


def test_download_with_wrong_checksum_is_rejected(tmp_path, serve, monkeypatch, no_data_dir):
    monkeypatch.setattr(mnist, "MIRRORS", [serve(tmp_path / "fake")])
    write_set(tmp_path / "fake")
    with pytest.raises(em.datasets.DownloadError, match="sha256 checksum mismatch"):
        em.datasets.mnist.load_data()
    assert list((em.datasets.data_home() / "mnist").iterdir()) == []  # no partial files


# ---- where the files are looked for -----------------------------------------------------

def test_path_folder_holding_a_mnist_subfolder(tmp_path):
    arrays = write_set(tmp_path / "data" / "mnist")
    assert_loaded(em.datasets.mnist.load_data(tmp_path / "data"), arrays)


def test_ember_data_dir_holding_a_mnist_subfolder(tmp_path, monkeypatch):
    arrays = write_set(tmp_path / "data" / "mnist")
    monkeypatch.setenv("EMBER_DATA_DIR", str(tmp_path / "data"))
    assert_loaded(em.datasets.mnist.load_data(), arrays)


def test_path_comes_before_ember_data_dir(tmp_path, monkeypatch):
    arrays = write_set(tmp_path / "a", seed=1)
    write_set(tmp_path / "b", seed=2)
    monkeypatch.setenv("EMBER_DATA_DIR", str(tmp_path / "b"))
    assert_loaded(em.datasets.mnist.load_data(str(tmp_path / "a")), arrays)


def test_uncompressed_files_are_accepted(tmp_path):
    arrays = write_set(tmp_path, compress=False)
    assert_loaded(em.datasets.mnist.load_data(tmp_path), arrays)


def test_fashion_mnist_reads_its_own_subfolder(tmp_path, monkeypatch):
    write_set(tmp_path / "data", seed=1)  # MNIST in the root must not be taken for Fashion
    arrays = write_set(tmp_path / "data" / "fashion_mnist", seed=2)
    monkeypatch.setenv("EMBER_DATA_DIR", str(tmp_path / "data"))
    assert_loaded(em.datasets.fashion_mnist.load_data(), arrays)
    assert len(fashion_mnist.CLASS_NAMES) == 10


def test_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="path must be a folder"):
        em.datasets.mnist.load_data(tmp_path / "mnist.npz")


# ---- checksums and failures -------------------------------------------------------------

@pytest.mark.parametrize("module, algorithm", [(mnist, "sha256"), (fashion_mnist, "md5")])
def test_cache_checksum_mismatch_names_the_file(module, algorithm, no_data_dir):
    write_set(em.datasets.data_home() / module._SPEC.name)
    with pytest.raises(ValueError, match=f"train-images-idx3-ubyte.gz: {algorithm} checksum"):
        module.load_data()


@pytest.mark.parametrize("module", [mnist, fashion_mnist])
def test_no_network_fails_fast_and_says_what_to_do(module, no_data_dir):
    start = time.perf_counter()
    with pytest.raises(em.datasets.DownloadError) as info:
        module.load_data()
    assert time.perf_counter() - start < 10
    message = str(info.value)
    cache = em.datasets.data_home() / module._SPEC.name
    for needed in ("EMBER_DATA_DIR", "path=", "127.0.0.1:9", str(cache),
                   "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert needed in message
    assert list(cache.iterdir()) == []  # no temporary files left behind


_IMAGES = np.zeros((6, 28, 28), np.uint8)
_GOOD = gzip.compress(idx_bytes(_IMAGES))


@pytest.mark.parametrize("content, problem", [
    (gzip.compress(idx_bytes(np.zeros(6, np.uint8))), "bad magic number 0x00000801"),
    (gzip.compress(b"hello, world"), "bad magic number"),
    (gzip.compress(b""), "only 0 bytes"),
    (gzip.compress(idx_bytes(_IMAGES)[:10]), "truncated idx header"),
    (gzip.compress(idx_bytes(_IMAGES)[:-28]), r"wrong length.*\(truncated\)"),
    (gzip.compress(idx_bytes(_IMAGES) + b"\0"), "trailing bytes"),
    (_GOOD[: len(_GOOD) // 2], "truncated gzip file"),
    (_GOOD[:10] + b"\xff" * 40, "corrupt gzip data"),
], ids=["labels-magic", "not-idx", "empty", "short-header", "short-data", "trailing",
        "truncated-gzip", "corrupt-gzip"])
def test_corrupt_files_give_clear_errors(tmp_path, content, problem):
    write_set(tmp_path, train_images_idx3_ubyte=content)
    with pytest.raises(ValueError, match=problem) as info:
        em.datasets.mnist.load_data(tmp_path)
    assert "train-images-idx3-ubyte.gz" in str(info.value)


def test_images_and_labels_must_pair_up(tmp_path):
    write_set(tmp_path, t10k_labels_idx1_ubyte=gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    with pytest.raises(ValueError, match="holds 4 images but .* holds 3 labels"):
        em.datasets.mnist.load_data(tmp_path)


def test_labels_out_of_range(tmp_path):
    labels = gzip.compress(idx_bytes(np.array([0, 1, 10, 2, 3, 4], np.uint8)))
    write_set(tmp_path, train_labels_idx1_ubyte=labels)
    with pytest.raises(ValueError, match="label 10 is out of range"):
        em.datasets.mnist.load_data(tmp_path)


# ---- digits -----------------------------------------------------------------------------

def test_digits_layout_and_scaling():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    (x_train, y_train), (x_test, y_test) = em.datasets.digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.max() == 255 and x_train.min() == 0
    original = sklearn_datasets.load_digits()
    both = np.concatenate([y_train, y_test])
    assert np.bincount(both).tolist() == np.bincount(original.target).tolist()
    # sklearn's 17 grey levels 0..16, scaled by 255/16 and rounded.
    levels = np.unique(np.concatenate([x_train, x_test]))
    np.testing.assert_array_equal(levels, np.rint(np.arange(17) * 255 / 16))


def test_digits_split_follows_seed_and_fraction():
    pytest.importorskip("sklearn")
    (a, _), _ = em.datasets.digits.load_data(seed=3)
    (b, _), _ = em.datasets.digits.load_data(seed=3)
    (c, _), _ = em.datasets.digits.load_data(seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    (x_train, _), (x_test, y_test) = em.datasets.digits.load_data(test_split=0)
    assert x_train.shape == (1797, 8, 8) and x_test.shape == (0, 8, 8) and y_test.shape == (0,)


@pytest.mark.parametrize("bad", [1.0, -0.1, "0.2", True])
def test_digits_rejects_a_bad_test_split(bad):
    with pytest.raises(ValueError, match="test_split must be a fraction"):
        em.datasets.digits.load_data(test_split=bad)


def test_digits_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"ember\[sklearn\]"):
        em.datasets.digits.load_data()


def test_mnist_or_digits_falls_back_only_when_mnist_is_missing(tmp_path, no_data_dir, capsys):
    pytest.importorskip("sklearn")
    ((x, _), (x_test, _)), name = em.datasets.mnist_or_digits(tmp_path / "empty",
                                                              test_split=0.5)
    assert name == "digits (8x8)" and x.shape[1:] == (8, 8)
    assert len(x) + len(x_test) == 1797 and len(x_test) == 899  # the test half, rounded up
    assert capsys.readouterr().out.startswith("MNIST is not available")
    assert em.datasets.mnist_or_digits(use_digits=True)[1] == "digits (8x8)"
    assert capsys.readouterr().out == ""  # asked for: nothing to explain
    write_set(tmp_path, train_images_idx3_ubyte=gzip.compress(b"hello, world"))
    with pytest.raises(ValueError, match="bad magic number"):  # corrupt: never a fallback
        em.datasets.mnist_or_digits(tmp_path)
