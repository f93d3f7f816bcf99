"""ember.distributed under a real MPI launcher (MPICH from PyPI): data-parallel training
equals one process with the combined batch; a failing rank ends the job with its error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the distributed extra (mpi4py + MPICH) is not installed")

from ember.distributed.launch import find_launcher  # noqa: E402

WORKER = str(Path(__file__).with_name("distributed_worker.py"))
DATA = os.environ.get("EMBER_DATA_DIR", "")
needs_mnist = pytest.mark.skipif(
    not os.path.exists(os.path.join(DATA, "mnist", "train-images-idx3-ubyte.gz")),
    reason="MNIST is not in EMBER_DATA_DIR")


def _launcher() -> str:
    try:
        return find_launcher()
    except RuntimeError as exc:
        pytest.skip(str(exc))


def _run(n: int, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, WORKER, *args]
    if n > 1:
        cmd = [_launcher(), "-n", str(n)] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _train(tmp_path: Path, n: int, batch: int, epochs: int = 2, mode: str = "dense",
           samples: int = 256) -> tuple[list, dict]:
    out = str(tmp_path / f"{mode}{n}.npz")
    proc = _run(n, mode, out, "--batch", str(batch), "--epochs", str(epochs),
                "--samples", str(samples))
    assert proc.returncode == 0, proc.stderr[-3000:]
    weights = np.load(out)
    with open(out + ".json") as f:
        info = json.load(f)
    return [weights[k] for k in sorted(weights, key=lambda k: int(k.split("_")[1]))], info


@needs_mnist
@pytest.mark.parametrize("ranks", [2, 4])
def test_data_parallel_equals_one_process_with_the_combined_batch(tmp_path, ranks):
    # 256 MNIST samples, 2 epochs: 16 (2 ranks x 16) or 16 (4 x 8) SGD steps of 32 samples.
    # Rank 1 starts from other weights, so the broadcast from rank 0 is tested too.
    single, info1 = _train(tmp_path, 1, 32)
    multi, info = _train(tmp_path, ranks, 32 // ranks)
    assert info["size"] == ranks
    assert info["spread"] == 0.0  # every replica holds exactly rank 0's weights
    err = max(float(np.abs(a - b).max()) for a, b in zip(single, multi))
    scale = max(float(np.abs(a).max()) for a in single)
    assert err < 1e-6 * max(scale, 1.0), err
    # it did train: the weights moved and the loss (averaged over ranks) matches
    assert np.allclose(info["loss"], info1["loss"], rtol=1e-5)
    assert info["loss"][1] < info["loss"][0]


@needs_mnist
def test_an_uneven_last_batch_is_weighted_by_its_samples(tmp_path):
    # 245 samples: the last global batch of 21 splits 11 / 10; one process sees 21 at once
    single, _ = _train(tmp_path, 1, 32, samples=245)
    multi, _ = _train(tmp_path, 2, 16, samples=245)
    err = max(float(np.abs(a - b).max()) for a, b in zip(single, multi))
    assert err < 1e-6, err


@needs_mnist
def test_a_custom_loop_with_allreduce_gradients_equals_one_process(tmp_path):
    single, _ = _train(tmp_path, 1, 32)
    out = str(tmp_path / "custom.npz")
    proc = _run(2, "custom", out, "--batch", "16", "--epochs", "2", "--samples", "256")
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = np.load(out)
    multi = [got[k] for k in sorted(got, key=lambda k: int(k.split("_")[1]))]
    err = max(float(np.abs(a - b).max()) for a, b in zip(single, multi))
    assert err < 1e-6, err


@needs_mnist
def test_synchronised_batch_norm_makes_a_convnet_equal_one_process(tmp_path):
    # Conv2D -> SyncBatchNormalization -> ReLU -> pool -> Dense, 16 SGD steps of 2 x 16.
    # Measured: 3.6e-6 at most (weights up to 1.1); plain BatchNormalization gives 1e-2.
    single, info1 = _train(tmp_path, 1, 32, mode="bn")
    multi, info = _train(tmp_path, 2, 16, mode="bn")
    assert info["spread"] == 0.0
    err = max(float(np.abs(a - b).max()) for a, b in zip(single, multi))
    assert err < 3e-5, err
    assert np.allclose(info["loss"], info1["loss"], rtol=1e-5)


@needs_mnist
def test_backup_and_restore_resumes_every_rank_as_if_never_stopped(tmp_path):
    backup = str(tmp_path / "backup")
    common = ["--batch", "16", "--samples", "128", "--lr", "0.05"]
    whole = str(tmp_path / "whole.npz")
    assert _run(2, "resume", whole, "--epochs", "3", *common).returncode == 0
    first = _run(2, "resume", str(tmp_path / "a.npz"), "--epochs", "1", "--backup", backup,
                 *common)
    assert first.returncode == 0, first.stderr[-3000:]
    out = str(tmp_path / "b.npz")
    second = _run(2, "resume", out, "--epochs", "3", "--backup", backup, *common)
    assert second.returncode == 0, second.stderr[-3000:]
    a, b = np.load(whole), np.load(out)
    for k in a:  # shuffled epochs, momentum state and all: the same weights, bit for bit
        np.testing.assert_array_equal(a[k], b[k])
    with open(out + ".json") as f:
        info = json.load(f)
    assert len(info["loss"]) == 2 and info["iterations"] == 3 * 4  # resumed at epoch 1


def test_a_failing_rank_ends_the_job_with_its_error():
    start = time.perf_counter()
    proc = _run(2, "fail", "unused", timeout=60)
    elapsed = time.perf_counter() - start
    assert proc.returncode != 0
    assert "rank one broke on purpose" in proc.stderr
    assert "[rank 1] ValueError" in proc.stderr
    assert elapsed < 20, elapsed  # rank 0 sleeps 60 s unless the abort ends it


def test_each_epoch_is_a_fresh_permutation_shared_out_without_overlap(tmp_path):
    out = str(tmp_path / "seen.json")
    proc = _run(2, "shuffle", out, "--samples", "20", "--batch", "3", "--epochs", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out) as f:
        seen = json.load(f)  # seen[rank][epoch] = sample ids, in order
    for epoch in range(2):
        both = seen[0][epoch] + seen[1][epoch]
        assert sorted(both) == list(range(20))  # each sample exactly once per epoch
        assert not set(seen[0][epoch]) & set(seen[1][epoch])
    assert seen[0][0] != seen[0][1]  # a new permutation each epoch


def test_the_benchmark_runs_one_and_two_ranks():
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(repo), str(repo / "src")] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_distributed", "--ranks", "1",
                           "2", "--steps", "2", "--batch", "8", "--networks", "dense"],
                          capture_output=True, text=True, timeout=120, cwd=repo, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| dense |")]
    assert [r.split("|")[2].strip() for r in rows] == ["1", "2"]
    assert "| 2 | fit | latency" in proc.stdout


@needs_mnist
def test_the_example_script_prints_and_saves_on_rank_0_only(tmp_path):
    script = str(Path(__file__).resolve().parents[1] / "examples" / "mnist_distributed.py")
    out = tmp_path / "run"
    proc = subprocess.run([_launcher(), "-n", "2", sys.executable, script, "--small", "--out",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("Epoch 1/2") == 1 and proc.stdout.count("test accuracy") == 1
    assert "on 2 process(es)" in proc.stdout
    accuracy = float(proc.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.7
    assert (out / "mnist.ember").exists() and (out / "best.ember").exists()
