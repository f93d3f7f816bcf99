"""Keras 3 on JAX and on TensorFlow as benchmark contenders (benchmarks/contenders/keras_fit.py),
smoke-tested at tiny sizes: one child process per backend (with the environment
``benchmarks.run.child_env`` gives a benchmark child: the backend and the thread counts), both
at once, each running a share of the workloads so that every workload runs once and each
backend trains and predicts (compiling every Keras step on a loaded 2-core machine took
minutes); the dense records then go through the report with ember's and PyTorch's, so every
contender yields a median and ember a ratio to the fastest peer. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, mnist_dir

BACKENDS = {"keras_jax": "jax", "keras_tf": "tensorflow"}
# the workloads each backend's child runs: the network code is shared, the compile is not
SHARES = {"keras_jax": ("dense", "lstm", "predict_convnet"),
          "keras_tf": ("dense", "convnet", "predict_dense")}


def _spec(workload: str, contender: str, data: str) -> dict:
    from benchmarks.run import BATCH

    arch = workload.removeprefix("predict_")
    return {"workload": workload, "contender": contender, "threads": 1, "seed": 0,
            "data": data, "epochs": 1, "steps": 2, "batch": BATCH[arch],
            "warm_steps": 0 if workload.startswith("predict_") else 1,
            "predict_batch": 32, "predict_passes": 1}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> str:
    data = mnist_dir()
    if data is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR)")
    from benchmarks.data import cache_mnist

    folder = tmp_path_factory.mktemp("mnist")
    cache_mnist(data, folder, n_train=256, n_test=80)  # 80 = 2 batches of 32 + 16
    return str(folder)


@pytest.fixture(scope="module")
def keras_records(tiny_data: str) -> dict:
    """(workload, contender) -> the child's record, for both backends."""
    pytest.importorskip("keras")
    pytest.importorskip("jax")
    pytest.importorskip("tensorflow")
    from benchmarks.child import MARKER
    from benchmarks.run import child_env

    procs = {}
    for contender in BACKENDS:
        specs = [_spec(w, contender, tiny_data) for w in SHARES[contender]]
        # last, the other backend in the same process: refused, Keras' backend is fixed
        other = next(c for c in BACKENDS if c != contender)
        specs.append(_spec("dense", other, tiny_data))
        procs[contender] = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.child", json.dumps(specs)], cwd=REPO,
            env=child_env(specs[0]), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
    records = {}
    for contender, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        lines = [json.loads(x[len(MARKER):]) for x in out.splitlines() if x.startswith(MARKER)]
        assert len(lines) == len(SHARES[contender]) + 1, (out[-2000:], err[-2000:])
        records.update({(w, contender): r for w, r in zip(SHARES[contender], lines)})
        records["second backend", contender] = lines[-1]
    return records


@pytest.mark.parametrize("contender", list(BACKENDS))
def test_keras_runs_its_workloads_on_its_backend_with_pinned_threads(
        keras_records: dict, contender: str) -> None:
    for workload in SHARES[contender]:
        record = keras_records[workload, contender]
        assert record["status"] == "ok", (workload, record.get("traceback"))
        result = record["result"]
        assert record["time_s"] > 0 and record["peak_mib"] > 0
        assert result["backend"] == BACKENDS[contender]
        assert result["first_s"] > 0  # the compiling first call, timed on its own
        pinning = result["pinning"]
        assert len(pinning["affinity"]) == 1  # threads=1
        if contender == "keras_tf":
            assert pinning["tf_intra_op"] == pinning["tf_inter_op"] == 1
        else:
            assert "intra_op_parallelism_threads=1" in pinning["xla_flags"]
        if workload.startswith("predict_"):
            assert result["outputs"] == [80, 10]
        else:
            arch_batch = 64 if workload == "lstm" else 32
            assert result["images"] == 2 * arch_batch  # the 2 steps, not the whole set
            assert 0.0 <= result["accuracy"] <= 1.0 and result["first_steps"] == 1
    assert all(p["num_threads"] == 1 for p in keras_records["dense", contender]["threadpools"])


def test_every_contender_yields_a_median_and_ember_a_ratio_to_the_fastest_peer(
        keras_records: dict, tiny_data: str, request: pytest.FixtureRequest) -> None:
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    request.addfinalizer(lambda: torch.set_num_threads(threads))
    from benchmarks import report
    from benchmarks.child import run

    runs = []
    for contender in ("ember", "torch", *BACKENDS):
        record = (keras_records["dense", contender] if contender in BACKENDS
                  else run(_spec("dense", contender, tiny_data)))
        assert record["status"] == "ok", record.get("traceback")
        runs.append({"threads": 1, "workload": "dense", "contender": contender, "round": 0,
                     "warmup": False, "spec": _spec("dense", contender, tiny_data), **record})
    rows = {r["contender"]: r for r in report.summarize(runs)}
    assert all(rows[c]["median_s"] > 0 for c in rows) and len(rows) == 4
    ember = rows["ember"]
    fastest = min(("torch", *BACKENDS), key=lambda c: rows[c]["median_s"])
    assert ember["fastest_peer"] == fastest
    assert ember["vs_fastest"] == pytest.approx(ember["median_s"] / rows[fastest]["median_s"])
    text = "\n".join(report.summary_tables(list(rows.values()), 1))
    assert "| workload | ember | PyTorch | Keras/JAX | Keras/TF | fastest peer |" in text


def test_every_workload_is_covered_and_a_second_backend_is_refused(
        keras_records: dict) -> None:
    assert {w for c in BACKENDS for w in SHARES[c]} == {
        "dense", "convnet", "lstm", "predict_dense", "predict_convnet"}
    for contender in BACKENDS:
        record = keras_records["second backend", contender]
        assert record["status"] == "error" and "needs its own process" in record["reason"]


def test_benchmark_requirements_name_the_keras_backends() -> None:
    text = Path(REPO / "benchmarks" / "requirements.txt").read_text()
    for name in ("keras==", "jax==", "jaxlib==", "tensorflow-cpu==", "torch=="):
        assert name in text
