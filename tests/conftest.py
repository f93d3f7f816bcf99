"""Shared fixtures: the MNIST folder when this machine has it, a seeded NumPy generator.

(The per-test seed and fresh layer names come from the repository's root conftest.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

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
