"""``Tensor``: an array (NumPy or CuPy), its gradient, and the node of the op that made it.

This file holds only what a tensor *is*: data, gradient bookkeeping, conversion, in-place
updates with a version counter, and ``backward``. The operators (``a + b``, ``a @ b``, ``t[i]``)
and methods such as ``t.sum()`` are ops, which sit above autograd; they are attached when
``ember.ops`` is imported, by ``ember/ops/tensor_operators.py``, whose table says which function
each operator calls (``a + b`` is ``ember.ops.elementwise.add``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy

from ember import backend
from ember.autograd.mode import STATE
from ember.autograd.node import Node


def _float_kind(dtype: Any) -> bool:
    return dtype.kind == "f"


def _to_array(value: Any, dtype: Any = None, device: str | None = None) -> Any:
    """An array from a scalar, list, NumPy/CuPy array or Tensor; Python floats become floatx."""
    if isinstance(value, Tensor):
        value = value.data
    if device is not None:
        xp = backend.module_for(device)
    else:
        xp = backend.get_array_module(value)
    if dtype is not None:
        arr = xp.asarray(value, dtype=dtype)
    elif hasattr(value, "dtype") and hasattr(value, "shape"):
        if type(value).__module__.startswith("torch") and hasattr(value, "__dlpack__"):
            return _to_array(_from_torch(value), None, device)
        arr = xp.asarray(value)  # arrays keep their dtype (no copy when possible)
    else:
        arr = xp.asarray(value)
        if arr.dtype.kind == "f" and arr.dtype.name != backend.floatx():
            arr = arr.astype(backend.floatx())  # Python floats -> the default float type
    if device is not None and backend.device_of(arr) != backend.normalize_device(device):
        arr = backend.to_device(arr, device)
    return arr


def _from_torch(value: Any) -> Any:
    """A PyTorch tensor's memory as a NumPy (or CuPy) array, without a copy (DLPack)."""
    if value.requires_grad:
        raise TypeError("em.tensor: the PyTorch tensor requires grad; pass t.detach() (its "
                        "gradient history cannot come along)")
    if value.device.type == "cuda":
        return backend.cupy_module().from_dlpack(value)
    return numpy.from_dlpack(value.resolve_conj().resolve_neg())


