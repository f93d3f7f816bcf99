"""Where the ``fast`` extra's memory goes: numba's fixed cost, stage by stage, in fresh processes.

    python -m benchmarks.bench_numba_memory [--repeats 3]

The dense workload's peak memory is ember's import, the data and, with numba, a fixed cost
that does not depend on the network. This measures that cost in fresh interpreters, each
stage's resident memory (VmRSS, split into anonymous and file-backed pages) after:

1. ``import numpy, ember`` (numba not imported: ``import ember`` never imports it);
2. ``import numba`` (its modules and llvmlite's LLVM shared library);
3. numba's target context, whose runtime (NRT) LLVM compiles in every process;
4. a loop loaded from numba's disk cache (``relu_grad``'s): numba's implementation registries
   load here, and with them ``scipy.linalg`` where SciPy is installed (numba's ``np.dot``
   support checks for SciPy's BLAS at that import).

Then the same four stages with SciPy hidden from the child (an import hook refuses
``scipy``), which is the process of an environment without SciPy, such as ``pip install
'ember[fast]'`` alone; and a third process that only runs Adam's update, whose loop
(``kernels/machine_code.py``) loads as machine code with llvmlite and never imports numba: what
a dense network's training pays. Each row is the median over ``--repeats`` processes; the first
runs warm both caches, so nothing is compiled in the measured ones.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

STAGES = ("numpy + ember", "import numba", "NRT compiled", "a numba loop loaded")
MACHINE_CODE_STAGES = ("numpy + ember", "Adam loop loaded (llvmlite)")

_CHILD = r"""
import json, sys
if sys.argv[1] == "hide-scipy":
    import importlib.abc

    class _HideSciPy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "scipy" or name.startswith("scipy."):
                raise ImportError("scipy hidden by bench_numba_memory")

    sys.meta_path.insert(0, _HideSciPy())


def mem():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(line.split()[1]) / 1024
    return out


rows = []
import numpy, ember  # noqa: E401,F401
rows.append(mem())
if sys.argv[1] == "machine-code":
    from ember.kernels import adam_fused
    adam_fused.compile_seconds()
    rows.append(mem())
    print(json.dumps({"rows": rows, "scipy": "scipy.linalg" in sys.modules,
                      "numba": "numba" in sys.modules}))
    raise SystemExit
import numba  # noqa: F401
rows.append(mem())
from numba.core.registry import cpu_target
from numba.core.runtime import rtsys
rtsys.initialize(cpu_target.target_context)
rows.append(mem())
from ember.kernels import relu_grad
relu_grad.relu_grad(numpy.ones(4, numpy.float32), numpy.ones(4, numpy.float32))
rows.append(mem())
print(json.dumps({"rows": rows, "scipy": "scipy.linalg" in sys.modules,
                  "numba": "numba" in sys.modules}))
"""


def measure(mode: str) -> dict:
    """One fresh process's stages (``mode``: 'as-installed', 'hide-scipy' or
    'machine-code')."""
    out = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        import numba  # noqa: F401
    except ImportError:
        sys.exit("bench_numba_memory: needs numba: pip install 'ember[fast]'")
    measure("as-installed")  # fill numba's disk cache and ember's machine code: the
    measure("machine-code")  # measured processes only load
    print("| environment | stage | RSS | anonymous | file-backed | step |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for mode in ("as-installed", "hide-scipy", "machine-code"):
        runs = [measure(mode) for _ in range(args.repeats)]
        label = {"as-installed": "this one" + (" (SciPy installed)" if runs[0]["scipy"] else ""),
                 "hide-scipy": "SciPy hidden",
                 "machine-code": "Adam's update only (numba imported: "
                                 f"{'yes' if runs[0]['numba'] else 'no'})"}[mode]
        previous = None
        stages = MACHINE_CODE_STAGES if mode == "machine-code" else STAGES
        for i, stage in enumerate(stages):
            med = {k: statistics.median(r["rows"][i][k] for r in runs)
                   for k in ("VmRSS", "RssAnon", "RssFile")}
            step = "" if previous is None else f"+{med['VmRSS'] - previous:.0f} MiB"
            print(f"| {label} | {stage} | {med['VmRSS']:.0f} MiB | {med['RssAnon']:.0f} MiB | "
                  f"{med['RssFile']:.0f} MiB | {step} |")
            previous = med["VmRSS"]
        total = previous - statistics.median(r["rows"][0]["VmRSS"] for r in runs)
        what = "llvmlite's whole cost" if mode == "machine-code" else "numba's whole cost"
        print(f"| {label} | {what} | {total:.0f} MiB | | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
