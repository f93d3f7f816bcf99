"""Flat loops kept as machine code: numba compiles each once, llvmlite loads it in every process.

The optimizer loops (``adam_fused``, ``sgd_fused``, ``rmsprop_fused``) run over flat arrays of
one length with a few scalars, so a C function ``void loop(T *a0, T *a1, ..., int64 n,
s0, s1, ...)`` is all they need. ``@flat_loop`` gives them that: the first process compiles
the loop with numba (``numba.cfunc``, the same loop body under a generated C signature) and
writes its machine code, with the names of the symbols it links against, to a cache file; every
process, that one included, loads the file with llvmlite (the LLVM binding numba is built on)
and calls the function through ctypes.

Why not numba's own disk cache (``cache=True``, which ``compiled.loop`` uses): loading a cached
loop through numba costs its fixed price in every process, measured at 128 MiB and ~0.3 s on
the dense benchmark's machine (``python -m benchmarks.bench_numba_memory``): numba's modules,
the runtime (NRT) it compiles with LLVM in every process, its implementation registries, and
SciPy's linear algebra, which one of them imports wherever SciPy is installed. llvmlite alone
costs what its shared library does. A process that trains a dense network touches no other
compiled loop, so it never imports numba.

The file is named after the loop, the dtype and a hash of what the machine code depends on:
the loop's source, its signature, the host CPU and its features, and llvmlite's version. An
edit to the loop, another CPU or another LLVM is a different file, compiled on first use. The
header records the object code's SHA-256 and the symbols it needs; a file that fails either
check, or needs a symbol this process cannot provide, is not loaded (the loop is compiled
again and the file rewritten). The loops raise nothing and allocate nothing, so the only
runtime symbols numba's wrapper names (its GIL and NRT helpers, on its error and deallocation
paths) are never called; where numba is not loaded they resolve to a stub that aborts with a
message, so that a broken promise cannot pass silently.

Where the file goes: ``$NUMBA_CACHE_DIR/ember`` when set (the place a user chose for compiled
code), else the loop's ``__pycache__`` when writable, else ``~/.cache/ember`` (or
``$XDG_CACHE_HOME/ember``); with none writable the loop is compiled in each process.

Example:
    >>> import numpy as np
    >>> from ember.kernels import compiled, machine_code
    >>> @machine_code.flat_loop(arrays=2, scalars="f")
    ... def axpy(y, x, a):
    ...     for i in range(y.size):
    ...         y[i] += a * x[i]
    >>> y = np.ones(3, np.float32)
    >>> if compiled.AVAILABLE:
    ...     axpy(y, np.arange(3, dtype=np.float32), np.float32(2.0))
    ... else:
    ...     y += 2 * np.arange(3, dtype=np.float32)
    >>> y.tolist()
    [1.0, 3.0, 5.0]
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import inspect
import json
import os
import struct
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 2  # bump when the file layout or the generated wrapper changes
_MAGIC = b"ember-flat-loop\n"
_C_SCALARS = {np.dtype("float32"): ctypes.c_float, np.dtype("float64"): ctypes.c_double}
# numba's runtime helpers the C wrapper names but these loops never call (see the docstring)
_NEVER_CALLED = ("numba_gil_ensure", "numba_gil_release", "NRT_MemInfo_call_dtor")
_lock = threading.Lock()
_addressof, _char_at = ctypes.addressof, ctypes.c_char.from_buffer
_state: dict = {}  # the process's llvmlite engine and the stubs, made on first use


def flat_loop(arrays: int, scalars: str) -> Callable[[Callable], FlatLoop]:
    """Keep ``fn`` as machine code (see the module docstring): its first ``arrays`` arguments
    are arrays of one length and dtype (float32 or float64, C-contiguous: the caller checks),
    then one scalar per letter of ``scalars``, ``"f"`` for a float in the arrays' dtype and
    ``"i"`` for an integer (a mode, a flag). ctypes converts a Python float to a C float by
    rounding to nearest, which is what ``np.float32(x)`` does: pass the float itself."""
    if set(scalars) - {"f", "i"}:
        raise ValueError(f"flat_loop: scalars are 'f' or 'i' letters; got {scalars!r}")
    return lambda fn: FlatLoop(fn, arrays, scalars)


class FlatLoop:
    """A ``@flat_loop``: call it as the loop itself, with NumPy arrays and scalars."""

    def __init__(self, fn: Callable, arrays: int, scalars: str) -> None:
        self.fn, self.arrays, self.scalars = fn, arrays, scalars
        self._calls: dict = {}  # dtype -> the ctypes function
        self._keep: list = []  # the numba cfuncs compiled here: their code must stay alive
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> None:
        first = args[0]
        call = self._calls.get(first.dtype) or self._load(first.dtype)
        if not first.size:
            return
        arrays = args[:self.arrays]
        try:  # ctypes' view of a writable buffer: 0.35 us here, ``a.ctypes.data`` 3 us
            pointers = [_addressof(_char_at(a)) for a in arrays]
        except TypeError:  # a read-only array (a gradient may be one)
            pointers = [a.ctypes.data for a in arrays]
        call(*pointers, first.size, *args[self.arrays:])

    def is_compiled(self) -> bool:
        return bool(self._calls)

    def _load(self, dtype: np.dtype) -> Callable:
        with _lock:
            if dtype not in self._calls:
                self._calls[dtype] = self._machine_code(np.dtype(dtype))
            return self._calls[dtype]

    def _prototype(self, dtype: np.dtype) -> Any:
        scalar = _C_SCALARS[dtype]
        kinds = [scalar if k == "f" else ctypes.c_int64 for k in self.scalars]
        return ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * self.arrays, ctypes.c_int64, *kinds)

    def _machine_code(self, dtype: np.dtype) -> Callable:
        path = self._cache_path(dtype)
        entry = _read(path) if path is not None else None
        if entry is not None and _resolvable(entry["symbols"]):
            try:
                return self._prototype(dtype)(_add_object(entry))
            except RuntimeError:  # its function is not in it: compiled again below
                pass
        cfunc = self._compile(dtype)
        try:
            entry = _object_code(cfunc.inspect_llvm(), cfunc.native_name)
        except ValueError:  # not an ELF object: numba's own code, in this process only
            return self._prototype(dtype)(cfunc.address)
        if path is not None:
            _write(path, entry)
        return self._prototype(dtype)(_add_object(entry))

    def _cache_path(self, dtype: np.dtype) -> Path | None:
        """The file for ``dtype``, named after what its machine code depends on; None for a
        loop without a source file (typed at a prompt) or with nowhere writable."""
        source_file = self.fn.__code__.co_filename
        if not os.path.exists(source_file):
            return None
        llvm = _engine()["llvm"]
        key = hashlib.sha256("\n".join([
            str(FORMAT), inspect.getsource(self.fn), str(self.arrays), self.scalars, dtype.str,
            llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(),
            ".".join(map(str, llvm.llvm_version_info)), _llvmlite_version()]).encode())
        name = f"{self.fn.__module__}.{self.fn.__name__}.{dtype.name}.{key.hexdigest()[:16]}"
        return _cache_file(Path(source_file).parent, name)

    def _compile(self, dtype: np.dtype) -> Any:
        """numba's ``cfunc`` of the loop under its C signature (the loop inlined into it, so
        that no call between them can raise)."""
        import numba
        from numba import types

        element = types.float32 if dtype == np.float32 else types.float64
        pointers = [f"a{i}" for i in range(self.arrays)]
        values = [f"s{i}" for i in range(len(self.scalars))]
        # numba names the machine code after the wrapper's module, name and types: the loop's
        # own make it unique in the engine (one shared name would load the first file's code)
        wrapper = f"{self.fn.__name__}_c"
        source = textwrap.dedent(f"""
            def {wrapper}({", ".join(pointers + ["n"] + values)}):
                loop({", ".join([f"carray({p}, (n,))" for p in pointers] + values)})
        """)
        space = {"__name__": self.fn.__module__, "carray": numba.carray,
                 "loop": numba.njit(inline="always", error_model="numpy")(self.fn)}
        exec(source, space)  # noqa: S102 - a wrapper generated from the signature above
        signature = types.void(*[types.CPointer(element)] * self.arrays, types.int64,
                               *[element if k == "f" else types.int64 for k in self.scalars])
        cfunc = numba.cfunc(signature, nogil=True, error_model="numpy")(space[wrapper])
        self._keep.append(cfunc)
        return cfunc


def _llvmlite_version() -> str:
    import llvmlite

    return llvmlite.__version__


def _engine() -> dict:
    """llvmlite's MCJIT engine this process loads the loops into (made once)."""
    if not _state:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        machine = llvm.Target.from_default_triple().create_target_machine()
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), machine)
        _state.update(llvm=llvm, machine=machine, engine=engine)
    return _state


