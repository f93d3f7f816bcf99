"""A small digits data set that needs no network: scikit-learn's bundled 1,797 8x8 images of
handwritten digits (the UCI optical-recognition test set), in MNIST's layout, for demos and
tests that must run in a second."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from ember.datasets._base import Split


def load_data(test_split: float = 0.2, seed: int | None = 0) -> tuple[Split, Split]:
    """Load the 8x8 digits as ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape
    (n, 8, 8) scaled from scikit-learn's 0..16 to 0..255, and uint8 labels 0..9.

    ``test_split`` (in [0, 1)) of the 1,797 images go to the test set (rounded up, as
    scikit-learn's ``train_test_split`` does) after a shuffle drawn from ``seed``; the same
    seed always gives the same split. Needs scikit-learn (``pip install 'ember[sklearn]'``).

    Example::

        (x_train, y_train), (x_test, y_test) = em.datasets.digits.load_data()
        x_train.shape, x_test.shape   # ((1437, 8, 8), (360, 8, 8))
    """
    if isinstance(test_split, bool) or not isinstance(test_split, Real) \
            or not 0 <= test_split < 1:
        raise ValueError(f"em.datasets.digits.load_data: test_split must be a fraction in "
                         f"[0, 1), got {test_split!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral)):
        raise ValueError(f"em.datasets.digits.load_data: seed must be an integer or None, "
                         f"got {seed!r}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError("em.datasets.digits.load_data needs scikit-learn, which is not "
                          "installed: pip install 'ember[sklearn]' (or scikit-learn)") from e
    bunch = load_digits()
    # 0..16 -> 0..255 so that the usual `x / 255.0` preprocessing works as for MNIST.
    images = np.rint(np.asarray(bunch.images) * (255 / 16)).astype(np.uint8)
    labels = np.asarray(bunch.target).astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = math.ceil(test_split * len(labels))
    test, train = order[:n_test], order[n_test:]
    return (images[train], labels[train]), (images[test], labels[test])
