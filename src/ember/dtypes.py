"""dtype objects under PyTorch's and NumPy's names: ``em.float32``, ``em.int64``, ``em.long``.

They are NumPy dtypes, so ``t.dtype == em.float32``, ``t.to(em.float64)``,
``em.zeros(3, dtype=em.int64)`` and ``numpy.zeros(3, dtype=em.float32)`` all work.
"""

from __future__ import annotations

import numpy

float16 = half = numpy.dtype("float16")
float32 = float = numpy.dtype("float32")  # noqa: A001 - torch.float is float32
float64 = double = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = short = numpy.dtype("int16")
int32 = int = numpy.dtype("int32")  # noqa: A001 - torch.int is int32
int64 = long = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool = numpy.dtype("bool")  # noqa: A001 - torch.bool
complex64 = cfloat = numpy.dtype("complex64")
complex128 = cdouble = numpy.dtype("complex128")

# `float`, `int` and `bool` are attributes (em.float is float32, as torch.float) but not in
# __all__: `from ember import *` must not replace Python's builtins.
__all__ = ["float16", "half", "float32", "float64", "double", "int8", "int16", "short",
           "int32", "int64", "long", "uint8", "complex64", "cfloat", "complex128", "cdouble"]
