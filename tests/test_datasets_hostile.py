"""The MNIST idx loader and downloads under hostile files: a gzip bomb, a header declaring a
huge array, a FIFO, an endless download; each fails fast, in little memory, naming the file."""

import functools
import gzip
import http.server
import json
import os
import struct
import subprocess
import sys
import threading
import zlib

import numpy as np
import pytest

import ember as em
from ember.datasets import _download, _idx
from ember.safe_io import FileFormatError

PROBE = os.path.join(os.path.dirname(__file__), "rss_probe.py")


def _idx3_header(n, rows=28, cols=28):
    return bytes([0, 0, 8, 3]) + struct.pack(">III", n, rows, cols)


def _gzip_of_zeros(header, megabytes):
    """A gzip member: ``header`` then ``megabytes`` MB of zeros (built in milliseconds)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    zeros = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    assert zeros == again  # history-free blocks: repeat the bytes instead of compressing
    return block + zeros * megabytes + c.flush()


@pytest.fixture
def bombs(tmp_path):
    huge = tmp_path / "huge-idx3-ubyte.gz"  # declares 157 MB (under the cap), 1 MB on disk
    huge.write_bytes(_gzip_of_zeros(_idx3_header(200_000), 1))
    trailing = tmp_path / "trailing-idx3-ubyte.gz"  # declares 6 images, inflates to 1 GB
    trailing.write_bytes(_gzip_of_zeros(_idx3_header(6), 1024))
    raw = tmp_path / "raw-idx3-ubyte"  # uncompressed, declares 4 GB
    raw.write_bytes(_idx3_header(4_000_000, 1000, 1000))
    return {"huge": str(huge), "trailing": str(trailing), "raw": str(raw)}


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="reads /proc")
def test_idx_bombs_fail_fast_in_little_memory(bombs):
    proc = subprocess.run([sys.executable, PROBE, *(f"idx={p}" for p in bombs.values())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = {os.path.basename(r["path"]).split("-")[0]: r for r in json.loads(proc.stdout)}
    for name, r in results.items():
        assert r["error"][0] == "FileFormatError" and r["path"] in r["error"][1], r
        assert r["seconds"] < 1.0 and r["rss_mb"] < 50, (name, r)
    assert "a gzip bomb" in results["huge"]["error"][1]
    assert "has trailing bytes" in results["trailing"]["error"][1]
    assert "more than the 268435456 allowed" in results["raw"]["error"][1]


def test_an_idx_bomb_in_the_data_folder_is_refused(tmp_path, bombs):
    folder = tmp_path / "mnist"
    folder.mkdir()
    os.replace(bombs["huge"], folder / "train-images-idx3-ubyte.gz")
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / f"{name}.gz").write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 0])))
    with pytest.raises(FileFormatError, match="train-images-idx3-ubyte.gz.*a gzip bomb"):
        em.datasets.mnist.load_data(folder)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_non_regular_idx_file_is_named(tmp_path, kind):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs")
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(FileFormatError, match="not a regular file") as info:
        em.datasets.mnist.load_data(tmp_path)
    assert str(path) in str(info.value)
    if kind == "fifo":
        with pytest.raises(FileFormatError, match="FIFO"):
            _idx.load_idx(path, 3)


def test_the_digest_is_computed_while_inflating(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    payload = _idx3_header(2) + array.tobytes()
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(payload) + gzip.compress(b""))  # two gzip members
    got, sha = _idx.load_idx(path, 3, "sha256")
    np.testing.assert_array_equal(got, array)
    assert sha == _idx.digest(payload, "sha256")
    _, md5 = _idx.load_idx(path, 3, "md5", hash_of_gzip=True)
    assert md5 == _idx.digest(path.read_bytes(), "md5")


class _Endless(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(200)
        if self.path.endswith("announced.gz"):
            self.send_header("Content-Length", str(10 << 30))
        self.end_headers()
        try:
            for _ in range(64):
                self.wfile.write(bytes(1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("name", ["endless.gz", "announced.gz"])
def test_a_download_is_capped_while_streaming(tmp_path, monkeypatch, name):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    threading.Thread(target=functools.partial(server.serve_forever, 0.05), daemon=True).start()
    monkeypatch.setattr(_download, "MAX_DOWNLOAD_BYTES", 4 << 20)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    checked = []
    try:
        with pytest.raises(_download.DownloadError, match="more than") as info:
            _download.fetch(name, [f"http://127.0.0.1:{server.server_address[1]}/"],
                            tmp_path / name, check=lambda p, u: checked.append(p))
    finally:
        server.shutdown()
        server.server_close()
    assert name in str(info.value) and checked == []
    assert list(tmp_path.iterdir()) == []  # no part-file left

