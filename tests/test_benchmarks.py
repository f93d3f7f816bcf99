"""The benchmark suite works end to end (benchmarks/run.py, child.py, report.py).

``python -m benchmarks --tiny`` (a handful of steps on a few images, one repeat) must write
latest.md and latest.json with a timed, successful run of every contender; the workloads not
in that subprocess run (each torch child costs seconds just to import torch) run in-process
through the same child entry point. No timing is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, mnist_dir


def _need_mnist() -> Path:
    data = mnist_dir()
    if data is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR or place "
                    "them in ../shared/data/mnist)")
    return data


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    data = _need_mnist()
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run(
        # Keras' children (seconds to import) are smoke-tested in test_benchmarks_keras.py
        [sys.executable, "-m", "benchmarks", "--tiny", "--threads", "1", "--jobs", "4",
         "--workloads", "dense", "--contenders", "ember,torch,numpy,sklearn",
         "--data", str(data), "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "latest.json").read_text())
    return report, (out / "latest.md").read_text()


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    from benchmarks.data import cache_mnist

    folder = tmp_path_factory.mktemp("mnist")
    cache_mnist(_need_mnist(), folder, n_train=256, n_test=64)
    return str(folder)


def test_every_dense_contender_runs_and_is_timed(tiny_report: tuple[dict, str]) -> None:
    report, _ = tiny_report
    runs = {(r["workload"], r["contender"]): r for r in report["runs"]}
    assert set(runs) == {("dense", c) for c in ("ember", "torch", "numpy", "sklearn")}
    for key, run in runs.items():
        assert run["status"] == "ok", (key, run.get("reason"), run.get("traceback"))
        assert run["time_s"] > 0 and run["peak_mib"] > 0
        assert run["spec"]["threads"] == 1
    for contender in ("ember", "torch", "numpy", "sklearn"):
        assert 0.0 <= runs["dense", contender]["result"]["accuracy"] <= 1.0
    # 4 steps of batch 32: the training subset, not the whole set
    assert runs["dense", "torch"]["result"]["images"] == 128
    # the frameworks time a first call (1 warm-up step in --tiny) apart from the timed epoch
    for contender in ("ember", "torch"):
        result = runs["dense", contender]["result"]
        assert result["first_s"] > 0 and result["first_steps"] == 1


@pytest.mark.parametrize("workload,contender", [
    ("convnet", "ember"), ("convnet", "torch"), ("lstm", "ember"), ("lstm", "torch"),
    ("predict_dense", "ember"), ("predict_dense", "torch"), ("predict_dense", "numpy"),
    ("predict_convnet", "ember"), ("predict_convnet", "torch"), ("ops", "ops")])
def test_other_workloads_run(tiny_cache: str, workload: str, contender: str,
                             request: pytest.FixtureRequest) -> None:
    if contender in ("torch", "ops"):
        torch = pytest.importorskip("torch")
        # the contender sets the process-wide thread count: put it back for later tests
        threads = torch.get_num_threads()
        request.addfinalizer(lambda: torch.set_num_threads(threads))
    from benchmarks.child import run
    from benchmarks.run import BATCH

    arch = workload.removeprefix("predict_")
    spec = {"workload": workload, "contender": contender, "threads": 1, "seed": 0,
            "data": tiny_cache, "epochs": 1, "steps": 2, "batch": BATCH.get(arch, 32),
            "predict_batch": 32, "ops_number": 5, "ops_repeats": 2}
    record = run(spec)
    if record["status"] == "unavailable":  # an ember layer that does not exist yet
        assert contender == "ember", record
        pytest.skip(record["reason"])
    assert record["status"] == "ok", record.get("traceback")
    assert record["time_s"] > 0
    result = record["result"]
    if workload == "ops":
        ops = result["median_us"]
        assert {"add", "matmul"} <= set(ops) and len(result["ops_us"]["add"]["ember"]) == 2
        assert all(t["ember"] > 0 and t["torch"] > 0 for t in ops.values())
    elif workload.startswith("predict_"):
        assert result["outputs"] == [64, 10]
    else:
        assert result["images"] == 2 * BATCH[arch] and 0.0 <= result["accuracy"] <= 1.0


def test_a_contender_that_cannot_run_a_workload_says_so(tiny_cache: str) -> None:
    from benchmarks.child import run

    record = run({"workload": "convnet", "contender": "numpy", "threads": 1, "seed": 0,
                  "data": tiny_cache, "epochs": 1, "steps": 1, "batch": 32,
                  "predict_batch": 32})
    assert record["status"] == "unavailable" and "dense" in record["reason"]


def test_ratios_are_paired_by_round_then_medianed() -> None:
    from benchmarks import report

    def run(contender: str, round_: int, t: float) -> dict:
        return {"threads": 1, "workload": "dense", "contender": contender, "round": round_,
                "warmup": round_ < 0, "status": "ok", "time_s": t, "cpu_s": t,
                "peak_mib": 100.0 if contender == "ember" else 200.0,
                "result": {"images": 60000, "accuracy": 0.9}}

    # ember/torch per round: 0.5, 0.8, 0.6 -> median 0.6 (the ratio of medians would be
    # 1.6 / 2.0 = 0.8); the warm-up round (-1) is left out
    runs = [run("ember", -1, 9.0), run("torch", -1, 1.0)]
    for r, (e, t, n) in enumerate([(1.0, 2.0, 1.0), (1.6, 2.0, 1.0), (3.0, 5.0, 2.0)]):
        runs += [run("ember", r, e), run("torch", r, t), run("numpy", r, n)]
    rows = {r["contender"]: r for r in report.summarize(runs)}
    assert rows["ember"]["vs_torch"] == pytest.approx(0.6)
    assert rows["ember"]["vs_numpy"] == pytest.approx(1.5)
    assert rows["ember"]["median_s"] == pytest.approx(1.6)
    assert rows["ember"]["warmup_s"] == pytest.approx(9.0)
    # PyTorch is the only peer here (the NumPy loop is the floor, not a peer)
    assert rows["ember"]["fastest_peer"] == "torch"
    assert rows["ember"]["vs_fastest"] == pytest.approx(0.6)
    verdicts = {v["target"]: v["verdict"] for v in report.targets(list(rows.values()), 1)}
    assert verdicts["dense: ember <= 1.0 x the fastest peer (time per 1 epoch(s))"] == "met"
    assert verdicts["dense: ember <= 1.15 x NumPy loop"] == "NOT met"
    assert verdicts["dense: ember peak memory <= the lowest peer's"] == "met"


def test_op_tables_pool_the_rounds() -> None:
    from benchmarks import report

    def run(round_: int, ember: list, torch: list) -> dict:
        return {"threads": 2, "workload": "ops", "contender": "ops", "round": round_,
                "warmup": round_ < 0, "status": "ok",
                "result": {"ops_us": {"add": {"ember": ember, "numpy": [1.0], "torch": torch}}}}

    tables = report.ops_tables([run(-1, [99.0], [1.0]), run(0, [10.0, 30.0], [20.0, 20.0]),
                                run(1, [12.0], [40.0])])
    add = tables[2]["add"]
    assert add["ember"] == 12.0 and add["torch"] == 20.0
    assert add["ratio"] == pytest.approx(0.5)  # per-pair ratios 0.5, 1.5, 0.3


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
    assert any(t["target"].startswith("dense: ember <= 1.0 x the fastest peer")
               for t in report["targets"])


def test_markdown_has_the_tables_and_targets(tiny_report: tuple[dict, str]) -> None:
    _, text = tiny_report
    assert "| workload | contender | median | min–max | vs PyTorch | CPU time |" in text
    assert "| dense | ember (fit API) |" in text
    assert "## Targets" in text and "dense: ember <= 1.15 x NumPy loop" in text
    assert "numbers mean nothing" in text


def test_bad_arguments_are_refused_clearly() -> None:
    from benchmarks.run import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--workloads", "dense,nope"])
    with pytest.raises(SystemExit):
        parse_args(["--threads", "two"])
    with pytest.raises(SystemExit):
        parse_args(["--contenders", "ember,mxnet"])
    with pytest.raises(SystemExit):
        parse_args(["--scaling-peers", "numpy"])
    args = parse_args(["--threads", "1,2", "--quick"])
    assert args.thread_list == [1, 2] and args.mode == "quick" and args.repeats == 3
    assert args.contender_list == ["ember", "torch", "keras_jax", "keras_tf", "numpy",
                                   "sklearn"]
    assert parse_args(["--scaling"]).repeats == 2


def test_missing_data_is_reported(tmp_path: Path) -> None:
    from benchmarks.run import main

    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out" / "latest.json").exists()


def test_each_round_pads_the_environment_alike_for_every_contender(monkeypatch):
    """The memory layout varies across rounds (LAYOUT_PADS), never between contenders."""
    from benchmarks import run as bench_run

    args = bench_run.parse_args(["--tiny"])
    pads = [bench_run.job(args, "dense", c, 1, "d", r)["layout_pad"]
            for r in range(3) for c in ("ember", "torch")]
    assert pads[0] == pads[1] and pads[2] == pads[3] and pads[4] == pads[5]
    assert len({pads[0], pads[2], pads[4]}) == 3
    seen = {}

    def fake_run(cmd, stdout, stderr, text, env, cwd, timeout):
        seen["pad"] = env["EMBER_BENCH_LAYOUT_PAD"]
        stdout.write(bench_run.MARKER + '{"status": "ok"}\n')

    monkeypatch.setattr(bench_run.subprocess, "run", fake_run)
    record = bench_run.run_child({"threads": 1, "layout_pad": 1000}, timeout=5)
    assert record["status"] == "ok" and seen["pad"] == "x" * 1000


@pytest.mark.parametrize("flag, expected", [([], "fast"), (["--kernels", "reference"],
                                                            "reference")])
def test_the_kernels_mode_reaches_every_child(monkeypatch, flag, expected):
    """``--kernels reference`` runs ember's children on the reference ops (EMBER_KERNELS)."""
    from benchmarks import run as bench_run

    args = bench_run.parse_args(["--tiny", *flag])
    spec = bench_run.job(args, "dense", "ember", 1, "d", 0)
    assert spec["kernels"] == expected
    seen = {}

    def fake_run(cmd, stdout, stderr, text, env, cwd, timeout):
        seen["kernels"] = env["EMBER_KERNELS"]
        stdout.write(bench_run.MARKER + '{"status": "ok"}\n')

    monkeypatch.setattr(bench_run.subprocess, "run", fake_run)
    assert bench_run.run_child(spec, timeout=5)["status"] == "ok"
    assert seen["kernels"] == expected
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--kernels", "slow"])


