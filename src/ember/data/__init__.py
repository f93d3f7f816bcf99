"""Getting data into models: DataFrames and CSV files, batched (memory-mapped) datasets, and
augmentation helpers for image batches.

- ``from_dataframe(df, target=...)`` / ``read_csv(path, target=...)``: tabular data as arrays,
  categorical columns one-hot encoded, missing values reported (needs pandas).
- ``Dataset``: mini-batches over arrays or memory-mapped ``.npy`` files, for ``Model.fit``.
- ``augment``: functional image augmentation on NumPy/CuPy batches (the same kernels as the
  ``RandomFlip`` / ``RandomRotation`` / ... layers in ``ember.layers``).

Example:
    >>> import numpy as np, ember as em
    >>> ds = em.data.Dataset.from_arrays(np.zeros((100, 3)), np.zeros(100), batch_size=32)
    >>> len(ds)
    4
"""

from ember.data.dataset import Dataset
from ember.data.pipeline import AUTOTUNE, Pipeline
from ember.data.tabular import TabularData, from_dataframe, read_csv

# The folder and array loaders, imported on first use (Pillow only when images are asked for).
_LAZY = {
    "image_dataset_from_directory": "ember.data.images",
    "text_dataset_from_directory": "ember.data.text",
    "timeseries_dataset_from_array": "ember.data.timeseries",
    "from_torch": "ember.data.torch_loader",
}


def __getattr__(name: str):
    # ``augment`` imports the layers package; load it only when asked for.
    import importlib

    if name == "augment":
        return importlib.import_module("ember.data.augment")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ember.data' has no attribute {name!r}")


__all__ = ["AUTOTUNE", "Dataset", "Pipeline", "TabularData", "augment", "from_dataframe",
           "from_torch", "image_dataset_from_directory", "read_csv", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
