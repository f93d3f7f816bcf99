"""ember.distributed in one process (no launcher): the same script runs unchanged, the
optimizer wrapper keeps its class, the buckets, the launcher and errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ember as em
from ember.distributed import optimizer as dopt
from ember.distributed.launch import launch_command


def _model(opt):
    em.utils.set_random_seed(0)
    model = em.Sequential([em.layers.Dense(8, activation="relu", input_shape=(4,)),
                           em.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    return model


def test_one_process_world():
    em.distributed.init()
    assert (em.distributed.rank(), em.distributed.size()) == (0, 1)
    assert em.distributed.local_rank() == 0 and em.distributed.is_main()
    a = np.arange(3.0, dtype=np.float32)
    assert em.distributed.allreduce(a).dtype == np.float32
    np.testing.assert_array_equal(em.distributed.allreduce(a, op="sum"), a)
    assert em.distributed.allreduce(3.0) == 3.0
    assert em.distributed.broadcast({"k": 1}) == {"k": 1}
    em.distributed.barrier()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="allreduce: op must be one of"):
        em.distributed.allreduce(np.ones(2), op="prod")
    with pytest.raises(ValueError, match="broadcast: root must be a rank in"):
        em.distributed.broadcast(1, root=3)
    with pytest.raises(ValueError, match="bucket_bytes must be a positive integer; got 0"):
        em.distributed.DistributedOptimizer("sgd", bucket_bytes=0)
    with pytest.raises(ValueError, match="blas_threads must be 'auto', None or a positive"):
        em.distributed.init(blas_threads=0)
    with pytest.raises(ValueError, match="unknown optimizer 'nope'"):
        em.distributed.DistributedOptimizer("nope")


def test_the_wrapped_optimizer_keeps_its_class_and_trains_as_the_plain_one():
    x = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    plain = _model(em.optimizers.Adam(0.01))
    plain.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    opt = em.distributed.DistributedOptimizer("adam")
    assert isinstance(opt, em.optimizers.Adam) and type(opt).__name__ == "Adam"
    assert em.distributed.is_distributed(opt)
    opt.learning_rate = 0.01
    wrapped = _model(opt)
    wrapped.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(plain.get_weights(), wrapped.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert em.optimizers.serialize(opt)["class_name"] == "Adam"


def test_a_model_with_the_wrapped_optimizer_saves_and_loads(tmp_path):
    model = _model(em.distributed.DistributedOptimizer(em.optimizers.SGD(0.1, momentum=0.9)))
    x = np.ones((6, 4), np.float32)
    model.fit(x, np.zeros(6, np.int64), epochs=1, verbose=0)
    model.save(tmp_path / "m.ember")
    back = em.models.load_model(tmp_path / "m.ember")
    assert type(back.optimizer).__name__ == "SGD"
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_buckets_group_consecutive_arrays_of_one_dtype_under_the_limit():
    arrays = [np.zeros(100, np.float32), np.zeros(100, np.float32), np.zeros(300, np.float32),
              np.zeros(10, np.float64), np.zeros(10, np.float32)]
    assert dopt._buckets(arrays, 800) == [[0, 1], [2], [3], [4]]
    assert dopt._buckets(arrays, 10 ** 6) == [[0, 1, 2], [3], [4]]


def test_allreduce_gradients_in_one_process_returns_the_gradients():
    g = [np.ones(3, np.float32), None]
    out = em.distributed.allreduce_gradients(g)
    assert out[1] is None and out[0] is g[0]


def test_launch_command_uses_the_launcher_and_this_python(tmp_path):
    pytest.importorskip("mpi4py")
    script = tmp_path / "s.py"
    script.write_text("print('hi')\n")
    try:
        cmd = launch_command(3, str(script), ["--x", "1"])
    except RuntimeError as exc:
        pytest.skip(str(exc))
    assert cmd[1:3] == ["-n", "3"] and cmd[-4:] == [sys.executable, str(script), "--x", "1"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        launch_command(2, str(tmp_path / "missing.py"), [])
    with pytest.raises(ValueError, match="-n must be a positive number of processes; got 0"):
        launch_command(0, str(script), [])


def test_a_missing_launcher_names_the_extra(monkeypatch, tmp_path):
    from ember.distributed import launch

    monkeypatch.setenv("EMBER_MPIEXEC", str(tmp_path / "no-such-mpiexec"))
    with pytest.raises(RuntimeError, match="EMBER_MPIEXEC=.* is not an executable"):
        launch.find_launcher()
    monkeypatch.delenv("EMBER_MPIEXEC")
    monkeypatch.setattr(launch.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"pip install 'ember\[distributed\]'"):
        launch.find_launcher()


def test_ember_launch_runs_the_script_on_n_processes(tmp_path):
    pytest.importorskip("mpi4py")
    script = tmp_path / "ranks.py"
    script.write_text("import sys\nimport ember as em\nem.distributed.init()\n"
                      "r, n = em.distributed.rank(), em.distributed.size()\n"
                      "loc, main = em.distributed.local_rank(), em.distributed.is_main()\n"
                      "open(f'{sys.argv[1]}/{r}', 'w').write(f'{r} of {n} {loc} {main}')\n")
    proc = subprocess.run([sys.executable, "-m", "ember.cli", "launch", "-n", "2", str(script),
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "0").read_text() == "0 of 2 0 True"  # one machine: local = global
    assert (tmp_path / "1").read_text() == "1 of 2 1 False"


def test_sync_batch_norm_in_one_process_is_batch_norm(tmp_path):
    x = np.random.default_rng(0).normal(size=(8, 5, 5, 3)).astype(np.float32) * 3 + 1
    sync, plain = em.distributed.SyncBatchNormalization(), em.layers.BatchNormalization()
    a, b = em.tensor(x, requires_grad=True), em.tensor(x, requires_grad=True)
    ya, yb = sync(a, training=True), plain(b, training=True)
    np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    (ya * ya).sum().backward()
    (yb * yb).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    model = em.Sequential([em.distributed.SyncBatchNormalization(input_shape=(3,))])
    model.save(tmp_path / "bn.ember")  # registered: loads after a plain import ember
    assert type(em.models.load_model(tmp_path / "bn.ember").layers[0]).__name__ == \
        "SyncBatchNormalization"


def test_ring_allreduce_cost_model():
    from benchmarks.bench_distributed import fit_cost_model, ring_allreduce_s

    # 2(N-1)/N * bytes / bandwidth + 2(N-1) * latency
    assert ring_allreduce_s(1e9, 1, 10) == 0.0
    assert ring_allreduce_s(1.25e9, 2, 10, latency_s=0.0) == pytest.approx(1.0)
    assert ring_allreduce_s(8, 5, 100, latency_s=1e-5) == pytest.approx(
        2 * 4 / 5 * 8 / 12.5e9 + 8e-5)
    sweep = {n: ring_allreduce_s(n, 4, 10, latency_s=2e-5) for n in (8, 2 ** 16, 2 ** 24)}
    latency, bandwidth = fit_cost_model(sweep, 4)
    assert latency == pytest.approx(2e-5) and bandwidth == pytest.approx(1.25e9)


def _pretend_rank(monkeypatch, r, n):
    from ember.distributed import comm

    monkeypatch.setattr(comm, "rank", lambda: r)
    monkeypatch.setattr(comm, "size", lambda: n)
    monkeypatch.setattr(comm, "broadcast", lambda value, root=0: value)


def test_shards_cover_each_global_batch_and_drop_a_remainder_smaller_than_the_ranks(
        monkeypatch):
    from ember.distributed import training
    from ember.models.data_adapter import ArrayBatches

    x = np.arange(13, dtype=np.float32).reshape(13, 1)
    seen = {}
    for r in range(3):
        _pretend_rank(monkeypatch, r, 3)
        shard = training.ShardedBatches(ArrayBatches([x], None, None, 2, False), None)
        batches = [(xb[0][:, 0].tolist(), training.step_info.local_samples)
                   for xb, _, _ in shard]
        seen[r] = batches
        assert len(shard) == 2 and shard.n == 12  # 13 % 6 = 1 < 3 ranks: one sample dropped
    assert [b for b, _ in seen[0]] == [[0, 1], [6, 7]]
    assert [b for b, _ in seen[2]] == [[4, 5], [10, 11]]
    assert all(w == 2.0 for r in seen for _, w in seen[r])
    assert training.step_info.local_samples == 1.0  # reset after the epoch


def test_generators_are_shared_out_round_robin(monkeypatch):
    from ember.distributed import training
    from ember.models.data_adapter import IterableBatches

    _pretend_rank(monkeypatch, 1, 2)
    data = [(np.full((2, 1), i, np.float32), np.zeros((2, 1), np.float32)) for i in range(6)]
    rr = training.RoundRobinBatches(IterableBatches(data))
    assert len(rr) == 3
    assert [float(xb[0][0, 0]) for xb, _, _ in rr] == [1.0, 3.0, 5.0]


def test_without_mpi4py_a_script_runs_as_one_process_or_names_the_extra():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import ember as em\nem.distributed.init()\n"
            "print(em.distributed.rank(), em.distributed.size())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.split() == ["0", "1"], proc.stderr
    env = dict(__import__("os").environ, PMI_SIZE="4")  # started by a launcher with 4
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode != 0 and "pip install 'ember[distributed]'" in proc.stderr
