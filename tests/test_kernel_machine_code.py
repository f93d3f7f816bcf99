"""``ember.kernels.machine_code``: a flat loop compiled by numba once, its machine code kept in a
file that later processes load with llvmlite; a file that fails a check is compiled again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ember.kernels import compiled, machine_code

pytestmark = pytest.mark.skipif(not compiled.AVAILABLE,
                                reason="the flat loops need numba (ember[fast])")

# a module of its own, so that each test's process finds the loop's source and cache folder
LOOP = textwrap.dedent('''
    from ember.kernels import machine_code

    @machine_code.flat_loop(arrays=2, scalars="fi")
    def axpy(y, x, a, times):
        for i in range(y.size):
            for _ in range(times):
                y[i] += a * x[i]

    @machine_code.flat_loop(arrays=2, scalars="fi")
    def axmy(y, x, a, times):  # the same C signature: its machine code must not be axpy's
        for i in range(y.size):
            for _ in range(times):
                y[i] -= a * x[i]
''')

RUN = textwrap.dedent('''
    import json, sys
    import numpy as np
    import loop_module
    y = np.arange(5, dtype=sys.argv[1]); x = np.ones(5, sys.argv[1])
    loop_module.axpy(y, x, 0.1, 3)
    z = np.zeros(2, sys.argv[1])
    loop_module.axmy(z, np.ones(2, sys.argv[1]), 0.5, 2)
    print(json.dumps({"y": y.tolist(), "z": z.tolist(), "numba": "numba" in sys.modules}))
''')


def _run(folder, dtype="float32") -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder / "cache"),
           "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", RUN, dtype], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout)


def _expected(dtype) -> list:
    y = np.arange(5, dtype=dtype)
    for _ in range(3):
        y += y.dtype.type(0.1) * np.ones(5, dtype)
    return y.tolist()


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "loop_module.py").write_text(LOOP)
    return tmp_path


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_once_then_loaded_without_numba(folder, dtype):
    first, second = _run(folder, dtype), _run(folder, dtype)
    assert first["numba"] is True and second["numba"] is False
    assert first["y"] == second["y"] == _expected(dtype)  # NumPy's arithmetic, bit for bit
    assert first["z"] == second["z"] == [-1.0, -1.0]  # each loop its own code
    files = list((folder / "cache" / "ember").glob(f"loop_module.axpy.{dtype}.*.bin"))
    assert len(files) == 1


def _the_file(folder):
    _run(folder)
    path, = (folder / "cache" / "ember").glob("loop_module.axpy.float32.*.bin")
    return path


def test_a_corrupted_file_is_compiled_again_and_rewritten(folder):
    path = _the_file(folder)
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 0xFF  # one flipped byte of the object code: its SHA-256 no longer matches
    path.write_bytes(bytes(blob))
    again = _run(folder)
    assert again["numba"] is True and again["y"] == _expected("float32")
    assert _run(folder)["numba"] is False  # the rewritten file loads


def test_a_file_needing_an_unknown_symbol_is_not_loaded(folder):
    path = _the_file(folder)
    blob = path.read_bytes()
    end = blob.index(b"\n", len(machine_code._MAGIC))
    header = json.loads(blob[len(machine_code._MAGIC):end])
    header["symbols"].append("ember_no_such_symbol")
    path.write_bytes(machine_code._MAGIC + json.dumps(header).encode() + blob[end:])
    assert _run(folder)["numba"] is True  # compiled again instead of loading it


def test_an_edit_to_the_loop_is_a_new_file(folder):
    _the_file(folder)
    (folder / "loop_module.py").write_text(LOOP.replace("y[i] += a * x[i]",
                                                        "y[i] = y[i] + a * x[i]"))
    assert _run(folder)["numba"] is True
    assert len(list((folder / "cache" / "ember").glob("loop_module.axpy.float32.*"))) == 2


def test_in_process_read_only_empty_and_bad_signatures():
    @machine_code.flat_loop(arrays=2, scalars="f")
    def add(y, x, a):  # typed here: no file to cache next to, compiled in this process
        for i in range(y.size):
            y[i] += a * x[i]

    y, x = np.zeros(4), np.arange(4.0)
    x.flags.writeable = False  # a read-only input takes the other way to its address
    add(y, x, 2.0)
    assert y.tolist() == [0.0, 2.0, 4.0, 6.0] and add.is_compiled()
    add(np.zeros(0), np.zeros(0), 1.0)  # nothing to do, nothing called
    with pytest.raises(ValueError, match="scalars are 'f' or 'i'"):
        machine_code.flat_loop(arrays=1, scalars="x")


def test_undefined_symbols_reads_the_elf_symbol_table():
    from ember.kernels import adam_fused

    entry = machine_code._object_code(
        adam_fused.adam_loop._compile(np.dtype("float32")).inspect_llvm(), "unused")
    # numba's wrapper names its GIL helpers on its error path, and C-API functions
    assert {"numba_gil_ensure", "numba_gil_release"} <= set(entry["symbols"])
    assert all(not s.startswith("llvm.") for s in entry["symbols"])  # intrinsics never are
    with pytest.raises(ValueError, match="not an ELF64"):
        machine_code.undefined_symbols(b"\xcf\xfa\xed\xfe" + bytes(60))  # a Mach-O header
