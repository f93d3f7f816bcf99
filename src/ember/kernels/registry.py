"""Which implementation an op runs: its readable reference in ``ember.ops``, or the measured
fast kernel registered against it here.

Each kernel module of ``ember.kernels`` registers its function with ``@replaces("op")``; the
op asks ``fast("op")`` on every call and runs the reference when it gets None. One switch
decides, for all ops or for some: ``use_reference`` (a setting), ``reference()`` (a context
manager that puts the previous setting back) and the environment variable
``EMBER_KERNELS=reference`` (read once, when the kernels are first looked up). The fast path is
the default.

Kernel modules are imported on the first look-up (not at ``import ember``) and all of them:
every module in the package registers itself, so none can be left out of the table.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kernel:
    """One fast kernel: the op it replaces, its function and the module that holds it."""

    op: str
    fn: Callable
    module: str


_TABLE: dict[str, Kernel] = {}
_loaded = False
_load_lock = threading.Lock()
# The switch: everything on the reference path, or the names of ops on it.
_all_reference = False
_reference_ops: frozenset[str] = frozenset()


def replaces(op: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the fast kernel of the op named ``op``."""

    def register(fn: Callable) -> Callable:
        if op in _TABLE and _TABLE[op].fn is not fn:
            raise ValueError(f"ember.kernels: two kernels replace the op {op!r} "
                             f"({_TABLE[op].module} and {fn.__module__})")
        _TABLE[op] = Kernel(op, fn, fn.__module__)
        return fn

    return register


def _load() -> None:
    global _loaded, _all_reference
    with _load_lock:
        if _loaded:
            return
        package = importlib.import_module("ember.kernels")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name != "registry":
                importlib.import_module(f"ember.kernels.{info.name}")
        value = os.environ.get("EMBER_KERNELS", "fast").strip().lower()
        if value not in ("", "fast", "reference"):
            raise ValueError(f"EMBER_KERNELS must be 'fast' or 'reference'; got {value!r}")
        if value == "reference":
            _all_reference = True
        _loaded = True


def fast(op: str) -> Callable | None:
    """The fast kernel registered for ``op``, or None when the op should run its reference
    (none registered, or the switch selects the reference for it)."""
    if not _loaded:
        _load()
    if _all_reference or op in _reference_ops:
        return None
    kernel = _TABLE.get(op)
    return None if kernel is None else kernel.fn


def registered() -> dict[str, Kernel]:
    """Every registered kernel, by the op it replaces."""
    if not _loaded:
        _load()
    return dict(_TABLE)


def _names(ops: str | Iterable[str] | None) -> frozenset[str] | None:
    if ops is None:
        return None
    names = frozenset([ops] if isinstance(ops, str) else ops)
    known = registered()
    unknown = sorted(n for n in names if n not in known)
    if unknown:
        raise ValueError(f"ember.kernels: no kernel replaces {', '.join(map(repr, unknown))}; "
                         f"the ops with one are {', '.join(sorted(known))}")
    return names


def use_reference(flag: bool = True, ops: str | Iterable[str] | None = None) -> None:
    """Run the reference ops (``flag=True``) or the fast kernels (``False``): for every op,
    or only for the named ``ops`` (e.g. ``"conv2d"``).

    Example:
        >>> import ember as em
        >>> em.kernels.use_reference(True, ops="linear")
        >>> em.kernels.selected("linear")
        'reference'
        >>> em.kernels.use_reference(False)
        >>> em.kernels.selected("linear")
        'fast'
    """
    global _all_reference, _reference_ops
    names = _names(ops)
    if names is None:
        _all_reference = bool(flag)
        _reference_ops = frozenset()
    elif flag:
        _reference_ops = _reference_ops | names
    else:
        _reference_ops = _reference_ops - names
        if _all_reference:  # everything else stays on the reference path
            _all_reference = False
            _reference_ops = frozenset(registered()) - names


@contextmanager
def reference(ops: str | Iterable[str] | None = None) -> Iterator[None]:
    """Within the block, run the reference ops (all, or the named ``ops``); the previous
    choice comes back afterwards.

    Example:
        >>> import ember as em
        >>> with em.kernels.reference("conv2d"):
        ...     em.kernels.selected("conv2d")
        'reference'
        >>> em.kernels.selected("conv2d")
        'fast'
    """
    global _all_reference, _reference_ops
    registered()  # the environment's choice is read before it is saved
    saved = (_all_reference, _reference_ops)
    use_reference(True, ops)
    try:
        yield
    finally:
        _all_reference, _reference_ops = saved


def selected(op: str) -> str:
    """"fast" or "reference": what the op named ``op`` runs now."""
    return "fast" if fast(op) is not None else "reference"


def describe() -> dict[str, Any]:
    """What each op with a kernel runs now, e.g. ``{"conv2d": "fast", ...}``."""
    return {op: selected(op) for op in sorted(registered())}
