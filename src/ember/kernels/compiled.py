"""Loops compiled by numba (the ``fast`` extra), for the kernels that need one pass where NumPy
takes many: ``lstm_gates``, ``gru_gates``, ``simple_rnn_step``, ``pool_tiles``,
``conv_scatter``, ``relu_grad``. The optimizers' loops over flat arrays (``adam_fused``,
``sgd_fused``, ``rmsprop_fused``) are numba's too, but kept as machine code that later processes
load without numba (``machine_code.flat_loop``).

``@loop`` leaves a plain Python function (the loop as a reader reads it) and compiles it on its
first call: numba is imported then, not at ``import ember``, and the machine code is cached on
disk (``cache=True``: next to the module, or in numba's user cache, ``NUMBA_CACHE_DIR``), so
only the first process after an install compiles. Every loop is compiled without ``fastmath``
(the float operations stay in the order written, without contraction into fused multiply-adds)
and with NumPy's error model (a division by zero gives inf, as in NumPy; Python's model checks
each division and keeps LLVM from vectorizing it: measured 3x slower on Adam's loop).

``@scalar`` marks a helper of one element (a float function the loops call, such as
``lstm_gates.tanh32``): it stays a plain Python function until the first loop that names it
compiles, which compiles it too (LLVM then inlines it into the loop, which stays vectorized;
a call to libm would not). numba's disk cache checks the loop's own source file only: after an
edit to a helper that loops in other files call (``gru_gates`` and ``simple_rnn_step`` call
``lstm_gates.tanh32``), delete those loops' cache files (``*.nbi``, ``*.nbc``), or their
machine code stays the old one.

``AVAILABLE`` says whether numba is installed and not switched off (``EMBER_NUMBA=0`` in the
environment, read at import: a short script skips numba's ~0.3 s import); callers check it
(and the arrays' type and dtype) and run their NumPy code otherwise.

Example:
    >>> from ember.kernels import compiled
    >>> @compiled.loop
    ... def total(a):
    ...     s = 0.0
    ...     for v in a:
    ...         s += v
    ...     return s
    >>> import numpy as np
    >>> float(total(np.arange(4.0))) if compiled.AVAILABLE else 6.0
    6.0
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
import types
from collections.abc import Callable
from typing import Any

import numpy as np

FLOATS = (np.dtype("float32"), np.dtype("float64"))  # the dtypes the loops are compiled for
_SWITCH = os.environ.get("EMBER_NUMBA", "1").strip().lower()
if _SWITCH not in ("", "0", "1", "false", "true"):
    raise ValueError(f"EMBER_NUMBA must be 0 or 1; got {_SWITCH!r}")
AVAILABLE = _SWITCH not in ("0", "false") and importlib.util.find_spec("numba") is not None
_lock = threading.Lock()


def numpy_floats(*arrays: Any) -> bool:
    """Whether every array is a NumPy array (not CuPy's, not a subclass) of one dtype, float32
    or float64: what the compiled loops take."""
    dtype = arrays[0].dtype
    return dtype in FLOATS and all(type(a) is np.ndarray and a.dtype == dtype for a in arrays)


def contiguous_floats(*arrays: Any) -> bool:
    """``numpy_floats`` and every array C-contiguous: what the one-pass loops over flat
    parameters take (``sgd_fused``, ``rmsprop_fused``)."""
    return numpy_floats(*arrays) and all(a.flags.c_contiguous for a in arrays)


def scalar(fn: Callable) -> Callable:
    """Mark ``fn`` as a one-element helper the loops call (see the module docstring)."""
    fn._ember_scalar = True  # type: ignore[attr-defined]
    return fn


def _compile_helpers(fn: Callable, numba: Any) -> None:
    """Replace the ``@scalar`` helpers ``fn`` names by numba's compiled versions, in ``fn``'s
    module (numba resolves a global name when it compiles and needs a compiled function)."""
    names = fn.__globals__
    for name in fn.__code__.co_names:
        helper = names.get(name)
        # a helper compiled for an earlier loop is already numba's (which answers getattr)
        if isinstance(helper, types.FunctionType) and getattr(helper, "_ember_scalar", False):
            _compile_helpers(helper, numba)  # a helper may call helpers of its own
            names[name] = numba.njit(error_model="numpy")(helper)


def loop(fn: Callable) -> Callable:
    """``fn`` compiled with numba on its first call (see the module docstring)."""
    compiled: list = []

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not compiled:
            with _lock:
                if not compiled:
                    import numba

                    _compile_helpers(fn, numba)
                    # a loop typed at a prompt has no file to cache next to
                    on_disk = os.path.exists(fn.__code__.co_filename)
                    try:
                        jitted = numba.njit(cache=on_disk, nogil=True,
                                            error_model="numpy")(fn)
                    except RuntimeError:  # no writable cache directory: compile each process
                        jitted = numba.njit(nogil=True, error_model="numpy")(fn)
                    compiled.append(jitted)
        return compiled[0](*args)

    call.is_compiled = lambda: bool(compiled)  # type: ignore[attr-defined]
    return call
