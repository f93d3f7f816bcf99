"""MNIST: 70,000 handwritten digits, 28x28 grayscale, labels 0-9, as in ``keras.datasets.mnist``.

The data set is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0).
"""

from __future__ import annotations

import os

from ember.datasets._base import IdxDataset, Split, load

# Tried in order; any mirror will do because the content is checked against the digests below.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]

# sha256 of each file's *uncompressed* idx content: mirrors recompress the .gz files, so digests
# of the .gz bytes differ between them while these do not.
_SPEC = IdxDataset(
    title="MNIST",
    function="em.datasets.mnist.load_data",
    name="mnist",
    subdirs=("mnist",),
    data_dir_root=True,
    algorithm="sha256",
    hash_of_gzip=False,
    hashes={
        "train-images-idx3-ubyte":
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte":
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte":
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte":
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
)


def load_data(path: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 NumPy arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    The four files ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
    ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (or the same names
    uncompressed) are looked for, in order, in:

    1. ``path`` (a folder), then ``path/mnist``;
    2. ``$EMBER_DATA_DIR/mnist``, then ``$EMBER_DATA_DIR``;
    3. the cache, ``~/.ember/datasets/mnist`` (``$EMBER_HOME/datasets/mnist``);

    and otherwise downloaded into the cache. Files from the cache or the network are checked
    against the published sha256 digests; a machine without internet gets an error within
    seconds saying where to put the files.

    Example (without internet, point EMBER_DATA_DIR or ``path`` at the files)::

        (x_train, y_train), (x_test, y_test) = em.datasets.mnist.load_data()
        x_train, x_test = x_train / 255.0, x_test / 255.0
    """
    return load(_SPEC, path, MIRRORS)
