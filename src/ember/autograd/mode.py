"""Whether ops record the graph: ``no_grad`` / ``enable_grad`` / ``set_grad_enabled``.

A plain module-level flag (not thread-local): the check sits on every op's hot path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


STATE = _GradState()


def is_grad_enabled() -> bool:
    """True when new ops record what backward needs."""
    return STATE.enabled


def _with_mode(fn: Callable, mode: bool) -> Callable:
    """``fn`` run with recording set to ``mode`` (the decorator form of the classes below)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prev = STATE.enabled
        STATE.enabled = mode
        try:
            return fn(*args, **kwargs)
        finally:
            STATE.enabled = prev

    return wrapper


class _Mode:
    mode = True

    def __enter__(self) -> None:
        self.prev = STATE.enabled
        STATE.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        STATE.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        return _with_mode(fn, self.mode)


class set_grad_enabled(_Mode):
    """Switch recording on or off; works as a call, a context manager and a decorator.

    Example:
        >>> import ember as em
        >>> with em.set_grad_enabled(False):
        ...     y = em.ones(2, requires_grad=True) * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, mode: bool) -> None:
        self.prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode  # the plain-call form: em.set_grad_enabled(False)

    def __enter__(self) -> None:
        STATE.enabled = self.mode  # self.prev was taken when the object was made

    def __call__(self, fn: Callable) -> Callable:
        STATE.enabled = self.prev  # used as a decorator: do not change the mode now
        return _with_mode(fn, self.mode)


class no_grad(_Mode):
    """Context manager / decorator: ops inside record nothing (inference, weight updates).

    Example:
        >>> import ember as em
        >>> x = em.ones(3, requires_grad=True)
        >>> with em.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_Mode):
    """Context manager / decorator: turn recording back on inside a ``no_grad`` block."""

    mode = True


class inference_mode(_Mode):
    """PyTorch's ``inference_mode``: ``no_grad`` for inference (``mode=False`` records).

    Example:
        >>> import ember as em
        >>> with em.inference_mode():
        ...     y = em.ones(2, requires_grad=True) * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode
