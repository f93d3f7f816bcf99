"""Keras' small tensor utilities: ``is_keras_tensor``, ``get_source_inputs`` (for the
symbolic tensors of the functional API) and ``standardize_dtype``.

Example:
    >>> import ember as em
    >>> x = em.Input((3,)); y = em.layers.Dense(2)(x)
    >>> em.utils.is_keras_tensor(y), em.utils.get_source_inputs(y)[0] is x
    (True, True)
    >>> em.utils.standardize_dtype(float), em.utils.standardize_dtype("int")
    ('float32', 'int32')
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.layers.input_layer import InputLayer
from ember.layers.symbolic import SymbolicTensor
from ember.layers.tracking import flatten_nested

# Keras 3's dtype names (keras.src.backend.common.dtypes.ALLOWED_DTYPES)
ALLOWED_DTYPES = frozenset({
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2",
    "complex64", "complex128"})
# what Keras maps Python types and "int" to (its JAX, torch and NumPy backends)
_PYTHON = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
           complex: "complex64"}


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of the functional API (``em.Input`` or a layer's
    output on one), not a concrete tensor or array."""
    return isinstance(x, SymbolicTensor)


def get_source_inputs(tensor: Any) -> Any:
    """The ``Input`` tensors ``tensor`` is computed from (a list, each once, in the order
    found); a tensor with no graph behind it is returned as is, as Keras does."""
    if not isinstance(tensor, SymbolicTensor):
        return tensor
    node = tensor.node
    if node is None:
        return [tensor]
    if isinstance(node.layer, InputLayer):
        return list(node.outputs)
    sources: list = []
    for parent in flatten_nested(node.inputs):
        for source in get_source_inputs(parent):
            if not any(source is s for s in sources):
                sources.append(source)
    return sources


def standardize_dtype(dtype: Any) -> str:
    """Keras' canonical dtype name: None -> floatx, ``float`` -> "float32", ``int`` and
    "int" -> "int32", NumPy / PyTorch / JAX dtypes by their names."""
    if dtype is None:
        return backend.floatx()
    try:
        dtype = _PYTHON.get(dtype, dtype)
    except TypeError:  # unhashable: fall through to the name checks
        pass
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    elif "torch" in str(dtype) or "jax.numpy" in str(dtype):
        dtype = str(dtype).split(".")[-1]
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"standardize_dtype: invalid dtype {dtype!r}; expected None, a Python "
                         f"type or one of {', '.join(sorted(ALLOWED_DTYPES))}")
    return dtype
