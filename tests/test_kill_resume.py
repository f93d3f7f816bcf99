"""A training process killed with SIGKILL and started again with BackupAndRestore ends with the
same weights as a run that was never interrupted; a checkpoint is never left half-written."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import ember as em

    backup, out, kill_epoch, kill_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), \\
        int(sys.argv[4])
    em.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.random((256, 6)).astype(np.float32)
    y = (x @ np.arange(6) > 7.5).astype(np.int64)
    model = em.Sequential([em.layers.Dense(16, activation="relu", input_shape=(6,)),
                           em.layers.Dropout(0.3), em.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

    class Killer(em.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model._epoch == kill_epoch and batch == kill_batch:
                os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [em.callbacks.BackupAndRestore(backup)]
    if kill_epoch >= 0:
        callbacks.append(Killer())
    model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=callbacks)
    np.savez(out, *model.get_weights())
""")


def _run(tmp_path, backup, out, kill_epoch=-1, kill_batch=-1):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), str(backup), str(out), str(kill_epoch),
                           str(kill_batch)], capture_output=True, text=True, timeout=120)


def test_killed_run_resumes_to_the_same_weights(tmp_path):
    ref = _run(tmp_path, tmp_path / "b0", tmp_path / "ref.npz")
    assert ref.returncode == 0, ref.stderr
    killed = _run(tmp_path, tmp_path / "b1", tmp_path / "x.npz", kill_epoch=2, kill_batch=3)
    assert killed.returncode == -signal.SIGKILL
    assert os.path.exists(tmp_path / "b1" / "latest.ember")  # the backup of epoch 1
    resumed = _run(tmp_path, tmp_path / "b1", tmp_path / "resumed.npz")
    assert resumed.returncode == 0, resumed.stderr
    a, b = np.load(tmp_path / "ref.npz"), np.load(tmp_path / "resumed.npz")
    assert len(a.files) == len(b.files) == 4
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    assert not os.path.exists(tmp_path / "b1" / "latest.ember")  # deleted when done


KILL_DURING_SAVE = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import ember as em
    from ember import saving

    path = sys.argv[1]
    model = em.Sequential([em.layers.Dense(256, input_shape=(256,))])
    model.compile(optimizer="sgd", loss="mse")
    model.save(path)
    real_fsync = os.fsync
    saving.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # die mid-write
    model.layers[0].set_weights([np.ones((256, 256)), np.ones(256)])
    model.save(path)
""")


def test_a_checkpoint_is_never_half_written(tmp_path):
    script = tmp_path / "save.py"
    script.write_text(KILL_DURING_SAVE)
    path = tmp_path / "m.ember"
    proc = subprocess.run([sys.executable, str(script), str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    import ember as em

    model = em.models.load_model(str(path))  # the first, complete file
    assert not np.all(model.layers[0].get_weights()[0] == 1.0)