def _stub(name: str) -> int:
    """The address of a function that says ``name`` was called, and aborts."""
    stubs = _state.setdefault("stubs", {})
    if name not in stubs:
        def called() -> None:
            sys.stderr.write(f"ember.kernels.machine_code: a loop called numba's {name}, which "
                             "ember's flat loops never do; aborting\n")
            sys.stderr.flush()
            os.abort()

        stubs[name] = ctypes.CFUNCTYPE(None)(called)
    return ctypes.cast(stubs[name], ctypes.c_void_p).value


def _resolvable(symbols: list[str]) -> bool:
    """Whether every symbol the object code needs is in this process (numba's runtime
    helpers, where numba is not loaded, become the aborting stubs)."""
    llvm = _engine()["llvm"]
    for name in symbols:
        if llvm.address_of_symbol(name):
            continue
        if name not in _NEVER_CALLED:
            return False
        llvm.add_symbol(name, _stub(name))
    return True


def _object_code(ir: str, function: str) -> dict:
    """Object code for the host CPU from numba's optimized LLVM IR, as numba's JIT emits it
    (the same target machine options: host CPU and features, static relocations on x86)."""
    llvm = _engine()["llvm"]
    module = llvm.parse_assembly(ir)
    module.verify()
    target = llvm.Target.from_default_triple()
    machine = target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3,
        reloc="static" if target.name.startswith("x86") else "default",
        codemodel="jitdefault", jit=True)
    code = machine.emit_object(module)
    return {"function": function, "symbols": undefined_symbols(code), "code": code}


