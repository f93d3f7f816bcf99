"""Saving is atomic: SIGKILL at any moment leaves the previous file intact, failed saves leave
no part-file, stale part-files of killed writers are cleaned up, the folder is fsynced after
the rename, and permissions come from the umask without anyone changing it."""

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import ember as em
from ember import atomic_file
from ember.atomic_file import part_files

posix = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"),
                           reason="needs fork and SIGKILL")


def _model(value=0.0, features=512, units=256):
    model = em.Sequential([em.layers.Dense(units, input_shape=(features,))])
    _fill(model, value)
    return model


def _fill(model, value):
    for w in model.weights:
        w.data[...] = value


def _value_of(path):
    """The one value every weight of the saved model holds (the file is complete)."""
    loaded = em.models.load_model(str(path))
    values = np.unique(np.concatenate([w.ravel() for w in loaded.get_weights()]))
    assert values.size == 1, f"{path} mixes two saves: {values[:5]}"
    return float(values[0])


@posix
def test_sigkill_during_40_saves_never_breaks_the_file(tmp_path):
    # In a fresh interpreter: forking the test process (large, with JAX's and BLAS's threads
    # running) would make each child slow to start and the write window too short to hit.
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"import test_saving_atomic as t; t.kill_during_saves({str(tmp_path)!r})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(proc.stdout)


def kill_during_saves(folder: str) -> None:
    """40 saves, each in a forked child SIGKILLed at a steered random moment; after each the
    file is the previous save or the new one, and a finished save leaves no part-file."""
    tmp_path = Path(folder)
    path = tmp_path / "m.ember"
    model = _model(0.0)
    model.save(str(path))

    def forked_save() -> int:
        pid = os.fork()
        if pid == 0:  # the child: one save, then leave without running any cleanup
            try:
                model.save(str(path))
            finally:
                os._exit(0)
        return pid

    times = []
    for _ in range(5):  # how long a forked child takes to save, fork included (the median)
        start, pid = time.perf_counter(), forked_save()
        while os.waitpid(pid, os.WNOHANG) == (0, 0):  # a child stuck after fork is ended
            if time.perf_counter() - start > 10:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError("a forked child did not finish one save in 10 s")
            time.sleep(0.001)
        times.append(time.perf_counter() - start)
    save_seconds = sorted(times)[2]
    rng = random.Random(13)
    last, kills, finished, mid_write = 0.0, 0, 0, 0
    scale = 1.0  # kill later after a kill, sooner after a finished save: both keep happening
    for i in range(1, 41):
        _fill(model, float(i))
        pid = forked_save()
        time.sleep(rng.uniform(0.0, 1.5 * scale * save_seconds))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status)
        value = _value_of(path)
        assert value in (last, float(i)), (i, value, last)  # the previous save, or this one
        if value == i:
            last = value
        if killed and value != i:
            kills += 1
            mid_write += bool(part_files(str(path)))  # killed while writing its part-file
        scale = scale * 1.25 if killed else scale / 1.25
        if not killed:
            finished += 1
            assert part_files(str(path)) == []  # a finished save removed the stale parts
    print(f"kills {kills}, of which mid-write {mid_write}; finished {finished}")
    assert kills >= 5 and mid_write >= 1 and finished >= 1, (kills, mid_write, finished)
    _fill(model, 99.0)
    model.save(str(path))
    assert _value_of(path) == 99.0
    assert sorted(os.listdir(tmp_path)) == ["m.ember"]


def test_a_stale_part_file_is_removed_and_a_live_one_kept(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "m.ember"
    stale = tmp_path / ".m.ember.0123456789abcdef.part"
    stale.write_bytes(b"half a save")
    live = tmp_path / ".m.ember.fedcba9876543210.part"
    live.write_bytes(b"another writer")
    other = tmp_path / ".other.ember.0123456789abcdef.part"  # another target's: not ours
    other.write_bytes(b"x")
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # a writer that is still alive
        _model(1.0, 4, 2).save(str(path))
        assert not stale.exists()
        assert live.exists() and other.exists()
    assert _value_of(path) == 1.0


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_a_failed_save_leaves_the_old_file_and_no_part_file(tmp_path, monkeypatch, where):
    path = tmp_path / "m.ember"
    _model(1.0, 4, 2).save(str(path))
    original = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(f"{where} failed")

    if where == "write":
        def chunks():
            yield b"partial"
            raise OSError("write failed")
        with pytest.raises(OSError, match="write failed"):
            atomic_file.atomic_write(str(path), chunks())
    else:
        monkeypatch.setattr(atomic_file.os, where, boom)
        with pytest.raises(OSError, match=f"{where} failed"):
            _model(2.0, 4, 2).save(str(path))
        monkeypatch.undo()
    assert path.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["m.ember"]


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append("fsync-folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(a, b):
        calls.append("rename")
        real_replace(a, b)

    monkeypatch.setattr(atomic_file.os, "fsync", fsync)
    monkeypatch.setattr(atomic_file.os, "replace", replace)
    _model(1.0, 4, 2).save(str(tmp_path / "m.ember"))
    assert calls == ["fsync-file", "rename", "fsync-folder"]


def test_saving_never_touches_the_umask(tmp_path, monkeypatch):
    with open("/proc/self/status") if os.path.exists("/proc/self/status") else open(os.devnull) \
            as f:
        lines = [ln for ln in f if ln.startswith("Umask:")]
    if not lines:
        pytest.skip("cannot read the umask without setting it")
    umask = int(lines[0].split()[1], 8)

    def forbidden(mask):
        raise AssertionError("os.umask changes the mask of every thread: never call it")

    monkeypatch.setattr(os, "umask", forbidden)
    model = _model(1.0, 4, 2)
    path = tmp_path / "m.ember"
    model.save(str(path))
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    model.save(str(path))  # a replaced file keeps its mode
    assert path.stat().st_mode & 0o777 == 0o640
    weights = tmp_path / "w.weights.safetensors"
    model.save_weights(str(weights))
    assert weights.stat().st_mode & 0o777 == 0o666 & ~umask


UMASK_SCRIPT = textwrap.dedent("""
    import os, sys
    os.umask(0o077)
    import ember as em
    model = em.Sequential([em.layers.Dense(2, input_shape=(3,))])
    model.save(sys.argv[1])
    print(oct(os.stat(sys.argv[1]).st_mode & 0o777))
""")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_new_file_gets_the_process_umask(tmp_path):
    proc = subprocess.run([sys.executable, "-c", UMASK_SCRIPT, str(tmp_path / "m.ember")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0o600"
