"""Shared fixtures: the MNIST folder when this machine has it, a seeded NumPy generator, and
the device variants of the op and layer tests.

Every test in tests/test_ops_*.py, tests/test_layers_*.py and tests/test_linalg.py runs twice:
``[cpu]`` as written, and ``[cuda]`` inside ``with em.device("cuda"):`` (new tensors, layer
weights and NumPy layer inputs on the GPU; ``check_op`` keeps ember on the GPU and compares with
PyTorch on the CPU). Without CuPy or a GPU the ``[cuda]`` variants are skipped, with the reason,
before any fixture runs, so they cost next to nothing.

(The per-test seed and fresh layer names come from the repository's root conftest.py.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import ember as em

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


def mnist_dir() -> Path | None:
    """The folder holding the real MNIST files: $EMBER_DATA_DIR/mnist, or ../shared/data/mnist."""
    env = os.environ.get("EMBER_DATA_DIR")
    for cand in ([Path(env) / "mnist", Path(env)] if env else []) + [SHARED_MNIST]:
        if (cand / "train-images-idx3-ubyte.gz").exists():
            return cand
    return None


@pytest.fixture
def mnist_path() -> Path:
    path = mnist_dir()
    if path is None:
        pytest.skip("the MNIST files are not on this machine (set EMBER_DATA_DIR or place "
                    "them in ../shared/data/mnist)")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ---------------------------------------------------------------------- device variants
_DEVICE_MODULES = re.compile(r"test_(ops_\w+|layers_\w+|linalg)")
_CUDA = em.cuda.is_available()
_NO_CUDA = ("no usable CUDA GPU here (em.cuda.is_available() is False: CuPy or an NVIDIA GPU "
            "is missing; install with pip install 'ember[gpu]' on a GPU machine)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    name = metafunc.module.__name__.rpartition(".")[2]
    if "ember_device" in metafunc.fixturenames and _DEVICE_MODULES.fullmatch(name):
        cuda = pytest.param("cuda", marks=pytest.mark.skipif(not _CUDA, reason=_NO_CUDA))
        metafunc.parametrize("ember_device", ["cpu", cuda], indirect=True)


@pytest.fixture(autouse=True)
def ember_device(request: pytest.FixtureRequest):
    """The device a test runs on: "cpu", or "cuda" (inside an ``em.device`` scope) for the
    variants that ``pytest_generate_tests`` adds; every other test gets "cpu"."""
    device = getattr(request, "param", "cpu")
    if device == "cpu":
        yield device
        return
    with em.device(device):
        yield device

# tests/keras_corpus/ holds scripts that tests/test_keras_corpus.py runs in subprocesses:
# pytest must not import them (its --doctest-modules would run each program at collection)
collect_ignore = ["keras_corpus"]
