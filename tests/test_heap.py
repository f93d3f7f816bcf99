"""ember.heap: freed arrays stay in the process, so a training step does not page them in again."""

import os
import subprocess
import sys

import pytest

from ember import heap

glibc_only = pytest.mark.skipif(not heap._is_glibc(), reason="the settings are glibc's mallopt")

# Two 4 MiB arrays allocated, written and freed, 20 times: glibc trims the 8 MiB they leave at the
# heap's top (its adaptive threshold is twice the largest block it has seen freed), so every
# round faults ~2048 pages in again, unless the trim threshold is raised.
_ROUNDS = """
import resource, numpy as np, ember
ember.heap.tune_for_loop()  # what fit, train_on_batch and predict call where they start
def rounds(n):
    for _ in range(n):
        a = np.empty(2**20, np.float32); b = np.empty(2**20, np.float32)
        a[:] = 1; b[:] = 2
        del a, b
rounds(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds(20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, ember.heap.tuned())
"""


def _faults(tuning: str) -> tuple[int, bool]:
    env = {**os.environ, "EMBER_MALLOC_TUNING": tuning}
    out = subprocess.run([sys.executable, "-c", _ROUNDS], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), out[1] == "True"


@glibc_only
def test_training_tunes_the_heap_and_freed_arrays_are_not_faulted_in_again():
    faults, tuned = _faults("1")
    assert tuned
    assert faults < 500, f"{faults} page faults in 20 rounds: the freed arrays went back to the OS"


@glibc_only
def test_the_environment_variable_turns_it_off():
    faults, tuned = _faults("0")
    assert not tuned


def test_enabled_by_environment_reads_the_usual_spellings(monkeypatch):
    for value, expected in (("0", False), ("off", False), ("False", False), ("1", True),
                            ("", True)):
        monkeypatch.setenv("EMBER_MALLOC_TUNING", value)
        assert heap.enabled_by_environment() is expected
    monkeypatch.delenv("EMBER_MALLOC_TUNING")
    assert heap.enabled_by_environment()


def test_tune_is_idempotent_and_reports_the_same_answer():
    first = heap.tune()
    assert heap.tune() is first and heap.tuned() is first


_FIT = """
import numpy as np, ember as em
assert not em.heap.tuned(), "import ember tuned the heap"
model = em.Sequential([em.layers.Input(shape=(3,)), em.layers.Dense(2)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
print(em.heap.tuned())
"""


@glibc_only
@pytest.mark.parametrize("tuning, expected", [("1", "True"), ("0", "False")])
def test_fit_tunes_the_heap_where_training_starts_unless_switched_off(tuning, expected):
    env = {**os.environ, "EMBER_MALLOC_TUNING": tuning}
    out = subprocess.run([sys.executable, "-c", _FIT], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[-1] == expected
