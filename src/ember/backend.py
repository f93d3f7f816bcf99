"""The one place that decides the array library, the default float type and the random state.

Op code never imports NumPy directly: it asks for ``xp`` (NumPy for CPU arrays, CuPy for CUDA
arrays) so that one body serves both devices (Chainer's ``get_array_module`` habit).

Example:
    >>> import ember as em
    >>> em.backend.floatx()
    'float32'
"""

from __future__ import annotations

import random as _pyrandom
from types import ModuleType
from typing import Any

import numpy

_FLOAT_TYPES = ("float16", "float32", "float64")
_floatx = "float32"
_seed: int | None = None
_rngs: dict[str, Any] = {}

CUDA_INSTALL_HINT = (
    "CUDA arrays need CuPy and an NVIDIA GPU: install the extra with "
    "`pip install 'ember[gpu]'` (or the CuPy wheel matching your CUDA, e.g. cupy-cuda12x)"
)


def floatx() -> str:
    """The default floating-point type of new tensors and weights ('float32' unless changed)."""
    return _floatx


def set_floatx(dtype: str) -> None:
    """Set the default float type: 'float16', 'float32' or 'float64'.

    Example:
        >>> import ember as em
        >>> em.set_floatx("float64"); em.tensor(1.0).dtype
        dtype('float64')
        >>> em.set_floatx("float32")
    """
    global _floatx
    name = numpy.dtype(dtype).name
    if name not in _FLOAT_TYPES:
        raise ValueError(f"set_floatx: expected one of {_FLOAT_TYPES}; got {dtype!r}")
    _floatx = name


def numpy_module() -> ModuleType:
    """NumPy, for code outside the ops that must use it (data loading, I/O, metrics)."""
    return numpy


def cupy_module() -> ModuleType:
    """CuPy, imported on first use; a clear error says what to install when it is missing."""
    try:
        import cupy
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(CUDA_INSTALL_HINT) from exc
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"CuPy is installed but no usable NVIDIA GPU was found ({exc})") from exc
    return cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        return cupy_module().cuda.runtime.getDeviceCount() > 0
    except RuntimeError:
        return False


def get_array_module(*arrays: Any) -> ModuleType:
    """NumPy or CuPy, whichever owns the first CuPy array among ``arrays`` (NumPy otherwise)."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            return cupy_module()
    return numpy


def xp_of(array: Any) -> ModuleType:
    """``get_array_module`` for one array, with NumPy arrays answered first (the hot path)."""
    if type(array) is numpy.ndarray:
        return numpy
    return get_array_module(array)


def device_of(array: Any) -> str:
    """'cuda' for a CuPy array, 'cpu' otherwise."""
    return "cuda" if type(array).__module__.startswith("cupy") else "cpu"


def module_for(device: str | None) -> ModuleType:
    """The array module for a device name ('cpu', 'cuda' or 'cuda:N')."""
    dev = normalize_device(device)
    return cupy_module() if dev == "cuda" else numpy


def normalize_device(device: Any) -> str:
    """Map 'cpu', 'cuda', 'cuda:0', 'gpu' or None to 'cpu' or 'cuda'; anything else is an error."""
    if device is None:
        return "cpu"
    name = str(device).lower()
    if name == "cpu":
        return "cpu"
    if name in ("cuda", "gpu") or name.startswith("cuda:"):
        return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def to_device(array: Any, device: str) -> Any:
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    dev = normalize_device(device)
    if device_of(array) == dev:
        return array
    if dev == "cuda":
        return cupy_module().asarray(array)
    return array.get()  # CuPy -> NumPy


def to_numpy(array: Any) -> numpy.ndarray:
    """A NumPy array with the values of ``array`` (a no-op for NumPy arrays)."""
    return array.get() if device_of(array) == "cuda" else numpy.asarray(array)


def set_seed(seed: int) -> None:
    """Seed every random generator ember draws from (and Python's and NumPy's global ones)."""
    global _seed
    _seed = int(seed)
    _pyrandom.seed(_seed)
    numpy.random.seed(_seed % 2**32)
    _rngs.clear()


def rng(xp: ModuleType = numpy) -> Any:
    """The random generator for ``xp``: one per array module, reseeded by ``set_seed``."""
    name = xp.__name__
    gen = _rngs.get(name)
    if gen is None:
        seed = _seed if _seed is not None else numpy.random.SeedSequence().entropy
        gen = xp.random.default_rng(seed)
        _rngs[name] = gen
    return gen


def get_rng_state() -> dict:
    """The NumPy generator's state (for BackupAndRestore and exact resumption)."""
    return {"seed": _seed, "numpy": rng(numpy).bit_generator.state}


def set_rng_state(state: dict) -> None:
    """Restore a state returned by ``get_rng_state``."""
    global _seed
    _seed = state["seed"]
    rng(numpy).bit_generator.state = state["numpy"]


# What clear_session resets lives in higher layers (the layer-name counters in
# ember.layers.naming); each registers its reset here when it is imported, so the backend
# never imports them. A part never imported has nothing to reset.
_SESSION_RESETS: list = []


def on_clear_session(reset: Any) -> Any:
    """Register ``reset()`` to run on ``clear_session()``; returns it (usable as a decorator).

    Example:
        >>> import ember as em
        >>> calls = []
        >>> hook = em.backend.on_clear_session(lambda: calls.append("reset"))
        >>> em.backend.clear_session(); calls
        ['reset']
        >>> em.backend._SESSION_RESETS.remove(hook)
    """
    if reset not in _SESSION_RESETS:
        _SESSION_RESETS.append(reset)
    return reset


def clear_session() -> None:
    """Keras' ``backend.clear_session``: reset layer-name counters (and whatever else registered
    a reset with ``on_clear_session``)."""
    for reset in list(_SESSION_RESETS):
        reset()


# ---------------------------------------------------------------------- interactive logging
# Keras' switch: progress bars and fit/evaluate/predict lines go to stdout when it is on (the
# default), to the "absl" logger (what absl.logging.info writes to) when it is off, for jobs
# on a server whose stdout is a log file.
_interactive_logging = True


def enable_interactive_logging() -> None:
    """Send progress output to stdout (the default), as ``keras.config``'s switch."""
    global _interactive_logging
    _interactive_logging = True


def disable_interactive_logging() -> None:
    """Send progress output to the ``"absl"`` logger at INFO (Keras: ``absl.logging``)
    instead of stdout; progress bars then write whole lines, no in-place redraws.

    Example:
        >>> import ember as em
        >>> em.utils.disable_interactive_logging(); em.utils.is_interactive_logging_enabled()
        False
        >>> em.utils.enable_interactive_logging()
    """
    global _interactive_logging
    _interactive_logging = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress output goes to stdout (True) or to the logger (False)."""
    return _interactive_logging


def print_msg(message: str, stream: Any = None, line_break: bool = True) -> None:
    """Keras' ``io_utils.print_msg``: ``message`` to ``stream`` (stdout by default), or, with
    interactive logging off and no explicit stream, to the ``"absl"`` logger at INFO."""
    import sys

    if stream is None and not _interactive_logging:
        import logging

        text = str(message).strip("\r\n")
        if text:
            logging.getLogger("absl").info(text)
        return
    out = stream or sys.stdout
    out.write(f"{message}\n" if line_break else str(message))
    out.flush()
