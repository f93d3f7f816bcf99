"""The benchmark report's peer logic, the scaling grid and the README generator
(benchmarks/report.py, scaling.py, readme.py), on made-up runs: no framework is started here
(tests/test_benchmarks_keras.py runs the Keras children, tests/test_benchmarks.py the rest)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from benchmarks import readme, report, scaling
from conftest import REPO


def _run(contender: str, round_: int, t: float, workload: str = "dense", peak: float = 100.0,
         acc: float = 0.9, first: float | None = None, threads: int = 2) -> dict:
    return {"threads": threads, "workload": workload, "contender": contender, "round": round_,
            "warmup": False, "status": "ok", "time_s": t, "cpu_s": t, "peak_mib": peak,
            "rss_before_mib": peak / 2, "load_before": [0.5, 0.5, 0.5],
            "spec": {"batch": 32, "epochs": 1, "steps": None, "warm_steps": 10,
                     "predict_batch": 32, "predict_passes": 1},
            "result": {"images": 60000, "accuracy": acc, "first_s": first,
                       "first_steps": 10}}


def _rounds(times: dict, workload: str = "dense", **kw) -> list:
    """``{contender: [time per round]}`` -> runs, interleaved per round."""
    n = len(next(iter(times.values())))
    return [_run(c, r, ts[r], workload, **kw.get(c, {})) for r in range(n)
            for c, ts in times.items()]


def test_the_fastest_peer_is_the_lowest_median_and_the_ratio_is_paired() -> None:
    runs = _rounds({"ember": [1.0, 1.2, 3.0], "torch": [2.0, 2.0, 2.0],
                    "keras_jax": [0.5, 2.0, 1.5], "keras_tf": [4.0, 4.0, 4.0],
                    "numpy": [0.1, 0.1, 0.1]},
                   ember={"peak": 50.0, "acc": 0.95}, torch={"peak": 300.0, "acc": 0.96},
                   keras_jax={"peak": 200.0, "acc": 0.94}, keras_tf={"peak": 700.0},
                   numpy={"peak": 10.0})
    rows = {r["contender"]: r for r in report.summarize(runs)}
    ember = rows["ember"]
    # medians: torch 2.0, keras_jax 1.5, keras_tf 4.0; the NumPy loop (0.1) is no peer
    assert ember["fastest_peer"] == "keras_jax"
    # per round 1.0/0.5, 1.2/2.0, 3.0/1.5 = 2.0, 0.6, 2.0 -> 2.0 (ratio of medians: 0.8)
    assert ember["vs_fastest"] == pytest.approx(2.0)
    assert ember["vs_torch"] == pytest.approx(0.6)
    assert ember["lowest_peak_peer"] == "keras_jax"
    assert ember["peak_vs_lowest"] == pytest.approx(0.25)
    verdicts = {v["target"]: v for v in report.targets(list(rows.values()), 1)}
    speed = verdicts["dense: ember <= 1.0 x the fastest peer (time per 1 epoch(s))"]
    assert speed["verdict"] == "NOT met" and "Keras/JAX" in speed["note"]
    assert verdicts["dense: ember peak memory <= the lowest peer's"]["verdict"] == "met"
    acc = next(v for v in verdicts.values() if v["target"].startswith("dense: ember test acc"))
    assert acc["verdict"] == "met" and acc["value"] == pytest.approx(95.0)


def test_accuracy_below_the_peers_is_not_met_and_missing_peers_are_unavailable() -> None:
    runs = _rounds({"ember": [1.0], "torch": [2.0], "keras_tf": [3.0]}, workload="lstm",
                   ember={"acc": 0.80}, torch={"acc": 0.90}, keras_tf={"acc": 0.92})
    runs += _rounds({"ember": [1.0]}, workload="convnet")
    verdicts = {v["target"]: v["verdict"] for v in report.targets(report.summarize(runs), 1)}
    acc = next(k for k in verdicts if k.startswith("lstm: ember test acc"))
    assert verdicts[acc] == "NOT met"  # 80 % against the peers' median 91 %
    assert verdicts["lstm: ember <= 1.0 x the fastest peer (time)"] == "met"
    assert verdicts["convnet: ember <= 1.0 x the fastest peer (time)"] == "unavailable"


def test_first_call_extra_is_the_first_call_beyond_the_steady_speed() -> None:
    # 10 warm-up steps of 32 images in 2.5 s, steady 60,000 images in 1.5 s:
    # the same 320 images at the steady speed take 8 ms, so the first call cost 2.492 s more
    run = _run("keras_jax", 0, 1.5, first=2.5)
    assert report.first_call_extra(run) == pytest.approx(2.5 - 320 * 1.5 / 60000)
    # predict: the warm-up predict covers 2 full batches and the short last one (10000 % 32)
    pred = _run("keras_jax", 0, 0.5, workload="predict_dense", first=0.9)
    pred["result"].update(images=10000, outputs=[10000, 10])
    assert report.first_call_extra(pred) == pytest.approx(0.9 - (64 + 16) * 0.5 / 10000)
    assert report.first_call_extra(_run("numpy", 0, 1.0)) is None  # no first call timed


def test_summary_tables_give_every_contender_and_the_ratio() -> None:
    runs = _rounds({"ember": [1.0, 1.0], "torch": [2.0, 2.0], "keras_jax": [0.8, 0.8]},
                   ember={"first": 1.1}, keras_jax={"first": 3.0})
    rows = report.summarize(runs)
    text = "\n".join(report.summary_tables(rows, 2))
    assert "| workload | ember | PyTorch | Keras/JAX | fastest peer | ember / fastest |" in text
    assert "| dense | 1.00 s | 2.00 s | 800.0 ms | Keras/JAX | 1.25x |" in text
    assert "| dense | 100 MiB, 90.00 % |" in text
    # the first call, and what it cost beyond the same 320 images at the steady speed
    assert "| dense | 1.10 s (+1.09 s) | — | 3.00 s (+3.00 s) |" in text


def _full_results(tmp_path: Path) -> dict:
    """A made-up latest.json of a full run with every contender on every workload."""
    from benchmarks.run import CONTENDERS

    runs = []
    for w in readme.WORKLOADS:
        for r in range(3):
            for c in CONTENDERS[w]:
                t = {"ember": 1.0, "torch": 1.3, "keras_jax": 0.9}.get(c, 2.0)
                runs.append(_run(c, r, t + 0.01 * r, workload=w, first=t * 1.5))
    runs.append({"threads": 2, "workload": "ops", "contender": "ops", "round": 0,
                 "warmup": False, "status": "ok", "result": {"ops_us": {
                     "add": {"ember": [12.0], "numpy": [2.0], "torch": [20.0]},
                     "relu": {"ember": [15.0], "numpy": [3.0], "torch": [24.0]},
                     "matmul": {"ember": [30.0], "numpy": [10.0], "torch": [35.0]}}}})
    from benchmarks import machine

    results = {"command": "python -m benchmarks --update-readme", "started": "2026-12-02 07:00",
               "mode": "full", "jobs": 1, "repeats": 3, "warmup": 0, "threads": [2],
               "machine": machine.describe(), "data": {"train": 60000, "test": 10000},
               "runs": runs, "summary": report.summarize(runs), "ops": report.ops_tables(runs)}
    # through JSON, as the generator reads it (the ops table's thread keys become strings)
    return json.loads(json.dumps(results, default=str))


def test_readme_block_names_the_machine_every_contender_and_the_op_overhead(
        tmp_path: Path) -> None:
    results = _full_results(tmp_path)
    readme.check_full(results)  # complete: no error
    text = readme.render(results)
    assert report.machine_text(results["machine"]) in text
    assert ("| workload | ember | PyTorch | Keras/JAX | Keras/TF | NumPy loop | scikit-learn "
            "| ember / fastest peer |") in text
    dense = next(line for line in text.splitlines()
                 if line.startswith("| dense 784-128-10, 1 epoch, batch 32 | 1.01 s"))
    assert dense.endswith("| **1.11x** (Keras/JAX) |")  # 1.0/0.9, 1.01/0.91, 1.02/0.92
    assert "ember 12–15 µs for elementwise ops" in text and "PyTorch 20–24 µs" in text
    assert "matmul 30 µs against 35 µs" in text


def test_readme_refuses_a_partial_run(tmp_path: Path) -> None:
    results = _full_results(tmp_path)
    results["mode"] = "quick"
    results["summary"] = [r for r in results["summary"]
                          if not (r["contender"] == "keras_tf" and r["workload"] == "lstm")]
    with pytest.raises(readme.NotAFullRun, match=r"mode 'quick'.*keras_tf on lstm"):
        readme.check_full(results)


def test_readme_update_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    results = _full_results(tmp_path)
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(results))
    doc = tmp_path / "README.md"
    doc.write_text(f"# x\n\nprose before\n{readme.BEGIN}\nold table\n{readme.END}\nprose after\n"
                   f"{readme.SCALING_BEGIN}\nold grid\n{readme.SCALING_END}\n")
    readme.update_from(path, doc)
    text = doc.read_text()
    assert "old table" not in text and "prose before" in text and "prose after" in text
    assert "old grid" in text  # no scaling.json beside latest.json: left as it was
    assert text.count(readme.BEGIN) == 1 and "| **1.11x** (Keras/JAX) |" in text
    with pytest.raises(ValueError, match="markers"):
        readme.replace_between("no markers here", readme.BEGIN, readme.END, "x")
    results["mode"] = "tiny"
    path.write_text(json.dumps(results))
    assert readme.main(["--results", str(path), "--readme", str(doc)]) == 1


def test_the_repository_readme_has_the_markers() -> None:
    text = (REPO / "README.md").read_text()
    for marker in (readme.BEGIN, readme.END, readme.SCALING_BEGIN, readme.SCALING_END):
        assert text.count(marker) == 1, marker
    # the generator can rewrite it (markers in order)
    readme.replace_between(text, readme.BEGIN, readme.END, "x")
    readme.replace_between(text, readme.SCALING_BEGIN, readme.SCALING_END, "x")


def test_scaling_schedule_interleaves_the_grid() -> None:
    args = argparse.Namespace(mode="full", scaling_peer_list=["keras_jax"], thread_list=[2],
                              warmup=0, repeats=2, seed=0)
    items = scaling.schedule(args, "/data")
    assert len(items) == 3 * 3 * 2 * 2
    assert [i["contender"] for i in items[:4]] == ["ember", "keras_jax"] * 2
    cells = {(i["spec"]["batch"], i["spec"]["width"]) for i in items}
    assert cells == {(b, w) for b in scaling.BATCHES for w in scaling.WIDTHS}
    spec = items[-1]["_spec"]
    assert spec["steps"] * spec["batch"] == scaling.SIZES["full"]["images"]
    assert spec["workload"] == "dense" and spec["data"] == "/data"


def test_scaling_table_scales_to_an_epoch_and_names_the_winner() -> None:
    runs = []
    for b, w, te, tk in ((32, 128, 1.0, 2.0), (512, 2048, 3.0, 1.5)):
        for r in range(2):
            for c, t in (("ember", te), ("keras_jax", tk)):
                run = _run(c, r, t, workload=scaling.cell(b, w))
                runs.append(run)
    rows = report.summarize(runs)
    text = "\n".join(scaling.table(rows, 2, images=15_000, batches=(32, 512),
                                   widths=(128, 2048)))
    # 15,000 images in 1.0 s: 4.00 s per 60,000-image epoch
    assert "| 32 | 128 | 4.00 s | 8.00 s | 0.50x | ember |" in text
    assert "| 512 | 2048 | 12.00 s | 6.00 s | 2.00x | Keras/JAX |" in text
    assert "| 32 | 0.50x | — |" in text and "| 512 | — | 2.00x |" in text


def test_a_scaling_cell_trains_ember_at_the_given_width(tmp_path: Path,
                                                        mnist_path: Path) -> None:
    from benchmarks.child import run
    from benchmarks.data import cache_mnist

    cache_mnist(mnist_path, tmp_path, n_train=128, n_test=32)
    record = run({"workload": "dense", "contender": "ember", "threads": 1, "seed": 0,
                  "data": str(tmp_path), "epochs": 1, "steps": 2, "batch": 32, "width": 24,
                  "warm_steps": 1, "predict_batch": 32})
    assert record["status"] == "ok", record.get("traceback")
    result = record["result"]
    assert result["images"] == 64 and result["first_s"] > 0
    assert result["params"] == 784 * 24 + 24 + 24 * 10 + 10


def test_what_compiling_nothing_is_worth() -> None:
    # ember: steady 1.0 s, first call 0.05 s extra; Keras/JAX: steady 0.8 s, compile 2.0 s
    runs = _rounds({"ember": [1.0], "keras_jax": [0.8]},
                   ember={"first": 0.05 + 320 / 60000}, keras_jax={"first": 2.0 + 320 * 0.8
                                                                   / 60000})
    text = report.first_call_worth(report.summarize(runs), 2, "dense")
    assert text.startswith("dense: ember's first call costs 50.0 ms beyond its steady speed")
    # (2.0 - 0.05) / (1.0 - 0.8) = 9.75 runs
    assert "Keras/JAX 2.00 s (its faster steady run earns that back after 9.8 runs)" in text


def test_warm_steps_reach_the_training_specs_only() -> None:
    from benchmarks.run import job, parse_args

    args = parse_args(["--warm-steps", "7"])
    assert job(args, "convnet", "keras_tf", 2, "d", 0)["warm_steps"] == 7
    assert job(args, "predict_dense", "keras_tf", 2, "d", 0)["warm_steps"] == 0
    assert job(parse_args([]), "dense", "ember", 2, "d", 0)["warm_steps"] == 20
    assert job(parse_args(["--tiny"]), "lstm", "torch", 1, "d", 0)["warm_steps"] == 1
    with pytest.raises(SystemExit):
        parse_args(["--warm-steps", "-1"])