def undefined_symbols(code: bytes) -> list[str]:
    """The symbols an ELF64 little-endian object file needs from elsewhere (its symbol table's
    entries in no section); ``ValueError`` for anything else (the loops are not kept as machine
    code there)."""
    if code[:4] != b"\x7fELF" or code[4] != 2 or code[5] != 1:
        raise ValueError("machine_code: not an ELF64 little-endian object file")
    shoff, = struct.unpack_from("<Q", code, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", code, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", code, shoff + i * shentsize)
                for i in range(shnum)]
    names = []
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strings = sections[link][4]
        for at in range(offset + entsize, offset + size, entsize):  # entry 0 is the null one
            name, _, _, section = struct.unpack_from("<IBBH", code, at)
            if section == 0 and name:
                end = code.index(b"\0", strings + name)
                names.append(code[strings + name:end].decode())
    return sorted(names)


def _add_object(entry: dict) -> int:
    state = _engine()
    if not _resolvable(entry["symbols"]):
        raise RuntimeError(f"ember.kernels.machine_code: {entry['function']} needs symbols "
                           f"this process lacks: {entry['symbols']}")
    state["engine"].add_object_file(state["llvm"].ObjectFileRef.from_data(entry["code"]))
    state["engine"].finalize_object()
    address = state["engine"].get_function_address(entry["function"])
    if not address:
        raise RuntimeError(f"ember.kernels.machine_code: {entry['function']} not found in "
                           "its object code")
    return address


def _cache_file(folder: Path, name: str) -> Path | None:
    """Where the machine code of a loop in ``folder`` is kept (see the module docstring);
    None if nowhere."""
    places = []
    if os.environ.get("NUMBA_CACHE_DIR"):
        places.append(Path(os.environ["NUMBA_CACHE_DIR"]) / "ember")
    else:
        places.append(folder / "__pycache__")
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        places.append(Path(home) / "ember")
    for place in places:
        try:
            place.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(place, os.W_OK):
            return place / f"{name}.bin"
    return None


def _read(path: Path) -> dict | None:
    """The entry in ``path``: None if absent or if it fails the checks (see the docstring)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_MAGIC):
        return None
    header_end = blob.find(b"\n", len(_MAGIC))
    try:
        header = json.loads(blob[len(_MAGIC):header_end])
        code = blob[header_end + 1:]
        if hashlib.sha256(code).hexdigest() != header["sha256"]:
            return None
        return {"function": str(header["function"]), "code": code,
                "symbols": [str(s) for s in header["symbols"]]}
    except (ValueError, KeyError, TypeError):
        return None


def _write(path: Path, entry: dict) -> None:
    """Write ``entry`` whole or not at all (a temporary file renamed over the old one)."""
    header = json.dumps({"function": entry["function"], "symbols": entry["symbols"],
                         "sha256": hashlib.sha256(entry["code"]).hexdigest()}).encode()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return  # a read-only place found writable: compiled again next process
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + header + b"\n" + entry["code"])
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
