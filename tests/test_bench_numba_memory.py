"""benchmarks/bench_numba_memory.py: numba's fixed memory, stage by stage, in fresh processes."""

from __future__ import annotations

import pytest


def test_the_numba_memory_profile_measures_every_stage_both_ways(capsys) -> None:
    pytest.importorskip("numba")
    from benchmarks import bench_numba_memory as bench

    hidden = bench.measure("hide-scipy")
    assert hidden["scipy"] is False  # the hook really keeps SciPy out of the child
    rss = [row["VmRSS"] for row in hidden["rows"]]
    assert len(rss) == len(bench.STAGES)
    assert rss[1] > rss[0] + 20  # importing numba (and LLVM) is tens of MiB, never free
    assert all(b >= a - 1 for a, b in zip(rss, rss[1:]))  # each stage adds, none frees much
    light = bench.measure("machine-code")
    assert light["numba"] is False  # Adam's machine code loads without numba
    assert len(light["rows"]) == len(bench.MACHINE_CODE_STAGES)
    # llvmlite alone costs less than numba's stages after its import
    assert light["rows"][-1]["VmRSS"] - light["rows"][0]["VmRSS"] < rss[-1] - rss[0]
    assert bench.main(["--repeats", "1"]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and " MiB |" in ln]
    assert len(rows) == 2 * (len(bench.STAGES) + 1) + len(bench.MACHINE_CODE_STAGES) + 1
    assert sum("numba's whole cost" in r for r in rows) == 2
    assert sum("llvmlite's whole cost" in r for r in rows) == 1
