"""Fashion-MNIST: 70,000 28x28 grayscale photos of clothing in 10 classes, a drop-in harder
replacement for MNIST, as in ``keras.datasets.fashion_mnist``.

The data set is by Zalando Research (Han Xiao, Kashif Rasul, Roland Vollgraf), MIT license.
"""

from __future__ import annotations

import os

from ember.datasets._base import IdxDataset, Split, load

# The label -> name table from Zalando's README.
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")

MIRRORS = [
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
]

# Zalando publishes md5 digests of the .gz files themselves (no digests of the uncompressed
# content are published), so these check the compressed bytes: a mirror that recompressed the
# files fails the check and the next mirror is tried.
_SPEC = IdxDataset(
    title="Fashion-MNIST",
    function="em.datasets.fashion_mnist.load_data",
    name="fashion_mnist",
    subdirs=("fashion_mnist", "fashion-mnist"),
    # The files have the same names as MNIST's, and MNIST may sit in $EMBER_DATA_DIR itself,
    # so only the data-set subfolders are searched there.
    data_dir_root=False,
    algorithm="md5",
    hash_of_gzip=True,
    hashes={
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
)


def load_data(path: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Load Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 NumPy arrays of
    shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,); ``CLASS_NAMES[label]`` names a
    label.

    The four idx files (the same names as MNIST's) are looked for in ``path``, then
    ``path/fashion_mnist``, then ``$EMBER_DATA_DIR/fashion_mnist`` (or ``fashion-mnist``), then
    the cache ``~/.ember/datasets/fashion_mnist`` (``$EMBER_HOME``), and otherwise downloaded
    into the cache and checked against Zalando's md5 digests of the .gz files.

    Example::

        (x_train, y_train), _ = em.datasets.fashion_mnist.load_data()
        em.datasets.fashion_mnist.CLASS_NAMES[y_train[0]]   # 'Ankle boot'
    """
    return load(_SPEC, path, MIRRORS)
