"""Devices: ``em.device("cpu" | "cuda" | "cuda:N")``, a name and a scope for new tensors.

A ``Device`` is a small value (``str(d)``, ``d == "cuda"``) and a context manager: inside
``with em.device("cuda"):`` new tensors made from Python or NumPy data (``em.tensor``,
``em.zeros``, ``em.randn``, ... with ``device=None``), NumPy inputs given to layers and the
weights of layers built there live on that device. Outside any scope the default is "cpu" and
nothing moves: an existing CuPy array stays on its GPU. The scope is per thread, as PyTorch's.

Example:
    >>> import ember as em
    >>> d = em.device("cpu")
    >>> d, str(d), d == "cpu"
    (device(type='cpu'), 'cpu', True)
    >>> with em.device("cpu"):
    ...     em.zeros(2).device
    'cpu'
    >>> em.devices.default_device()
    'cpu'

Asking for "cuda" where CuPy or a GPU is missing raises a ``RuntimeError`` that says what to
install (``pip install 'ember[gpu]'``); ``em.cuda.is_available()`` asks first without raising.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor

_TYPES = ("cpu", "cuda")


class Device:
    """A device: ``type`` ("cpu" or "cuda") and ``index`` (the GPU number, or None).

    ``Device("cuda")`` means the current GPU; ``Device("cuda:1")`` the second one. Equality
    compares the type, and the index where both sides name one, so a tensor's ``device``
    ("cuda") equals ``em.device("cuda:0")``; strings compare as devices.
    """

    __slots__ = ("type", "index", "_cupy_ctx")

    def __init__(self, spec: Any = "cpu", index: int | None = None) -> None:
        if isinstance(spec, Device):
            kind, idx = spec.type, spec.index
        else:
            kind, idx = _parse(spec)
        if index is not None:
            if idx is not None and idx != index:
                raise ValueError(f"em.device: {spec!r} names GPU {idx} but index={index}")
            idx = _check_index(index, spec)
        if kind == "cpu" and idx not in (None, 0):
            raise ValueError(f"em.device: there is one CPU device; got {spec!r} with index {idx}")
        self.type = kind
        self.index = idx if kind == "cuda" else None
        self._cupy_ctx: list = []

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{extra})"

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Device):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return NotImplemented
        if self.type != other.type:
            return False
        return self.index is None or other.index is None or self.index == other.index

    def __hash__(self) -> int:
        return hash(self.type)  # equal devices (cuda, cuda:0) must hash alike

    # ------------------------------------------------------------------ scope
    def __enter__(self) -> Device:
        if self.type == "cuda":
            require_cuda(f"em.device({str(self)!r})")  # now, not at the first tensor
            cupy = backend.cupy_module()
            if self.index is not None:
                ctx = cupy.cuda.Device(self.index)
                ctx.__enter__()
                self._cupy_ctx.append(ctx)
            else:
                self._cupy_ctx.append(None)
        _stack().append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _stack().pop()
        if self.type == "cuda":
            ctx = self._cupy_ctx.pop()
            if ctx is not None:
                ctx.__exit__(*exc)


device = Device  # `em.device("cuda")`, and `isinstance(d, em.device)` as in PyTorch


def _parse(spec: Any) -> tuple[str, int | None]:
    if spec is None:
        return "cpu", None
    if not isinstance(spec, str):
        raise TypeError(f"em.device: expected a string such as 'cpu', 'cuda' or 'cuda:0'; got "
                        f"{type(spec).__name__} {spec!r}")
    name = spec.strip().lower()
    kind, sep, idx = name.partition(":")
    if kind == "gpu":
        kind = "cuda"
    if kind not in _TYPES or (sep and not idx):
        raise ValueError(f"em.device: unknown device {spec!r}; expected 'cpu', 'cuda' or "
                         "'cuda:N'")
    if not sep:
        return kind, None
    if not idx.isdigit():
        raise ValueError(f"em.device: the index in {spec!r} must be a non-negative integer")
    return kind, int(idx)


def _check_index(index: Any, spec: Any) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"em.device({spec!r}, index={index!r}): the index must be a "
                         "non-negative integer")
    return index


# ---------------------------------------------------------------------- the default device
class _Scopes(threading.local):
    def __init__(self) -> None:
        self.stack: list[Device] = []


_SCOPES = _Scopes()


def _stack() -> list[Device]:
    return _SCOPES.stack


def default_device() -> str:
    """The device new tensors go to: the innermost ``em.device`` scope's type, else "cpu"."""
    stack = _SCOPES.stack
    return stack[-1].type if stack else "cpu"


def scoped_device() -> str | None:
    """The innermost scope's device type, or None outside every scope (then data stays where
    it is: NumPy on the CPU, CuPy on its GPU). Creation functions pass it as ``device``."""
    stack = _SCOPES.stack
    return stack[-1].type if stack else None


def place(array: Any) -> Any:
    """``array`` moved to the scope's device (unchanged outside any scope or when there)."""
    stack = _SCOPES.stack
    if not stack:
        return array
    return backend.to_device(array, stack[-1].type)


# ---------------------------------------------------------------------- models and batches
def model_device(model: Any) -> str:
    """Where a layer or model computes: its first weight's device; before it has weights, the
    device ``model.to`` chose, else the default device (where its weights will be made)."""
    weights = model.weights
    if weights:
        return backend.device_of(weights[0].data)
    chosen = getattr(model, "_device", None)
    return chosen if chosen is not None else default_device()


def move_batch(arrays: Iterable | None, device: str) -> list | None:
    """Each array of a batch on ``device`` (one copy each; None entries and None stay)."""
    if arrays is None:
        return None
    return [a if a is None else a.to(device) if isinstance(a, Tensor)
            else backend.to_device(a, device) for a in arrays]


def require_cuda(what: str) -> None:
    """Raise the clear error (what to install) unless CuPy and a GPU are usable."""
    try:
        backend.cupy_module()
    except RuntimeError as exc:
        raise RuntimeError(f"{what}: CUDA is not available: {exc}. {_hint(str(exc))}") from exc


def _hint(message: str) -> str:
    if backend.CUDA_INSTALL_HINT in message:
        return "Check em.cuda.is_available() first, or use device='cpu'"
    return (f"{backend.CUDA_INSTALL_HINT}. Check em.cuda.is_available() first, or use "
            "device='cpu'")


def probe_zeros(shape: Any, dtype: Any, owner: Any) -> Any:
    """Zeros of ``shape`` (unknown axes, None, taken as 1) on ``owner``'s device: the batch
    that shape inference and ``Model.build`` run through a layer or model."""
    from ember.safe_io import check_probe

    check_probe(shape, owner)  # a loader caps what a crafted input shape may cost
    xp = backend.module_for(model_device(owner))
    return xp.zeros(tuple(1 if d is None else d for d in shape), dtype=dtype)
