"""Ready-made data sets as NumPy arrays in Keras' layout:
``((x_train, y_train), (x_test, y_test))``.

- ``mnist``: handwritten digits, 28x28 (downloaded once and cached, or read from a folder).
- ``fashion_mnist``: clothing photos, 28x28, the same format as MNIST.
- ``cifar10`` / ``cifar100``: 32x32 colour photos (CIFAR's python batches, read safely).
- ``imdb`` / ``reuters``: word-index sequences (``num_words``, ``maxlen``, ``get_word_index``).
- ``boston_housing`` / ``california_housing``: regression tables.
- ``digits``: scikit-learn's bundled 8x8 digits, no network needed.
- ``mnist_or_digits()``: MNIST when it is available, else the digits (the quickstart's data).

Without internet, point ``load_data(path=...)`` or the ``EMBER_DATA_DIR`` environment variable at
a folder holding the files; downloads are cached under ``~/.ember/datasets`` (``$EMBER_HOME``).

Example::

    (x_train, y_train), (x_test, y_test) = em.datasets.mnist.load_data()
"""

from ember.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from ember.datasets._download import DownloadError, data_home
from ember.datasets.fallback import mnist_or_digits

__all__ = ["DownloadError", "boston_housing", "california_housing", "cifar10", "cifar100",
           "data_home", "digits", "fashion_mnist", "imdb", "mnist", "mnist_or_digits",
           "reuters"]
