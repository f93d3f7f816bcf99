"""Comparing ember.metrics' results with scikit-learn's: nested dicts and tuples, NaN equal."""

from __future__ import annotations

import numpy as np


def same(a, b):
    if isinstance(b, dict):
        assert a.keys() == b.keys()
        for k in b:
            same(a[k], b[k])
    elif isinstance(b, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif b is None:
        assert a is None
    else:
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   rtol=1e-6, atol=1e-9, equal_nan=True)
