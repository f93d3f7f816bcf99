"""``Variable``: a layer's weight — a Tensor with a name, a path and a trainable flag.

A Variable is a leaf Tensor, so every op accepts it and ``backward()`` fills its ``.grad``.
What it adds is bookkeeping for layers and optimizers: ``name`` ("kernel"), ``path``
("dense_1/kernel"), ``trainable`` (tied to ``requires_grad``), the ``regularizer`` whose penalty
the layer reports in ``losses``, the ``constraint`` an optimizer applies after each update,
and ``assign`` for in-place updates that keep the graph's version check honest.

Example:
    >>> import ember as em
    >>> v = em.Variable([[1.0, 2.0]], name="kernel")
    >>> v.trainable, v.requires_grad, v.shape
    (True, True, (1, 2))
    >>> (v * 3).sum().backward()
    >>> v.grad
    tensor([[3., 3.]])
    >>> v.assign([[0.5, 0.5]])
    <Variable path=kernel shape=(1, 2) dtype=float32 trainable=True>
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor
from ember.devices import place


class Variable(Tensor):
    """A named, trainable leaf tensor holding a layer's weight.

    ``initializer`` is the value (array, list, number or Tensor; copied) or, with ``shape``,
    an initializer (a name such as ``"glorot_uniform"`` or a callable ``init(shape, dtype)``).
    ``dtype`` defaults to ``ember.backend.floatx()`` for floating-point values.
    """

    __slots__ = ("name", "_trainable", "regularizer", "constraint", "path")

    def __init__(self, initializer: Any, shape: Any = None, dtype: Any = None,
                 trainable: bool = True, name: str | None = None, regularizer: Any = None,
                 constraint: Any = None, path: str | None = None) -> None:
        # initializers draw on the CPU (the same values on every device for a given seed);
        # inside an `em.device` scope the weight then moves to that device
        self.data = place(_initial_array(initializer, shape, dtype))
        self.grad = None
        self._node = None
        self._version = 0
        self.requires_grad = False
        self.name = name or "variable"
        self.path = path or self.name
        self.regularizer = regularizer
        self.constraint = constraint
        self._trainable = False
        self.trainable = trainable

    @property
    def trainable(self) -> bool:
        """Whether optimizers update it; setting it sets ``requires_grad`` (floats only)."""
        return self._trainable

    @trainable.setter
    def trainable(self, flag: bool) -> None:
        flag = bool(flag)
        self._trainable = flag
        self.requires_grad = flag and self.data.dtype.kind == "f"
        if not flag:
            self.grad = None

    @property
    def value(self) -> Tensor:
        """The current value as a plain Tensor sharing memory (Keras' ``variable.value``)."""
        from ember.autograd.tensor import wrap_array

        return wrap_array(self.data)

    def assign(self, value: Any) -> Variable:
        """Overwrite the values in place (same shape; cast to this variable's dtype).

        Allowed while gradients are recorded (it is an explicit update, as in Keras); a graph
        that saved the old values then refuses to backpropagate instead of using the new ones.
        """
        arr = value.data if isinstance(value, Tensor) else value
        device = backend.device_of(self.data)
        if backend.device_of(arr) != device:
            arr = backend.to_device(arr, device)
        arr = backend.xp_of(self.data).asarray(arr)
        if arr.shape != self.data.shape:
            raise ValueError(f"Variable '{self.path}'.assign: the value has shape {arr.shape}; "
                             f"the variable has shape {self.data.shape}")
        self.data[...] = arr
        self._version += 1
        return self

    def assign_add(self, delta: Any) -> Variable:
        """``self += delta`` in place."""
        return self.assign(self.data + _array_of(delta))

    def assign_sub(self, delta: Any) -> Variable:
        """``self -= delta`` in place."""
        return self.assign(self.data - _array_of(delta))

    def numpy(self) -> Any:
        """A NumPy copy of the values (a snapshot: later training does not change it)."""
        return backend.to_numpy(self.data).copy()

    def __repr__(self) -> str:
        return (f"<Variable path={self.path} shape={self.data.shape} "
                f"dtype={self.data.dtype.name} trainable={self._trainable}>")


def _array_of(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _initial_array(initializer: Any, shape: Any, dtype: Any) -> Any:
    """The first value of a Variable as an owned array of the right dtype."""
    np = backend.numpy_module()
    if shape is not None and (isinstance(initializer, str) or
                              callable(initializer) and not isinstance(initializer, Tensor)):
        from ember import initializers
        from ember.layers.expected_weights import loading

        shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        dt = np.dtype(dtype or backend.floatx())
        if loading():  # a loader fills every weight from its file next: skip the initializer
            return np.zeros(shape, dt)  # (an Orthogonal LSTM kernel is a QR per weight)
        arr = initializers.get(initializer)(shape, dt)
        arr = arr.data if isinstance(arr, Tensor) else arr
        if not hasattr(arr, "dtype"):
            arr = np.asarray(arr)
        # C order always: an F-ordered weight (a QR factor's transpose) made every update of it
        # and of its optimizer slots a strided loop against its C-ordered gradient (8x slower)
        arr = arr.astype(dt, order="C", copy=True)
        if arr.shape != shape:
            raise ValueError(f"Variable: the initializer returned shape {arr.shape}; expected "
                             f"{shape}")
        return arr
    arr = _array_of(initializer)
    xp = backend.get_array_module(arr)
    arr = xp.asarray(arr)
    if dtype is not None:
        dt = np.dtype(dtype)
    elif arr.dtype.kind == "f" or arr.dtype.kind in "iub" and not hasattr(
            _array_of(initializer), "dtype"):
        # Python numbers and float arrays become the default float type, as Keras does;
        # integer arrays keep their type (counters, lookup tables).
        dt = np.dtype(backend.floatx()) if arr.dtype.kind != "b" else arr.dtype
    else:
        dt = arr.dtype
    arr = arr.astype(dt, order="C", copy=True)
    if shape is not None:
        want = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if arr.shape != want:
            raise ValueError(f"Variable: the value has shape {arr.shape}; shape={want} was "
                             "requested")
    return arr
