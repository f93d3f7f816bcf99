"""The end-to-end benchmark suite runs and writes its report (benchmarks/run.py).

Only that it works end to end: ``python -m benchmarks --tiny`` (a handful of steps on a few
images, one repeat, children overlapped) must produce latest.md and latest.json with a timed,
successful run of every contender. No timing is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, mnist_dir


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    data = mnist_dir()
    if data is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR or place "
                    "them in ../shared/data/mnist)")
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--threads", "1", "--jobs", "3",
         "--data", str(data), "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "latest.json").read_text())
    return report, (out / "latest.md").read_text()


def test_every_contender_runs_and_is_timed(tiny_report: tuple[dict, str]) -> None:
    report, _ = tiny_report
    runs = {(r["workload"], r["contender"]): r for r in report["runs"]}
    expected = {("dense", c) for c in ("ember", "torch", "numpy", "sklearn")} | {
        ("predict_dense", c) for c in ("ember", "torch", "numpy")} | {
        (w, c) for w in ("convnet", "lstm", "predict_convnet") for c in ("ember", "torch")} | {
        ("ops", "ops")}
    assert set(runs) == expected
    for key, run in runs.items():
        if run["status"] == "unavailable":  # an ember layer that does not exist yet
            assert key[1] == "ember" and key[0] not in ("dense", "predict_dense"), run
            continue
        assert run["status"] == "ok", (key, run.get("reason"), run.get("traceback"))
        assert run["time_s"] > 0 and run["peak_mib"] > 0
        assert run["spec"]["threads"] == 1
    for contender in ("ember", "torch", "numpy", "sklearn"):
        assert 0.0 <= runs["dense", contender]["result"]["accuracy"] <= 1.0
    assert runs["predict_dense", "ember"]["result"]["outputs"] == [128, 10]
    # 4 steps of batch 32: the training subset, not the whole set
    assert runs["dense", "torch"]["result"]["images"] == 128
    ops = runs["ops", "ops"]["result"]["median_us"]
    assert {"add", "matmul"} <= set(ops) and ops["add"]["ember"] > 0


def test_the_child_uses_the_requested_blas_threads(tiny_report: tuple[dict, str]) -> None:
    report, _ = tiny_report
    run = next(r for r in report["runs"] if r["contender"] == "numpy")
    blas = [p for p in run["threadpools"] if p["user_api"] == "blas"]
    if not blas:
        pytest.skip("threadpoolctl is not installed")
    assert all(p["num_threads"] == 1 for p in blas)


def test_json_records_machine_command_and_summary(tiny_report: tuple[dict, str]) -> None:
    report, _ = tiny_report
    assert "--tiny" in report["command"]
    machine = report["machine"]
    assert machine["cpu"] and machine["logical_cores"] >= 1 and machine["numpy"]
    assert machine["versions"]["torch"]
    rows = {(r["workload"], r["contender"]): r for r in report["summary"]}
    ember = rows["dense", "ember"]
    assert ember["n"] == 1 and ember["times_s"] == [ember["median_s"]]
    assert ember["vs_torch"] > 0 and ember["vs_numpy"] > 0
    assert {t["verdict"] for t in report["targets"]} <= {"met", "NOT met", "unavailable"}
    assert any(t["target"].startswith("dense: ember <= 0.75") for t in report["targets"])


def test_markdown_has_the_tables_and_targets(tiny_report: tuple[dict, str]) -> None:
    _, text = tiny_report
    assert "| workload | contender | median | min–max | vs PyTorch |" in text
    assert "| dense | ember (fit API) |" in text
    assert "## Targets" in text and "Per-op overhead" in text
    assert "numbers mean nothing" in text


def test_bad_arguments_are_refused_clearly() -> None:
    from benchmarks.run import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--workloads", "dense,nope"])
    with pytest.raises(SystemExit):
        parse_args(["--threads", "two"])
    args = parse_args(["--threads", "1,2", "--quick"])
    assert args.thread_list == [1, 2] and args.mode == "quick" and args.repeats == 3


def test_missing_data_is_reported(tmp_path: Path) -> None:
    from benchmarks.run import main

    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out" / "latest.json").exists()
