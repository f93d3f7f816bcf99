"""Weights from and for other frameworks: Keras 3 ``.keras`` and ``.weights.h5`` files, and
PyTorch state_dicts.

Example:
    >>> import ember as em
    >>> em.interop.load_torch_state_dict.__name__, em.interop.load_keras_model.__name__
    ('load_torch_state_dict', 'load_keras_model')
"""

from __future__ import annotations

from ember.interop.keras_file import load_keras_model, save_keras_model
from ember.interop.keras_h5 import load_weights_h5, save_weights_h5
from ember.interop.torch_state_dict import StateDictReport, load_torch_state_dict

__all__ = ["load_keras_model", "save_keras_model", "load_weights_h5", "save_weights_h5",
           "load_torch_state_dict", "StateDictReport"]
