"""``Dataset``: mini-batches over arrays, including arrays larger than memory.

``Dataset.from_npy`` opens ``.npy`` files memory-mapped (``numpy.load(mmap_mode="r")``): only
the rows of the current batch are read from disk. Iterating gives one epoch of batches
``(x_batch, y_batch)`` as NumPy arrays (float arrays converted to float32 batch by batch);
each new ``iter()`` is a new epoch, reshuffled when ``shuffle=True``. ``len(dataset)`` is the
number of batches, so ``model.fit(dataset, epochs=3)`` works directly.

How a shuffled batch is gathered: each epoch draws one permutation of the sample indices; a
batch is the next ``batch_size`` entries of it. The indices are sorted before reading (so a
memory-mapped file is read front to back, which is much faster on disk) and the rows are then
put back in permutation order, so a batch equals ``x[perm[i:i + batch_size]]`` exactly.

Example:
    >>> import numpy as np, ember as em
    >>> ds = em.data.Dataset.from_arrays(np.arange(10.0).reshape(5, 2), np.arange(5),
    ...                                  batch_size=2)
    >>> len(ds), [yb.tolist() for _, yb in ds]
    (3, [[0, 1], [2, 3], [4]])
    >>> next(iter(ds))[0].dtype
    dtype('float32')
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ember import backend
from ember.data import pipeline as _pipeline


class Dataset:
    """Batches of ``x`` (and ``y``, ``sample_weight``) with optional per-epoch shuffling.

    ``x`` and ``y`` are arrays (NumPy arrays or memory-maps; anything indexable with an
    integer array and with a ``shape``), or a list / tuple / dict of them for several inputs
    or outputs. ``seed`` gives the dataset its own generator (the same seed, the same
    sequence of epochs); without it, shuffling draws from ``ember.backend.rng``, which
    ``em.utils.set_random_seed`` seeds. ``dtype`` is what float arrays become per batch
    (``ember.backend.floatx()`` by default); integer arrays (labels, uint8 images) are kept.
    """

    def __init__(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = False,
                 seed: int | None = None, drop_remainder: bool = False,
                 sample_weight: Any = None, dtype: str | None = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"Dataset: batch_size must be a positive integer; got "
                             f"{batch_size!r}")
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_remainder = bool(drop_remainder)
        self.dtype = np.dtype(dtype or backend.floatx())
        self._rng = None if seed is None else np.random.default_rng(seed)
        self._fns: list[Callable] = []
        counts = {}
        for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            for key, arr in _leaves(value, name):
                if not hasattr(arr, "shape") or len(arr.shape) == 0:
                    raise TypeError(f"Dataset: {key} must be an array with a sample axis; got "
                                    f"{type(arr).__name__}")
                counts[key] = int(arr.shape[0])
        if not counts or x is None:
            raise ValueError("Dataset: x is required")
        if len(set(counts.values())) > 1:
            listing = ", ".join(f"{k}: {n}" for k, n in counts.items())
            raise ValueError(f"Dataset: every array needs the same number of samples; got "
                             f"{listing}")
        self.num_samples = next(iter(counts.values()))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(cls, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = False,
                    seed: int | None = None, **kwargs: Any) -> Dataset:
        """A Dataset over in-memory arrays (converted with ``numpy.asarray``)."""
        return cls(_as_arrays(x), _as_arrays(y), batch_size=batch_size, shuffle=shuffle,
                   seed=seed, sample_weight=_as_arrays(kwargs.pop("sample_weight", None)),
                   **kwargs)

    @classmethod
    def from_npy(cls, x_path: Any, y_path: Any = None, batch_size: int = 32,
                 shuffle: bool = False, seed: int | None = None, **kwargs: Any) -> Dataset:
        """A Dataset over ``.npy`` files opened memory-mapped (read-only): the data need not
        fit in memory. Write such files with ``numpy.save`` or ``numpy.lib.format.open_memmap``.
        """
        x = _open_npy(x_path)
        y = None if y_path is None else _open_npy(y_path)
        return cls(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, **kwargs)

    # tf.data-style constructors: they return a ``Pipeline`` (see ember.data.pipeline)
    from_tensor_slices = staticmethod(_pipeline.from_tensor_slices)
    from_tensors = staticmethod(_pipeline.from_tensors)
    from_generator = staticmethod(_pipeline.from_generator)
    range = staticmethod(_pipeline.range_)
    zip = staticmethod(_pipeline.zip_)

    # ------------------------------------------------------------------ iteration
    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if self.drop_remainder:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n, bs = self.num_samples, self.batch_size
        stop = n - n % bs if self.drop_remainder else n
        perm = self._permutation() if self.shuffle else None
        for start in range(0, stop, bs):
            end = min(start + bs, n)
            idx = slice(start, end) if perm is None else perm[start:end]
            yield self._batch(idx)

    def _permutation(self) -> np.ndarray:
        rng = self._rng if self._rng is not None else backend.rng(np)
        return rng.permutation(self.num_samples)

    def _batch(self, idx: Any) -> Any:
        x = _gather(self.x, idx, self.dtype)
        if self.y is None and self.sample_weight is None:
            out: Any = x
            for fn in self._fns:
                out = fn(out)
            return out
        out = (x, _gather(self.y, idx, self.dtype))
        if self.sample_weight is not None:
            out = out + (_gather(self.sample_weight, idx, self.dtype),)
        for fn in self._fns:
            out = fn(*out)
            if not isinstance(out, tuple):
                raise TypeError(f"Dataset.map: the function must return a tuple (x, y, ...) "
                                f"for a dataset with targets; got {type(out).__name__}")
        return out

    def map(self, fn: Callable) -> Dataset:
        """A new Dataset applying ``fn`` to every batch: ``fn(x, y) -> (x, y)`` (or
        ``fn(x) -> x`` without targets), e.g. scaling or augmenting NumPy batches."""
        if not callable(fn):
            raise TypeError(f"Dataset.map: expected a function; got {fn!r}")
        new = object.__new__(Dataset)
        new.__dict__.update(self.__dict__)
        new._fns = self._fns + [fn]
        return new

    def __repr__(self) -> str:
        source = "memory-mapped" if any(isinstance(a, np.memmap)
                                        for _, a in _leaves(self.x, "x")) else "in memory"
        return (f"<Dataset samples={self.num_samples} batch_size={self.batch_size} "
                f"batches={len(self)} shuffle={self.shuffle} ({source})>")


# ---------------------------------------------------------------------- helpers
def _leaves(value: Any, name: str) -> list[tuple[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [(f"{name}[{k!r}]", v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [(f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [(name, value)]


def _as_arrays(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: np.asarray(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
        return type(value)(np.asarray(v) for v in value)
    if hasattr(value, "to_numpy"):  # pandas
        return value.to_numpy()
    return np.asarray(value)


def _open_npy(path: Any) -> np.ndarray:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Dataset.from_npy: no file {path!r}")
    if not path.endswith(".npy"):
        raise ValueError(f"Dataset.from_npy: expected a .npy file (numpy.save); got {path!r} "
                         "(for .npz archives, load the arrays and use Dataset.from_arrays)")
    return np.load(path, mmap_mode="r")


def _gather(value: Any, idx: Any, dtype: np.dtype) -> Any:
    """The rows ``idx`` of every array in ``value``, as fresh in-memory arrays."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _gather(v, idx, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_gather(v, idx, dtype) for v in value)
    if isinstance(idx, slice):
        rows = np.array(value[idx])  # a copy: batches never alias the (read-only) file
    else:
        # Read in file order (sequential disk access), then restore the permutation order.
        order = np.argsort(idx, kind="stable")
        data = np.asarray(value[idx[order]])
        rows = np.empty_like(data)
        rows[order] = data
    if rows.dtype.kind == "f" and rows.dtype != dtype:
        rows = rows.astype(dtype)
    return rows