def test_the_blas_thread_ab_runs_every_setting_on_both_networks(capsys) -> None:
    """benchmarks/bench_blas_threads.py (the rule, one forced thread, all threads) on a few
    images: six timed lines, and the trainer's rule is put back afterwards."""
    from benchmarks import bench_blas_threads
    from ember.models.trainer import Trainer

    rule = Trainer._one_blas_thread
    assert bench_blas_threads.main(["--images", "640", "--rounds", "1",
                                    "--data", str(_need_mnist())]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if " images " in ln]
    assert len(lines) == 6
    assert all(sum(s in ln for ln in lines) == 2 for s in bench_blas_threads.SETTINGS)
    assert Trainer._one_blas_thread is rule


def test_the_adam_kernel_benchmark_times_both_paths_and_the_first_call(capsys) -> None:
    """benchmarks/bench_adam.py: a row per width with both timings, and the first-call cost
    in fresh processes (compiling into an empty cache, then loading it)."""
    from ember.kernels import registry

    if "adam_update" not in registry.registered():
        pytest.skip("the fused Adam kernel needs numba (ember[fast])")
    from benchmarks import bench_adam

    assert bench_adam.main(["--repeats", "2"]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and " us |" in ln]
    assert [r.split("|")[1].strip() for r in rows] == ["128", "512", "2048"]
    assert "ms compiling" in out and "ms loading its machine code" in out
    for optimizer in ("sgd", "rmsprop"):  # the other fused updates: their rows, no first call
        assert bench_adam.main(["--repeats", "2", "--optimizer", optimizer]) == 0
        out = capsys.readouterr().out
        assert len([ln for ln in out.splitlines() if " us |" in ln]) == 3
        assert "ms compiling" not in out


