"""Boston housing prices (506 samples, 13 features), as ``keras.datasets.boston_housing``.

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.boston_housing.load_data()
"""

from __future__ import annotations

from typing import Any

from ember.datasets import _tabular_npz

SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: Any = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
              ) -> tuple:
    """((x_train, y_train), (x_test, y_test)) after Keras' seeded shuffle."""
    where = "boston_housing.load_data"
    if not 0 <= test_split < 1:
        raise ValueError(f"{where}: test_split must be in [0, 1); got {test_split}")
    x, y = _tabular_npz.load_xy(where, path, "boston_housing.npz", SHA256)
    return _tabular_npz.split(where, x, y, test_split, seed)
