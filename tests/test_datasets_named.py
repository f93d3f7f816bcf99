"""The standard data sets by name (cifar10, cifar100, imdb, reuters, boston_housing,
california_housing) and get_file, on small files written here in the published formats.

Keras 3 is the oracle: its own loaders run on the same files (its get_file replaced by one
returning the file, since Keras would insist on the published hash), and must give the same
arrays. CIFAR-10's Keras loader hard-codes 10,000 images per batch, so there the oracle is
Keras' ``load_batch`` per file and its layout (channels last, labels (n, 1)).
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import tarfile
import time
import zipfile

import numpy as np
import pytest

import ember as em
from ember.datasets import DownloadError
from ember.utils import file_utils
from keras_oracle import run_keras


def cifar_batch(rng, n, label_keys, protocol=2):
    batch = {b"batch_label": b"testing batch", b"filenames": [b"f%d.png" % i for i in range(n)],
             b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}
    for key, classes in label_keys.items():
        batch[key] = [int(v) for v in rng.integers(0, classes, n)]
    # CIFAR was pickled by Python 2 (protocol 2). Python 3 writes bytes in protocol 2 through
    # _codecs.encode, which ember reads and Keras refuses: the files Keras reads use protocol 3
    return pickle.dumps(batch, protocol=protocol)


def write_tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("named")
    rng = np.random.default_rng(0)
    write_tar(root / "cifar-10-python.tar.gz", {
        **{f"cifar-10-batches-py/data_batch_{i}": cifar_batch(rng, 4, {b"labels": 10},
                                                               3 if i == 2 else 2)
           for i in range(1, 6)},
        "cifar-10-batches-py/test_batch": cifar_batch(rng, 3, {b"labels": 10})})
    keys = {b"fine_labels": 100, b"coarse_labels": 20}
    write_tar(root / "cifar-100-python.tar.gz", {
        "cifar-100-python/train": cifar_batch(rng, 6, keys, 3),
        "cifar-100-python/test": cifar_batch(rng, 2, keys, 3)})

    def reviews(n):
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = [int(v) for v in rng.integers(1, 60, rng.integers(2, 25))]
        return out

    np.savez(root / "imdb.npz", x_train=reviews(30), y_train=rng.integers(0, 2, 30),
             x_test=reviews(20), y_test=rng.integers(0, 2, 20))
    np.savez(root / "reuters.npz", x=reviews(40), y=rng.integers(0, 46, 40))
    np.savez(root / "boston_housing.npz", x=rng.normal(size=(50, 13)), y=rng.normal(size=50))
    np.savez(root / "california_housing.npz", x=rng.normal(size=(700, 8)),
             y=rng.normal(size=700))
    (root / "imdb_word_index.json").write_text(json.dumps({"the": 1, "film": 2}))
    return root


KERAS_SNIPPET = """
from keras.src.datasets import (boston_housing, california_housing, cifar, cifar100, imdb,
                                reuters)
for module in (boston_housing, california_housing, cifar100, imdb, reuters):
    module.get_file = lambda fname=None, origin=None, **kw: (
        "c100" if "cifar" in str(fname) else fname)
import tarfile
tarfile.open("cifar-100-python.tar.gz").extractall("c100", filter="data")
tarfile.open("cifar-10-python.tar.gz").extractall("c10", filter="data")
x, y = cifar.load_batch("c10/cifar-10-batches-py/data_batch_2")
out["c10_batch_x"], out["c10_batch_y"] = x, np.array(y)
for mode in ("fine", "coarse"):
    (a, b), (c, d) = cifar100.load_data(label_mode=mode)
    out.update({f"c100_{mode}_{i}": v for i, v in enumerate((a, b, c, d))})
def ragged(tag, arrays):
    for i, v in enumerate(arrays):
        if v.dtype == object:
            out[f"{tag}_{i}_len"] = np.array([len(r) for r in v])
            out[f"{tag}_{i}"] = np.concatenate([np.asarray(r, dtype=np.int64) for r in v])
        else:
            out[f"{tag}_{i}"] = v
cases = {"imdb_default": dict(), "imdb_cut": dict(num_words=30, skip_top=3, maxlen=20,
         index_from=2, seed=5), "imdb_nooov": dict(oov_char=None, start_char=None,
         num_words=40)}
for tag, kw in cases.items():
    (a, b), (c, d) = imdb.load_data(path="imdb.npz", **kw)
    ragged(tag, (a, b, c, d))