def test_the_compiled_loops_ab_times_every_network_both_ways(capsys) -> None:
    """benchmarks/bench_compiled.py on a few images: a row per network, and every switch is
    back on afterwards."""
    from ember.kernels import conv_scatter, lstm_gates, pool_tiles, registry

    if "adam_update" not in registry.registered():
        pytest.skip("the compiled loops need numba (ember[fast])")
    from benchmarks import bench_compiled

    assert bench_compiled.main(["--images", "640", "--rounds", "1",
                                "--data", str(_need_mnist())]) == 0
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.endswith("x |")]
    assert [r.split("|")[1].strip() for r in rows] == ["dense", "convnet", "lstm", "gru"]
    assert lstm_gates.AVAILABLE and pool_tiles.AVAILABLE and conv_scatter.AVAILABLE
    assert registry.selected("adam_update") == "fast"


def test_bench_dense_chain_prints_both_paths_with_equal_weights(capsys):
    """benchmarks/bench_dense_chain.py on a few images: both rows, and the two paths trained
    the same weights."""
    from benchmarks import bench_dense_chain

    for loss in ("sparse", "categorical"):
        assert bench_dense_chain.main(["--images", "640", "--rounds", "1", "--loss", loss,
                                       "--data", str(_need_mnist())]) == 0
        out = capsys.readouterr().out
        assert "weights equal: True" in out and f" {loss[:6]}" in out
        rows = [ln for ln in out.splitlines() if ln.endswith("x |")]
        assert [r.split("|")[1].strip() for r in rows] == ["training step", "predict pass"]
    from ember.kernels import registry

    assert registry.selected("dense_chain") == "fast"
