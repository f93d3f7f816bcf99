"""California housing prices (20,640 samples, 8 features), as
``keras.datasets.california_housing``.

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.california_housing.load_data()
"""

from __future__ import annotations

from typing import Any

from ember.datasets import _tabular_npz

SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version: str = "large", path: Any = "california_housing.npz",
              test_split: float = 0.2, seed: int = 113) -> tuple:
    """((x_train, y_train), (x_test, y_test)); ``version="small"`` keeps the first 600."""
    where = "california_housing.load_data"
    if not 0 <= test_split < 1:
        raise ValueError(f"{where}: test_split must be in [0, 1); got {test_split}")
    if version not in ("large", "small"):
        raise ValueError(f"{where}: version must be 'large' or 'small'; got {version!r}")
    x, y = _tabular_npz.load_xy(where, path, "california_housing.npz", SHA256)
    if version == "small":
        x, y = x[:600], y[:600]
    return _tabular_npz.split(where, x, y, test_split, seed)
