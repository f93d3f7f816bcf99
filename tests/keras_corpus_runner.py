"""Running the Keras compatibility corpus (tests/keras_corpus/) for tests/test_keras_corpus.py:
each program on ember in a process of its own, the Keras ones (their changed imports restored)
one after the other in one process on JAX, and their RESULT lines read back
(``{FAILED: output}`` for a program that failed: its own test decides)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).parent / "keras_corpus"
SRC = str(Path(__file__).parents[1] / "src")

FAILED = "__failed__"
# tf.keras *is* Keras 3 here: a program whose only TensorFlow use is tf.keras (and
# tf.__version__) runs on Keras with this stand-in for the TensorFlow module
_TF_KERAS = ("import keras as _keras, types as _types; "
             "tf = _types.SimpleNamespace(keras=_keras, __version__=_keras.__version__)")


# programs whose TensorFlow use beyond tf.keras (tf.data here) runs on Keras with the real
# TensorFlow (installed as a test oracle; Keras itself stays on JAX)
REAL_TF = {"intro_to_keras_for_engineers"}


def _as_keras(source: str, real_tf: bool = False) -> str:
    """The program back on Keras: the changed import lines restored."""
    if real_tf:
        source = re.sub(r"^import ember\.tensorflow as tf\b.*$", "import tensorflow as tf",
                        source, flags=re.M)
    source = re.sub(r"^from ember import keras\b.*$", "import keras", source, flags=re.M)
    source = re.sub(r"^import ember\.tensorflow as tf\b.*$", _TF_KERAS, source, flags=re.M)
    return re.sub(r"^from ember\.keras((?:\.\w+)*) import ([\w, ]+?)\s*(#.*)?$",
                  r"from keras\1 import \2", source, flags=re.M)


def _env() -> dict:
    # one thread each: the programs run side by side, so more would only oversubscribe
    return dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, str(CORPUS)]),
                KERAS_BACKEND="jax", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                MKL_NUM_THREADS="1", XLA_FLAGS="--xla_cpu_multi_thread_eigen=false",
                EMBER_DATA_DIR=os.environ.get("EMBER_DATA_DIR", "/work/shared/data"))


def _start(name: str) -> subprocess.Popen:
    """One program on ember, in a process of its own."""
    return subprocess.Popen([sys.executable, str(CORPUS / f"{name}.py")], cwd=CORPUS,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


# All Keras programs in one process, one after the other, each in a fresh namespace:
# importing Keras and JAX costs several seconds, paid once instead of once per program.
_KERAS_RUNNER = """
import sys, traceback
for name, code in PROGRAMS:
    print("PROGRAM " + name, flush=True)
    try:
        exec(compile(code, name + ".py", "exec"), {"__name__": "__main__"})
    except BaseException:
        traceback.print_exc(file=sys.stdout)
        print("FAILED " + name, flush=True)
"""


def _start_keras(names: list[str]) -> subprocess.Popen:
    programs = [(n, _as_keras((CORPUS / f"{n}.py").read_text(), n in REAL_TF)) for n in names]
    code = f"PROGRAMS = {programs!r}\n{_KERAS_RUNNER}"
    return subprocess.Popen([sys.executable, "-c", code], cwd=CORPUS, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _last_result(out: str, who: str) -> dict:
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"{who} printed no RESULT:\n{out[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def _result(proc: subprocess.Popen, who: str) -> dict:
    """The program's RESULT, or ``{FAILED: its output}`` (the program's own test decides)."""
    out, _ = proc.communicate(timeout=600)
    if proc.returncode != 0:
        return {FAILED: f"{who} failed:\n{out[-3000:]}"}
    return _last_result(out, who)


def _keras_results(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=1800)
    assert proc.returncode == 0, out[-3000:]
    parts = out.split("PROGRAM ")[1:]
    results = {}
    for part in parts:
        name, _, text = part.partition("\n")
        if f"FAILED {name}" in text:
            results[(name, True)] = {FAILED: f"{name} failed on Keras:\n{text[-3000:]}"}
            continue
        results[(name, True)] = _last_result(text, f"{name} on keras")
    return results
