"""How the preprocessing layers (TextVectorization, the lookups, CategoryEncoding,
Discretization, Hashing) take their inputs: as they come, strings included.

``Layer.__call__`` turns a list into a list of tensors and casts floats to the layer's
dtype; a vocabulary lookup wants the raw NumPy array instead (a list of strings is one
batch, a float64 boundary compare stays float64). These layers mix in ``RawInputs`` so
that ``Layer.__call__`` (and with it the functional API, Sequential and fit/predict)
handles them like any layer, while ``call`` gets the array as given.

Example:
    >>> import numpy as np
    >>> as_array(["a", "b"]).tolist()
    ['a', 'b']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor, wrap_array


def as_array(inputs: Any) -> np.ndarray:
    """``inputs`` (a Tensor, a DataFrame/Series, an array, nested lists) as a NumPy array;
    lists of strings become an object array (no fixed-width truncation)."""
    if isinstance(inputs, Tensor):
        inputs = inputs.data
    if hasattr(inputs, "to_numpy") and not isinstance(inputs, np.ndarray):
        inputs = inputs.to_numpy()
    if isinstance(inputs, np.ndarray):
        return inputs
    if hasattr(inputs, "__array__"):
        return np.asarray(inputs)
    arr = np.asarray(inputs)
    return arr.astype(object) if arr.dtype.kind in "US" else arr


class RawInputs:
    """Mixin for ``Layer`` subclasses: ``call`` receives a Tensor wrapping the input array
    unchanged (no list splitting, no float cast)."""

    def _convert_inputs(self, inputs: Any) -> Any:
        if isinstance(inputs, Tensor):
            return inputs
        return wrap_array(as_array(inputs))
