"""Small helpers users expect from Keras: seeding, label encoding, normalization."""

from __future__ import annotations

from typing import Any

from ember import backend


def set_random_seed(seed: int) -> None:
    """Seed everything ember draws from (weights, dropout, shuffling) and Python's and NumPy's
    global generators: two runs with the same seed give bit-identical results on the CPU.

    Example:
        >>> import ember as em
        >>> em.utils.set_random_seed(0); a = em.randn(3)
        >>> em.utils.set_random_seed(0); b = em.randn(3)
        >>> bool((a == b).all())
        True
    """
    backend.set_seed(seed)


def to_categorical(y: Any, num_classes: int | None = None, dtype: str = "float32") -> Any:
    """Integer class labels -> one-hot rows, as ``keras.utils.to_categorical`` (NumPy arrays)."""
    np = backend.numpy_module()
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and (y.min() < 0 or not np.all(y == np.round(y))):
        raise ValueError("to_categorical: labels must be non-negative integers")
    y = y.astype("int64")
    n = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and y.max() >= n:
        raise ValueError(f"to_categorical: label {int(y.max())} does not fit num_classes={n}")
    return np.eye(n, dtype=dtype)[y]


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Scale each slice along ``axis`` to unit ``order``-norm (zero slices stay zero)."""
    np = backend.numpy_module()
    x = np.asarray(x)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def clear_session() -> None:
    """Reset layer-name counters (the next Dense is 'dense' again), as Keras' clear_session."""
    backend.clear_session()


# Keras' keras.utils names that live in other ember modules, loaded on first use so that
# `import ember` stays light (Pillow, the data pipeline, the text tools are imported only
# when asked for).
_LAZY = {
    "load_img": "ember.utils.image_utils",
    "img_to_array": "ember.utils.image_utils",
    "array_to_img": "ember.utils.image_utils",
    "save_img": "ember.utils.image_utils",
    "get_file": "ember.utils.file_utils",
    "Progbar": "ember.utils.progbar",
    "PyDataset": "ember.utils.py_dataset",
    "Sequence": "ember.utils.py_dataset",
    "pad_sequences": "ember.utils.sequences",
    "plot_model": "ember.utils.model_visualization",
    "model_to_dot": "ember.utils.model_visualization",
    "plot_history": "ember.callbacks.history_plot",
    "image_dataset_from_directory": "ember.data.images",
    "text_dataset_from_directory": "ember.data.text",
    "timeseries_dataset_from_array": "ember.data.timeseries",
    "split_dataset": "ember.utils.dataset_split",
    "Config": "ember.utils.config",
    "get_source_inputs": "ember.utils.keras_tensors",
    "is_keras_tensor": "ember.utils.keras_tensors",
    "standardize_dtype": "ember.utils.keras_tensors",
    "enable_interactive_logging": "ember.backend",
    "disable_interactive_logging": "ember.backend",
    "is_interactive_logging_enabled": "ember.backend",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ember.utils' has no attribute {name!r}")
