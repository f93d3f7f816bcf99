"""Splitting data: ``train_test_split``, ``train_val_test_split`` and scikit-learn's splitters.

The splitters (``KFold``, ``StratifiedKFold``, ``LeaveOneOut``, ...) ARE scikit-learn's,
re-exported: they are well tested and users already know them. scikit-learn is imported on
first use (``pip install 'ember[sklearn]'``).

Example:
    >>> import numpy as np
    >>> from ember.model_selection import train_val_test_split
    >>> x, y = np.arange(20).reshape(10, 2), np.arange(10) % 2
    >>> x_tr, x_val, x_te, y_tr, y_val, y_te = train_val_test_split(
    ...     x, y, val_size=0.2, test_size=0.2, stratify=y, random_state=0)
    >>> len(x_tr), len(x_val), len(x_te)
    (6, 2, 2)
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from ember.model_selection._deps import require

# scikit-learn's cross-validation splitters, re-exported unchanged by ember.model_selection
SPLITTERS = (
    "KFold", "StratifiedKFold", "LeaveOneOut", "LeavePOut", "ShuffleSplit",
    "StratifiedShuffleSplit", "GroupKFold", "StratifiedGroupKFold", "RepeatedKFold",
    "RepeatedStratifiedKFold", "TimeSeriesSplit", "PredefinedSplit",
)


def splitter(name: str) -> Any:
    """scikit-learn's splitter class ``name`` (imported on first use)."""
    return getattr(require("sklearn.model_selection", f"em.model_selection.{name}"), name)


def train_test_split(*arrays: Any, test_size: float | int | None = None,
                     train_size: float | int | None = None, random_state: Any = None,
                     shuffle: bool = True, stratify: Any = None) -> list:
    """Split arrays (NumPy arrays, lists, DataFrames) into random train and test parts.

    This is scikit-learn's ``train_test_split``: ``test_size`` is a fraction or a count
    (0.25 when neither size is given), ``stratify=y`` keeps the class proportions of ``y``
    in both parts. Returns ``[a_train, a_test, b_train, b_test, ...]``.

    Example:
        >>> import numpy as np
        >>> from ember.model_selection import train_test_split
        >>> x_tr, x_te, y_tr, y_te = train_test_split(np.zeros((8, 2)), np.arange(8) % 2,
        ...                                           test_size=0.25, stratify=np.arange(8) % 2)
        >>> x_tr.shape, sorted(y_te.tolist())
        ((6, 2), [0, 1])
    """
    sk = require("sklearn.model_selection", "em.model_selection.train_test_split")
    return sk.train_test_split(*arrays, test_size=test_size, train_size=train_size,
                               random_state=random_state, shuffle=shuffle, stratify=stratify)


def _count(size: Any, n: int, name: str) -> int:
    if isinstance(size, bool) or not isinstance(size, Real):
        raise ValueError(f"train_val_test_split: {name} must be a fraction in (0, 1) or a "
                         f"number of samples; got {size!r}")
    if isinstance(size, Integral):
        if not 1 <= size < n:
            raise ValueError(f"train_val_test_split: {name}={size} must be between 1 and "
                             f"{n - 1} for {n} samples")
        return int(size)
    if not 0.0 < size < 1.0:
        raise ValueError(f"train_val_test_split: {name}={size} must be a fraction in (0, 1)")
    return max(1, math.ceil(size * n))  # rounded up, as scikit-learn does for the test part


def train_val_test_split(*arrays: Any, val_size: float | int, test_size: float | int,
                         stratify: Any = None, random_state: Any = None,
                         shuffle: bool = True) -> list:
    """Split arrays into training, validation and test parts in one call.

    ``val_size`` and ``test_size`` are fractions of ALL the samples (or counts); the training
    part is the rest. ``stratify=y`` keeps the class proportions in all three parts. Returns,
    for each array in order, its training, validation and test parts:
    ``[a_train, a_val, a_test, b_train, b_val, b_test, ...]``.

    Example:
        >>> import numpy as np
        >>> from ember.model_selection import train_val_test_split
        >>> parts = train_val_test_split(np.arange(100), val_size=0.1, test_size=0.2,
        ...                              random_state=0)
        >>> [len(p) for p in parts]
        [70, 10, 20]
    """
    if not arrays:
        raise ValueError("train_val_test_split: pass at least one array")
    n = len(arrays[0])
    n_test = _count(test_size, n, "test_size")
    n_val = _count(val_size, n, "val_size")
    if n_test + n_val >= n:
        raise ValueError(f"train_val_test_split: val_size={val_size} and test_size={test_size} "
                         f"leave no training samples out of {n} ({n_val} validation + "
                         f"{n_test} test)")
    # stratify travels as one more array, so the second split can stratify what is left
    extra = [] if stratify is None else [stratify]
    first = train_test_split(*arrays, *extra, test_size=n_test, random_state=random_state,
                             shuffle=shuffle, stratify=stratify)
    rest, test = first[0::2], first[1::2]
    rest_strat = rest.pop() if extra else None
    if extra:
        test.pop()
    second = train_test_split(*rest, test_size=n_val, random_state=random_state,
                              shuffle=shuffle, stratify=rest_strat)
    out: list = []
    for i in range(len(arrays)):
        out += [second[2 * i], second[2 * i + 1], test[i]]
    return out
