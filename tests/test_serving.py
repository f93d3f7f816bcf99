"""`ember serve`: the server started in a subprocess on a free loopback port, real HTTP
requests (good, malformed, wrong shape, oversized, concurrent), and the page in headless
Chromium where Debian's chromium is installed."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import ember as em  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url, payload, raw=None):
    data = raw if raw is not None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Flatten(input_shape=(28, 28)),
                           em.layers.Dense(32, activation="relu"),
                           em.layers.Dense(10, activation="softmax")])
    path = str(tmp_path_factory.mktemp("serve") / "mnist.ember")
    model.save(path)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ember.cli", "serve", path, "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/health", timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stdout.read().decode())
            time.sleep(0.1)
    yield base, model
    proc.terminate()
    proc.wait(timeout=10)


def test_health_and_predict(server):
    base, model = server
    with urllib.request.urlopen(base + "/health") as resp:
        health = json.loads(resp.read())
    assert health["status"] == "ok" and health["input_shape"] == [None, 28, 28]
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    status, out = _post(base + "/predict", {"inputs": x.tolist(), "saliency": True})
    assert status == 200
    np.testing.assert_allclose(out["outputs"], model.predict(x, verbose=0), atol=1e-6)
    assert out["classes"] == model.predict(x, verbose=0).argmax(1).tolist()
    sal = np.array(out["saliency"])
    assert sal.shape == (3, 28, 28) and (sal >= 0).all() and sal.max() > 0


def test_bad_requests_get_4xx_naming_the_shape(server):
    base, _ = server
    status, out = _post(base + "/predict", None, raw=b"{not json")
    assert status == 400 and "(n, 28, 28)" in out["error"]
    status, out = _post(base + "/predict", {"inputs": [[1, 2, 3]]})
    assert status == 422 and "the model expects (n, 28, 28)" in out["error"]
    status, out = _post(base + "/predict", {"inputs": [[["a"] * 28] * 28]})
    assert status == 422 and "(n, 28, 28)" in out["error"]
    status, out = _post(base + "/predict", {"wrong": 1})
    assert status == 422
    status, out = _post(base + "/predict", None, raw=b"[" + b"0," * (5 << 20) + b"0]")
    assert status == 413
    status, out = _post(base + "/predict", {"inputs": np.zeros((300, 28, 28)).tolist()})
    assert status == 413 and "1 to 256 samples" in out["error"]


def test_concurrent_requests_are_batched_and_correct(server):
    base, model = server
    rng = np.random.default_rng(1)
    xs = [rng.random((1, 28, 28), dtype=np.float32) for _ in range(48)]
    with urllib.request.urlopen(base + "/health") as resp:
        before = json.loads(resp.read())
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda x: _post(base + "/predict", {"inputs": x.tolist()}),
                                xs))
    with urllib.request.urlopen(base + "/health") as resp:
        after = json.loads(resp.read())
    for x, (status, out) in zip(xs, results):
        assert status == 200
        np.testing.assert_allclose(out["outputs"], model.predict(x, verbose=0), atol=1e-6)
    assert after["requests"] - before["requests"] == 48
    assert after["batches"] - before["batches"] < 48  # some requests shared a model call


def test_page_in_headless_chromium(server):
    base, _ = server
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    with urllib.request.urlopen(base + "/") as resp:
        html = resp.read().decode()
    assert "<canvas id=\"pad\"" in html
    out = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000",
         "--dump-dom", base + "/?demo=1"], capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    # the page fetched /predict and rendered the class and ten probability bars
    assert '<strong id="cls">?</strong>' not in dom, dom[-3000:]
    assert dom.count(": 0.") + dom.count(": 1.") >= 10
