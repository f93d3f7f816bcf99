"""Run a snippet under real Keras 3 (JAX backend, CPU) in a child process and return the
arrays it saved: the oracle for the data loaders and preprocessing layers.

Keras runs in its own process so that importing it (and JAX) changes nothing in the test
process; tests that need it skip cleanly where Keras, JAX (or, for a snippet, grain) are absent.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest


def require(*modules: str) -> None:
    """Skip the calling test unless keras, jax and ``modules`` are importable."""
    for name in ("keras", "jax", *modules):
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed (the Keras oracle)")


def tensorflow_python() -> str:
    """An interpreter with Keras and TensorFlow (Keras' text and lookup layers need it):
    $EMBER_KERAS_TF_PYTHON, else this one when it has TensorFlow; else the test skips."""
    python = os.environ.get("EMBER_KERAS_TF_PYTHON")
    if python:
        return python
    require("tensorflow")
    return sys.executable


def run_keras(code: str, tmp_path, *modules: str, tensorflow: bool = False) -> dict:
    """Run ``code`` with ``keras`` and ``np`` imported and a dict ``out`` to fill with arrays;
    return ``out`` (strings and lists come back as NumPy arrays)."""
    if tensorflow:
        python = tensorflow_python()
    else:
        require(*modules)
        python = sys.executable
    script = tmp_path / "keras_snippet.py"
    result = tmp_path / "keras_out.npz"
    script.write_text("import os, sys\nimport numpy as np\nimport keras\nout = {}\n"
                      + textwrap.dedent(code)
                      + "\nnp.savez(sys.argv[1], **{k: np.asarray(v) for k, v in out.items()})\n")
    env = {**os.environ, "KERAS_BACKEND": "tensorflow" if tensorflow else "jax",
           "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": "",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)  # the child must not see ember's src on the path
    proc = subprocess.run([python, str(script), str(result)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if proc.returncode != 0:
        raise AssertionError(f"the Keras snippet failed:\n{proc.stderr[-4000:]}")
    with np.load(result, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
