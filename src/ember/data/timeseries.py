"""``timeseries_dataset_from_array``: sliding windows over an array as batches for ``fit``,
as ``keras.utils.timeseries_dataset_from_array``.

Window ``i`` starts at ``start_index + p_i`` with ``p_i = i * sequence_stride`` and takes
``sequence_length`` rows ``sampling_rate`` apart; its target is ``targets[start_index + p_i]``
(Keras' rule: to predict the step after a window, pass ``targets=data[sequence_length:]``).
Windows are gathered per batch with one fancy index (nothing is copied up front), so a long
series costs no more memory than a batch.

Example:
    >>> import numpy as np, ember as em
    >>> ds = em.data.timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
    ...                                            sequence_stride=3, batch_size=2)
    >>> [b.tolist() for b in ds]
    [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.data import pipeline

WHERE = "timeseries_dataset_from_array"


def timeseries_dataset_from_array(
        data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
        sampling_rate: int = 1, batch_size: int | None = 128, shuffle: bool = False,
        seed: int | None = None, start_index: int | None = None,
        end_index: int | None = None) -> pipeline.Pipeline:
    """Batches of windows ``(batch, sequence_length, *data.shape[1:])`` (with targets
    ``(batch, *targets.shape[1:])`` when ``targets`` is given), in order, or shuffled with
    Keras' ``RandomState(seed)`` permutation of the window starts (a new order each pass
    after the first). ``start_index`` / ``end_index`` bound the rows used (end exclusive).
    """
    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError(f"{WHERE}: data must have a time axis; got a scalar")
    n = len(data)
    for name, value in (("sequence_length", sequence_length),
                        ("sequence_stride", sequence_stride), ("sampling_rate", sampling_rate)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{WHERE}: {name} must be a positive integer; got {value!r}")
    if sampling_rate >= n:
        raise ValueError(f"{WHERE}: sampling_rate must be lower than the length of the data; "
                         f"got sampling_rate={sampling_rate} for {n} rows")
    if sequence_stride >= n:
        raise ValueError(f"{WHERE}: sequence_stride must be lower than the length of the "
                         f"data; got sequence_stride={sequence_stride} for {n} rows")
    if start_index and not 0 <= start_index < n:
        raise ValueError(f"{WHERE}: start_index must be in [0, {n}); got {start_index}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"{WHERE}: end_index must be higher than start_index; got "
                             f"start_index={start_index}, end_index={end_index}")
        if not 0 < end_index < n:
            raise ValueError(f"{WHERE}: end_index must be in (0, {n}); got {end_index}")
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"{WHERE}: batch_size must be a positive integer or None; got "
                         f"{batch_size!r}")
    start = start_index or 0
    end = end_index or n
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1e6))
        np.random.RandomState(seed).shuffle(positions)
    offsets = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    window = data[start:end]
    label = None if targets is None else targets[start:end]

    def gather(pos: np.ndarray) -> Any:
        x = np.take(window, pos[..., None] + offsets, axis=0)
        if x.dtype == np.float64:
            x = x.astype(np.float32)
        if label is None:
            return x
        y = np.take(label, pos, axis=0)
        return x, y.astype(np.float32) if y.dtype == np.float64 else y

    ds = pipeline.from_tensor_slices(positions)
    if shuffle:
        ds = _FirstPassAsIs(ds, seed)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds.map(gather)


class _FirstPassAsIs(pipeline.Pipeline):
    """Keras' seeded order on the first pass; a fresh seeded permutation on each later one."""

    def __init__(self, parent: pipeline.Pipeline, seed: int) -> None:
        self.parent, self._count, self._source = parent, parent._count, parent._source
        self._rng = np.random.default_rng(seed)
        self._passes = 0

    def _index_array(self) -> np.ndarray:
        order = np.arange(self._count)
        if self._passes:
            order = self._rng.permutation(self._count)
        self._passes += 1
        return order

    def _elements(self) -> Any:
        return (self._source.gather(i) for i in self._index_array().tolist())
