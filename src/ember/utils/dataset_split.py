"""``keras.utils.split_dataset``: split arrays, a tuple of arrays or an ember ``Dataset`` into
a left and a right part.

Sizes follow Keras: an int is a number of samples, a float in (0, 1) a fraction (rounded);
a missing side is the rest. The left part is the first ``left_size`` samples and the right
part the last ``right_size`` (samples between them, when both are given and sum to less, are
left out). ``shuffle`` permutes the samples first with Python's ``random`` seeded by
``seed``, as Keras does, so the same seed gives Keras' split.

Arrays, tuples/lists of arrays and tf.data-style pipelines (``em.data.Dataset
.from_tensor_slices(...)``, batched or not) come back as such pipelines of single samples,
batched again when the input was (as Keras returns ``tf.data.Dataset``s); an ember
``Dataset`` comes back as two Datasets with its batch size and options.

Example:
    >>> import numpy as np
    >>> import ember as em
    >>> left, right = em.utils.split_dataset(np.arange(10), left_size=0.8)
    >>> int(left.cardinality()), int(right.cardinality())
    (8, 2)
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ember.data.dataset import Dataset
from ember.data.pipeline import Pipeline, _Batch


def _check_size(value: Any, name: str, total: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"split_dataset: {name} must be an int, a float or None; got "
                        f"{type(value).__name__} {value!r}")
    if isinstance(value, (int, np.integer)) and not 0 < value < total:
        raise ValueError(f"split_dataset: {name} should be either a positive integer smaller "
                         f"than {total} (the number of samples), or a float within (0, 1); "
                         f"got {name}={value}")
    if isinstance(value, (float, np.floating)) and not 0 < value < 1:
        raise ValueError(f"split_dataset: {name} as a fraction must be within (0, 1); got "
                         f"{name}={value}")


def split_sizes(left_size: Any, right_size: Any, total: int) -> tuple[int, int]:
    """Keras' ``_rescale_dataset_split_sizes``: the two sizes as sample counts."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: at least one of left_size or right_size must be "
                         "given; got left_size=None and right_size=None")
    _check_size(left_size, "left_size", total)
    _check_size(right_size, "right_size", total)
    floats = [isinstance(v, (float, np.floating)) for v in (left_size, right_size)]
    if all(floats) and left_size + right_size > 1:
        raise ValueError(f"split_dataset: left_size + right_size = {left_size + right_size} "
                         "is greater than 1")
    left = None if left_size is None else (
        round(left_size * total) if floats[0] else int(left_size))
    right = None if right_size is None else (
        round(right_size * total) if floats[1] else int(right_size))
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} samples is "
                         f"more than the {total} samples there are")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: the sizes give an empty split ({left} and {right} "
                         f"of {total} samples); choose sizes that leave both sides a sample")
    return left, right


def _arrays(dataset: Any) -> tuple[list[Any], Any]:
    """The sample-indexable arrays of ``dataset`` and a function rebuilding its structure."""
    if isinstance(dataset, (list, tuple)):
        arrays = [np.asarray(a) for a in dataset]
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"split_dataset: the arrays must have the same length; got "
                             f"lengths {[len(a) for a in arrays]}")
        return arrays, lambda parts: tuple(parts)
    if hasattr(dataset, "shape") and hasattr(dataset, "__getitem__"):
        return [np.asarray(dataset)], lambda parts: parts[0]
    raise TypeError(f"split_dataset: dataset must be an array, a list/tuple of arrays or an "
                    f"ember Dataset; got {type(dataset).__name__}")


def split_dataset(dataset: Any, left_size: Any = None, right_size: Any = None,
                  shuffle: bool = False, seed: int | None = None,
                  preferred_backend: str | None = None) -> tuple[Any, Any]:
    """Split ``dataset`` into (left, right); see the module docstring.

    Example:
        >>> import numpy as np
        >>> import ember as em
        >>> x, y = np.arange(20).reshape(10, 2), np.arange(10)
        >>> left, right = em.utils.split_dataset((x, y), right_size=3, shuffle=True, seed=1)
        >>> int(right.cardinality())
        3
    """
    if preferred_backend not in (None, "ember", "numpy", "jax", "tensorflow", "torch"):
        raise ValueError(f"split_dataset: unknown preferred_backend {preferred_backend!r}")
    if isinstance(dataset, Dataset):
        return _split_ember_dataset(dataset, left_size, right_size, shuffle, seed)
    batch_size = None
    if isinstance(dataset, Pipeline):
        arrays, rebuild, batch_size = _pipeline_arrays(dataset)
    else:
        arrays, rebuild = _arrays(dataset)
    total = len(arrays[0])
    order = _order(total, shuffle, seed)
    left, right = split_sizes(left_size, right_size, total)
    out = []
    for idx in (order[:left], order[total - right:]):
        part = Dataset.from_tensor_slices(rebuild([a[idx] for a in arrays]))
        out.append(part if batch_size is None else part.batch(batch_size))
    return out[0], out[1]


def _pipeline_arrays(pipeline: Pipeline) -> tuple[list[Any], Any, int | None]:
    """A tf.data-style pipeline's samples as arrays, as Keras lists a tf.data.Dataset's:
    a batched one is unbatched, and the splits are batched again with its batch size."""
    if pipeline.cardinality() == -1:
        raise ValueError("split_dataset: the dataset is infinite (repeat()); split a finite one")
    batch_size = pipeline.size if isinstance(pipeline, _Batch) else None
    join = np.concatenate if batch_size is not None else np.stack
    elements = list(pipeline.as_numpy_iterator())
    if not elements:
        raise ValueError("split_dataset: the dataset has no elements")
    first = elements[0]
    if isinstance(first, dict):
        keys = list(first)
        return ([join([e[k] for e in elements]) for k in keys],
                lambda parts: dict(zip(keys, parts)), batch_size)
    if isinstance(first, (tuple, list)):
        return ([join([e[i] for e in elements]) for i in range(len(first))],
                lambda parts: tuple(parts), batch_size)
    return [join(elements)], lambda parts: parts[0], batch_size


def _order(total: int, shuffle: bool, seed: int | None) -> np.ndarray:
    order = list(range(total))
    if shuffle:
        # Keras: random.seed(seed); random.shuffle(samples). A private Random with the same
        # seed gives the same permutation without touching the global generator.
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    return np.asarray(order, dtype=np.int64)


def _split_ember_dataset(ds: Dataset, left_size: Any, right_size: Any, shuffle: bool,
                         seed: int | None) -> tuple[Dataset, Dataset]:
    total = ds.num_samples
    order = _order(total, shuffle, seed)
    left, right = split_sizes(left_size, right_size, total)

    def take(value: Any, idx: np.ndarray) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return {k: take(v, idx) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(take(v, idx) for v in value)
        return np.asarray(value[idx])

    out = []
    for idx in (order[:left], order[total - right:]):
        part = Dataset(take(ds.x, idx), take(ds.y, idx), batch_size=ds.batch_size,
                       shuffle=ds.shuffle, seed=ds.seed, drop_remainder=ds.drop_remainder,
                       sample_weight=take(ds.sample_weight, idx), dtype=ds.dtype.name)
        part._fns = list(ds._fns)  # the map() functions it had
        out.append(part)
    return out[0], out[1]
