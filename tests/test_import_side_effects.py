"""``import ember`` changes nothing process-wide: BLAS/OpenMP thread counts and glibc's malloc
settings stay as the user's process had them (training applies ember's settings itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = r"""
import json, os, sys
def pools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return sorted((p["user_api"], p["internal_api"], p["num_threads"])
                  for p in threadpool_info())
names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
import numpy
before = {"pools": pools(), "env": {n: os.environ.get(n) for n in names}}
import ember
import ember.layers, ember.models, ember.ops  # what a script touches before fit
ember.ones((4, 4)) @ ember.ones((4, 4), requires_grad=True)  # a product with a weight
after = {"pools": pools(), "env": {n: os.environ.get(n) for n in names}}
print(json.dumps({"before": before, "after": after, "tuned": ember.heap.tuned(),
                  "blas": ember.blas.threads()}))
"""


def _probe(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_ember_leaves_threads_and_the_heap_as_they_were():
    env = {**os.environ, "EMBER_MALLOC_TUNING": "1"}  # tuning allowed: still not at import
    result = _probe(env)
    assert result["after"] == result["before"]
    assert result["tuned"] is False, "import ember applied the glibc heap tuning"


def test_import_ember_keeps_a_thread_count_the_user_set():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    result = _probe(env)
    assert result["after"] == result["before"]
    assert result["blas"] in (None, 2)  # None: a BLAS ember cannot read