class Tensor:
    """An n-dimensional array that can record the ops applied to it and backpropagate.

    Example:
        >>> import ember as em
        >>> x = em.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    # `_mask` is set by layers that produce a padding mask (Embedding(mask_zero=True)) for
    # the layers after them. It starts as None: every layer call reads `_mask`, and reading an
    # unset slot raises inside getattr (~0.2 us each).
    __slots__ = ("data", "grad", "requires_grad", "_node", "_version", "_mask", "__weakref__")
    __array_priority__ = 1000  # NumPy defers `ndarray + Tensor` to Tensor.__radd__
    # `a + b`, `a * b`, `a @ b`, `t[i]`, `t.sum()`, ...: see ember/ops/tensor_operators.py
    __array_ufunc__ = None

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 device: str | None = None) -> None:
        self.data = _to_array(data, dtype, device)
        self.grad: Tensor | None = None
        self._node: Node | None = None
        self._version = 0
        self.requires_grad = False
        self._mask = None
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- description
    @property
    def _keras_mask(self) -> Any:
        """Keras' name for the padding mask a layer attached (ember's ``_mask``)."""
        return self._mask

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user, not by a recorded op."""
        return self._node is None

    @property
    def grad_fn(self) -> str | None:
        """The name of the op that made this tensor, or None for a leaf."""
        return None if self._node is None else self._node.op

    def __repr__(self) -> str:
        body = numpy.array2string(backend.to_numpy(self.data), separator=", ", prefix="tensor(")
        extra = []
        if self.data.dtype.name not in (backend.floatx(), "int64", "bool"):
            extra.append(f"dtype={self.data.dtype.name}")
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self._node is not None:
            extra.append(f"grad_fn={self._node.op}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extra) + ")"

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or "
                ".all()"
            )
        return bool(self.data)

    __hash__ = object.__hash__  # `==` is elementwise, so tensors hash by identity

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (shares memory on the CPU; copies from a GPU)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> numpy.ndarray:
        """``numpy.asarray(t)``: the values, refused for a tensor that requires grad (the
        array would silently drop out of the graph); use ``t.detach()`` or ``t.numpy()``."""
        if self.requires_grad:
            raise TypeError(
                "numpy.asarray() of a tensor that requires grad: the array would leave the "
                "graph and its gradient would be lost; use t.detach() (or t.numpy()) first"
            )
        arr = backend.to_numpy(self.data)
        return arr if dtype is None else arr.astype(dtype)

    def item(self) -> Any:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): the tensor has {self.data.size} elements, not 1")
        return self.data.item()

    def tolist(self) -> Any:
        return backend.to_numpy(self.data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.data.item())

    # ----------------------------------------------------------------- gradients
    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Mark this leaf as needing a gradient (floating-point tensors only)."""
        if flag and not _float_kind(self.data.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients; this one is "
                f"{self.data.dtype.name} (convert it first, e.g. t.astype('float32'))"
            )
        if not flag and self._node is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf: use .detach() instead")
        self.requires_grad = bool(flag)
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no copy)."""
        return wrap_array(self.data)

    def backward(self, grad: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` is d(loss)/d(self); it may be omitted only for a one-element tensor.
        ``create_graph=True`` records the backward pass so that gradients can be
        differentiated again; ``retain_graph=True`` keeps the graph for another backward.
        """
        from ember.autograd.engine import run_backward

        run_backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    # ----------------------------------------------------------------- in-place updates
    def _check_inplace(self, what: str) -> None:
        if STATE.enabled and self.requires_grad and self._node is None:
            raise RuntimeError(
                f"{what}: in-place change of a leaf tensor that requires grad (PyTorch: a leaf "
                "Variable that requires grad is being used in an in-place operation); wrap it "
                "in `with em.no_grad():` (as optimizers do) or work on a copy"
            )
        if STATE.enabled and self._node is not None:
            raise RuntimeError(
                f"{what}: in-place change of a tensor that is part of a recorded graph is not "
                "supported; use the out-of-place op"
            )

    def _bump(self) -> Tensor:
        self._version += 1
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        if isinstance(value, Tensor):
            if value.requires_grad and STATE.enabled:
                raise RuntimeError(
                    "__setitem__: the assigned value requires grad, but assignment is not "
                    "recorded and its gradient would be lost; build the tensor with "
                    "em.concatenate / em.stack / em.where / em.pad instead"
                )
            value = value.data
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        self.data[index] = value
        self._bump()

    # zero_, fill_, copy_, add_, sub_, mul_, += ... live in ember.ops.inplace (bound there)


def wrap_array(data: Any) -> Tensor:
    """A Tensor around the array ``data`` with no graph (the hot path: no checks, no copies).

    Example:
        >>> import numpy as np
        >>> t = wrap_array(np.ones(3, dtype="float32"))
        >>> t.dtype, t.requires_grad
        (dtype('float32'), False)
    """
    t = object.__new__(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = False
    t._node = None
    t._version = 0
    t._mask = None
    return t


def record_op(data: Any, parents: tuple, backward: Callable, op: str, saved: tuple = (),
              fused: bool = False, keep_output: bool = False) -> Tensor:
    """Wrap an op's output ``data`` and record the op when a parent needs a gradient.

    Every differentiable op ends with it: ``exp`` is
    ``record_op(xp.exp(x.data), (x,), lambda g: (g * out,), "exp")``, roughly.

    ``backward(g)`` gets d(loss)/d(output) as a Tensor and returns one gradient per parent
    (a Tensor, or None where not needed); broadcasting is undone by the engine.
    ``keep_output=True`` says that backward reads the output itself (exp, tanh, softmax):
    it joins ``saved`` for the in-place version check.
    """
    if isinstance(data, numpy.generic):  # NumPy ufuncs turn 0-d arrays into scalars
        data = numpy.asarray(data)
    out = object.__new__(Tensor)
    out.data = data
    out.grad = None
    out._version = 0
    out._mask = None
    if STATE.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._node = Node(op, parents, backward, saved + (out,) if keep_output else saved,
                                 fused)
                return out
    out.requires_grad = False
    out._node = None
    return out


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor; a Python number or float array takes ``like``'s float dtype.

    This keeps float32 float32: ``t * 2.0`` or ``t * numpy.float64(2)`` stay in t's precision.
    """
    if isinstance(value, Tensor):
        return value
    if like is not None:
        dt = like.data.dtype
        xp = backend.get_array_module(like.data)
        if isinstance(value, (bool, int, float)) and not isinstance(value, numpy.ndarray):
            if dt.kind == "f" or (dt.kind in "iu" and isinstance(value, int)) or dt.kind == "b" \
                    and isinstance(value, bool):
                return wrap_array(xp.asarray(value, dtype=dt))
            return wrap_array(xp.asarray(value, dtype=backend.floatx()))
        arr = xp.asarray(value)
        if dt.kind == "f" and arr.dtype.kind in "fiub" and arr.dtype != dt:
            arr = arr.astype(dt)
        return wrap_array(arr)
    return Tensor(value)