for tag, kw in {"reuters_default": {}, "reuters_cut": dict(num_words=25, maxlen=15,
                test_split=0.3, seed=1)}.items():
    (a, b), (c, d) = reuters.load_data(path="reuters.npz", **kw)
    ragged(tag, (a, b, c, d))
(a, b), (c, d) = boston_housing.load_data(path="boston_housing.npz", test_split=0.3, seed=3)
out.update({f"boston_{i}": v for i, v in enumerate((a, b, c, d))})
for version in ("large", "small"):
    (a, b), (c, d) = california_housing.load_data(version=version,
                                                  path="california_housing.npz")
    out.update({f"cal_{version}_{i}": v for i, v in enumerate((a, b, c, d))})
"""


@pytest.fixture(scope="module")
def keras_out(files):
    return run_keras(KERAS_SNIPPET, files)


def flat(tag, arrays, keras_out):
    for i, v in enumerate(arrays):
        if v.dtype == object:
            np.testing.assert_array_equal([len(r) for r in v], keras_out[f"{tag}_{i}_len"])
            np.testing.assert_array_equal(np.concatenate([np.asarray(r) for r in v]),
                                          keras_out[f"{tag}_{i}"])
        else:
            np.testing.assert_array_equal(v, keras_out[f"{tag}_{i}"])
            assert v.dtype == keras_out[f"{tag}_{i}"].dtype, tag


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """An empty cache, no $EMBER_DATA_DIR, and a download that fails at once."""
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_DATA_DIR", raising=False)
    from ember.datasets import _download

    def offline(url, dest, check, timeout):
        raise OSError("network is unreachable")

    monkeypatch.setattr(_download, "_download", offline)


def test_cifar10_matches_keras_layout(files, keras_out, no_network):
    from ember.datasets._cifar import load_batch

    (x, y), (xt, yt) = em.datasets.cifar10.load_data(path=files)
    assert x.shape == (20, 32, 32, 3) and y.shape == (20, 1) and xt.shape == (3, 32, 32, 3)
    assert x.dtype == y.dtype == np.uint8
    want_x, want_y = keras_out["c10_batch_x"], keras_out["c10_batch_y"]
    np.testing.assert_array_equal(x[4:8], want_x.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y[4:8, 0], want_y)
    # the folder itself, the extracted folder or $EMBER_DATA_DIR all work the same
    extracted = file_utils.get_file(str(files / "cifar-10-python.tar.gz"), extract=True)
    again = em.datasets.cifar10.load_data(path=f"{extracted}/cifar-10-batches-py")
    np.testing.assert_array_equal(again[0][0], x)
    bx, by = load_batch(f"{extracted}/cifar-10-batches-py/test_batch")
    np.testing.assert_array_equal(bx.transpose(0, 2, 3, 1), xt)


@pytest.mark.parametrize("mode", ["fine", "coarse"])
def test_cifar100_matches_keras(files, keras_out, no_network, monkeypatch, mode):
    monkeypatch.setenv("EMBER_DATA_DIR", str(files))
    flat(f"c100_{mode}", [a for pair in em.datasets.cifar100.load_data(label_mode=mode)
                          for a in pair], keras_out)


@pytest.mark.parametrize("tag,kw", [
    ("imdb_default", {}),
    ("imdb_cut", dict(num_words=30, skip_top=3, maxlen=20, index_from=2, seed=5)),
    ("imdb_nooov", dict(oov_char=None, start_char=None, num_words=40)),
])
def test_imdb_matches_keras(files, keras_out, no_network, tag, kw):
    (a, b), (c, d) = em.datasets.imdb.load_data(path=files / "imdb.npz", **kw)
    assert a.dtype == object
    flat(tag, (a, b, c, d), keras_out)


def test_imdb_word_index_and_env_folder(files, no_network, monkeypatch):
    monkeypatch.setenv("EMBER_DATA_DIR", str(files))
    assert em.datasets.imdb.get_word_index() == {"the": 1, "film": 2}
    (a, _), _ = em.datasets.imdb.load_data()  # found by name in $EMBER_DATA_DIR
    assert len(a) == 30


@pytest.mark.parametrize("tag,kw", [
    ("reuters_default", {}),
    ("reuters_cut", dict(num_words=25, maxlen=15, test_split=0.3, seed=1)),
])
def test_reuters_matches_keras(files, keras_out, no_network, tag, kw):
    flat(tag, [a for pair in em.datasets.reuters.load_data(path=files / "reuters.npz", **kw)
               for a in pair], keras_out)
    assert len(em.datasets.reuters.get_label_names()) == 46


def test_housing_match_keras(files, keras_out, no_network):
    got = em.datasets.boston_housing.load_data(path=files / "boston_housing.npz",
                                               test_split=0.3, seed=3)
    flat("boston", [a for pair in got for a in pair], keras_out)
    for version in ("large", "small"):
        got = em.datasets.california_housing.load_data(
            version=version, path=files / "california_housing.npz")
        flat(f"cal_{version}", [a for pair in got for a in pair], keras_out)


@pytest.mark.parametrize("load", [
    lambda: em.datasets.cifar10.load_data(), lambda: em.datasets.cifar100.load_data(),
    lambda: em.datasets.imdb.load_data(), lambda: em.datasets.reuters.get_word_index(),
    lambda: em.datasets.boston_housing.load_data(),
    lambda: em.datasets.california_housing.load_data(),
])
def test_missing_data_fails_at_once_with_advice(no_network, load):
    start = time.perf_counter()
    with pytest.raises(DownloadError) as info:
        load()
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "load_data" in message or "get_word_index" in message
    assert "network is unreachable" in message and "EMBER_DATA_DIR" in message


def test_unsafe_pickle_is_refused(tmp_path, no_network):
    import os

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps({b"data": Evil(), b"labels": [1]}))
    with pytest.raises(ValueError, match="posix.system|nt.system"):
        em.datasets.cifar10.load_data(path=folder)


def test_bad_arguments(files, no_network):
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse'"):
        em.datasets.cifar100.load_data(label_mode="medium")
    with pytest.raises(ValueError, match="test_split must be in"):
        em.datasets.boston_housing.load_data(path=files / "boston_housing.npz", test_split=1)
    with pytest.raises(ValueError, match="version must be 'large' or 'small'"):
        em.datasets.california_housing.load_data(version="tiny")
    with pytest.raises(ValueError, match="increase maxlen"):
        em.datasets.imdb.load_data(path=files / "imdb.npz", maxlen=1)


# ---------------------------------------------------------------------- get_file
def test_get_file_downloads_caches_and_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_DATA_DIR", raising=False)
    src = tmp_path / "server" / "data.bin"
    src.parent.mkdir()
    src.write_bytes(b"payload" * 100)
    sha = file_utils.hash_file(src)
    path = file_utils.get_file("data.bin", src.as_uri(), file_hash=sha)
    assert path == str(tmp_path / "home" / "datasets" / "data.bin")
    src.unlink()  # cached now: found without the network
    assert file_utils.get_file("data.bin", src.as_uri(), file_hash=sha) == path
    assert file_utils.validate_file(path, sha)
    md5 = file_utils.hash_file(path, "md5")
    assert file_utils.validate_file(path, md5)  # "auto": 32 digits means md5
    src.write_bytes(b"something else")
    with pytest.raises(DownloadError, match="checksum mismatch"):
        file_utils.get_file("other.bin", src.parent.as_uri() + "/data.bin", file_hash=sha,
                            cache_dir=tmp_path / "c2")
    assert not (tmp_path / "c2" / "datasets" / "other.bin").exists()  # nothing half-kept


@pytest.mark.parametrize("kind", ["tar", "zip", "gz"])
def test_get_file_extracts(tmp_path, monkeypatch, kind):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    archive = tmp_path / {"tar": "pack.tar.gz", "zip": "pack.zip", "gz": "pack.txt.gz"}[kind]
    if kind == "tar":
        write_tar(archive, {"pack/a.txt": b"alpha", "pack/sub/b.txt": b"beta"})
    elif kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("pack/a.txt", "alpha")
            z.writestr("pack/sub/b.txt", "beta")
    else:
        archive.write_bytes(gzip.compress(b"alpha"))
    out = file_utils.get_file(archive.name, archive.as_uri(), extract=True)
    assert out.endswith("pack_extracted")
    if kind == "gz":
        assert (tmp_path / "home/datasets/pack_extracted/pack.txt").read_bytes() == b"alpha"
    else:
        assert (tmp_path / "home/datasets/pack_extracted/pack/sub/b.txt").read_text() == "beta"


def test_get_file_refuses_members_outside_the_target(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../escaped.txt", "x")
    with pytest.raises(ValueError, match="outside the target folder"):
        file_utils.get_file(str(archive), extract=True)
    assert not (tmp_path / "escaped.txt").exists()


def test_get_file_without_anything(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    with pytest.raises(ValueError, match="give fname or origin"):
        file_utils.get_file()
    with pytest.raises(DownloadError, match="no origin URL"):
        file_utils.get_file("nothing.bin")
