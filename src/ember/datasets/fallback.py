"""MNIST when it is on this machine (or downloadable), else the 8x8 digits that need no network:
what the quickstart and the examples train on."""

from __future__ import annotations

from ember.datasets import digits as digits_set
from ember.datasets import mnist


def mnist_or_digits(path: str | None = None, use_digits: bool = False,
                    test_split: float = 0.2) -> tuple[tuple, str]:
    """``(((x_train, y_train), (x_test, y_test)), name)``: MNIST read from ``path`` (or
    ``$EMBER_DATA_DIR``, the cache, a mirror), or, when it is missing or ``use_digits`` is set,
    scikit-learn's 8x8 digits split with ``test_split``. Falling back prints why, on one line;
    a corrupt MNIST file still raises (nothing trains silently on other data).

    Example::

        (x_train, y_train), (x_test, y_test) = em.datasets.mnist_or_digits()[0]
    """
    if not use_digits:
        try:
            return mnist.load_data(path=path), "MNIST"
        except OSError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"MNIST is not available ({first}); using the embedded 8x8 digits instead "
                  "(pass the MNIST folder or set EMBER_DATA_DIR to use MNIST)", flush=True)
    return digits_set.load_data(test_split=test_split, seed=0), "digits (8x8)"
