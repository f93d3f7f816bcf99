"""Turn what users pass to ``fit`` / ``evaluate`` / ``predict`` into batches of arrays.

Accepted: NumPy arrays, nested lists, pandas DataFrames / Series (duck-typed through
``to_numpy``; pandas is never imported here), a list or dict of those for several inputs or
outputs, and iterables of batches (Python generators, ``em.data.Dataset``) yielding
``x``, ``(x, y)`` or ``(x, y, sample_weight)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import Tensor


def to_numpy(value: Any, what: str, who: str = "fit", strings: bool = False) -> np.ndarray:
    """One array from an array, list, Tensor or DataFrame/Series; float64 -> floatx.

    ``who`` (the calling function) and ``what`` (the argument) name the culprit in errors.
    ``strings=True`` lets text through (a model whose layers read raw strings, such as
    ``TextVectorization``); otherwise text is refused with advice.
    """
    given = value
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()
    elif isinstance(value, Tensor):
        value = value.numpy()
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{who}: {what}: could not convert {type(value).__name__} to an "
                         f"array ({exc})") from None
    if arr.dtype == object and strings and arr.ndim > 0 and all(
            isinstance(v, (str, bytes)) for v in arr.reshape(-1).tolist()):
        return arr  # text as Python strings (no fixed width), for a layer that reads it
    if arr.dtype == object:
        columns = _non_numeric_columns(given)
        if columns:
            raise TypeError(f"{who}: {what} has non-numeric columns {columns[:10]}; numbers "
                            "are expected: encode them first (em.data.from_dataframe(df, "
                            "target=...) one-hot encodes categories)")
        raise ValueError(f"{who}: {what}: got ragged or mixed-type data (dtype=object); every "
                         "sample needs the same shape and a numeric type")
    if arr.dtype.kind in "US" and strings and arr.ndim > 0:
        return arr
    if arr.dtype.kind in "USV":
        sample = repr(arr.reshape(-1)[0].item()) if arr.size else "''"
        hint = (" (a file name? read a CSV file with em.data.read_csv(path, target=...))"
                if arr.ndim == 0 and str(given).lower().endswith((".csv", ".txt")) else "")
        raise TypeError(f"{who}: {what} holds strings (dtype {arr.dtype}, e.g. {sample[:40]}); "
                        "numbers are expected: encode text or categories as integers (or "
                        f"one-hot vectors) before training{hint}")
    if arr.ndim == 0:
        raise ValueError(f"{who}: {what} must be an array with one entry per sample (the batch "
                         f"axis first); got the scalar {given!r} ({type(given).__name__}). "
                         f"For one sample, pass e.g. np.array([[{given!r}]])")
    if arr.dtype.kind == "f" and arr.dtype.name != backend.floatx():
        arr = arr.astype(backend.floatx())  # once per fit, not once per batch
    return arr


def _non_numeric_columns(frame: Any) -> list:
    """The names of a DataFrame's columns that are not numbers or booleans ([] otherwise)."""
    dtypes = getattr(frame, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [str(c) for c, d in dtypes.items() if getattr(d, "kind", "O") not in "iufb"]


def is_batch_iterable(x: Any) -> bool:
    """True for generators and datasets that yield batches (not arrays, lists or DataFrames)."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, dict, str)):
        return False
    if hasattr(x, "to_numpy") or hasattr(x, "__array__") or hasattr(x, "shape"):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__next__")


def flatten_structure(value: Any, what: str, who: str = "fit",
                      strings: bool = False) -> list[np.ndarray] | None:
    """None, one array, or several (a list/tuple of arrays or a dict in key order).
    ``strings`` as for ``to_numpy``."""
    if value is None:
        return None
    if isinstance(value, dict):
        return [to_numpy(v, f"{what}[{k!r}]", who, strings) for k, v in value.items()]
    if isinstance(value, (list, tuple)) and value and all(
        hasattr(v, "shape") or hasattr(v, "to_numpy") for v in value
    ):
        return [to_numpy(v, f"{what}[{i}]", who, strings) for i, v in enumerate(value)]
    return [to_numpy(value, what, who, strings)]


def reads_strings(model: Any) -> bool:
    """True when one of the model's layers takes raw strings (its ``reads_strings`` flag:
    ``TextVectorization``, ``StringLookup``, ``Hashing``), so ``fit`` lets text through."""
    return model is not None and any(getattr(layer, "reads_strings", False)
                                     for layer in getattr(model, "layers", ()))


def check_counts(xs: list[np.ndarray], ys: list[np.ndarray] | None,
                 sws: list[np.ndarray] | None) -> int:
    """The number of samples, after checking that x, y and sample_weight agree on it."""
    counts = {}
    for name, arrs in (("x", xs), ("y", ys), ("sample_weight", sws)):
        for i, a in enumerate(arrs or []):
            counts[name if len(arrs) == 1 else f"{name}[{i}]"] = len(a)
    if len(set(counts.values())) > 1:
        desc = ", ".join(f"{k}: {c}" for k, c in counts.items())
        raise ValueError(f"x, y and sample_weight must have the same number of samples "
                         f"(first axis); got {desc}")
    return next(iter(counts.values()))


def split_validation(arrays: list[list[np.ndarray] | None], fraction: float
                     ) -> tuple[list, list]:
    """Keras' validation_split: the LAST ``fraction`` of the samples, taken before shuffling."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1); got {fraction}")
    n = next(len(a[0]) for a in arrays if a)
    split_at = int(math.floor(n * (1.0 - fraction)))  # as Keras: floor of the training part
    if split_at <= 0 or split_at >= n:
        raise ValueError(f"validation_split={fraction} leaves no training or no validation "
                         f"samples out of {n}")
    train = [None if a is None else [v[:split_at] for v in a] for a in arrays]
    val = [None if a is None else [v[split_at:] for v in a] for a in arrays]
    return train, val


def warn_missing_classes(y_train: np.ndarray, y_val: np.ndarray) -> None:
    """Warn when the validation labels lack classes the training labels have."""
    def classes(y: np.ndarray) -> set:
        if y.ndim >= 2 and y.shape[-1] > 1:
            return set(np.flatnonzero(y.reshape(-1, y.shape[-1]).sum(axis=0) > 0).tolist())
        flat = y.reshape(-1)
        if flat.dtype.kind in "iub" or (flat.size and np.all(flat == np.round(flat))):
            return set(np.unique(flat).tolist()) if flat.size < 10_000_000 else set()
        return set()

    train, val = classes(y_train), classes(y_val)
    if len(train) <= 1 or len(train) > 1000:
        return
    missing = sorted(train - val)
    if missing:
        warnings.warn(
            f"validation_split: the validation samples (the last part of the data, taken "
            f"before shuffling) contain no sample of class(es) {missing[:10]}; shuffle the data "
            "before fit, or pass validation_data",
            UserWarning, stacklevel=4,
        )


RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or "
           "generator can generate at least `steps_per_epoch * epochs` batches. You may need "
           "to use the `.repeat()` function when building your dataset.")  # Keras 3's words


def warn_ran_out() -> None:
    warnings.warn(RAN_OUT, UserWarning, stacklevel=4)


class ArrayBatches:
    """Mini-batches of in-memory arrays; a new permutation each epoch when shuffling.

    ``steps`` (fit's ``steps_per_epoch``) is honoured as Keras does: each epoch takes the next
    ``steps`` batches of a pass over the data, so one pass may span several epochs; when the
    pass runs out before an epoch has its steps, Keras' "ran out of data" warning is given,
    that epoch ends early, and the next epoch starts a new pass.
    """

    def __init__(self, xs: list[np.ndarray], ys: list[np.ndarray] | None,
                 sws: list[np.ndarray] | None, batch_size: int, shuffle: bool = False,
                 steps: int | None = None) -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}")
        self.xs, self.ys, self.sws = xs, ys, sws
        self.n = check_counts(xs, ys, sws)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.steps = steps
        self._pass: Iterator | None = None
        self._seen = 0

    def __len__(self) -> int:
        return self.steps if self.steps is not None else self._per_pass()

    def _per_pass(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[tuple]:
        if self.steps is None:
            return self._one_pass()
        return self._steps()

    def _steps(self) -> Iterator[tuple]:
        per_pass = self._per_pass()
        if self._pass is None:
            self._pass, self._seen = self._one_pass(), 0
        for _ in range(self.steps):
            if self._seen >= per_pass:
                warn_ran_out()
                break
            self._seen += 1
            yield next(self._pass)
        if self._seen >= per_pass:
            self._pass = None

    def _one_pass(self) -> Iterator[tuple]:
        bs = self.batch_size
        if self.shuffle == "batch":
            order = backend.rng().permutation(self._per_pass())
            for b in order:
                yield self._take(slice(b * bs, (b + 1) * bs))
        elif self.shuffle:
            perm = backend.rng().permutation(self.n)
            for start in range(0, self.n, bs):
                yield self._take(perm[start:start + bs])
        else:
            for start in range(0, self.n, bs):
                yield self._take(slice(start, start + bs))  # views: no copy

    def _take(self, idx: Any) -> tuple:
        pick = _pick
        xb = [pick(a, idx) for a in self.xs]
        yb = None if self.ys is None else [pick(a, idx) for a in self.ys]
        sb = None if self.sws is None else [pick(a, idx) for a in self.sws]
        return xb, yb, sb


def _pick(a: np.ndarray, idx: Any) -> np.ndarray:
    """Rows ``idx`` of ``a``: a view for a slice, ``np.take`` (about 2x faster than fancy
    indexing for image batches) for an index array."""
    if isinstance(idx, slice) or a.ndim < 2 or not isinstance(a, np.ndarray):
        return a[idx]
    return np.take(a, idx, axis=0)


class IterableBatches:
    """Batches from a generator or dataset; ``steps`` limits how many are taken per epoch.

    A restartable source (``iter()`` gives a new pass: a Dataset, a list of batches) restarts
    each epoch. A one-shot generator that runs out sets ``exhausted`` and gives Keras' "ran
    out of data" warning: with ``steps`` as soon as an epoch gets fewer batches; without, its
    first pass is the first epoch and the warning comes when the next epoch finds nothing.
    Either way ``fit`` then stops, as the warning's "interrupting training" says. ``check`` (a
    ``FirstSightCheck``) looks at each batch for NaN and inf the first time it is drawn.
    """

    def __init__(self, source: Any, steps: int | None = None, check: Any = None,
                 who: str = "fit") -> None:
        self.source = source
        self.steps = steps
        self.check = check
        self.who = who
        self.exhausted = False
        self.restartable = not hasattr(source, "__next__")
        self._it: Iterator | None = None
        # a PyTorch DataLoader is taken as it is: its batches are converted as they come
        self.from_torch = type(source).__module__.startswith("torch.utils.data")
        if steps is None and hasattr(source, "__len__"):
            self.steps = len(source)

    def __len__(self) -> int:
        return self.steps or 0

    def __iter__(self) -> Iterator[tuple]:
        if self.restartable or self._it is None:
            self._it = iter(self.source)
        taken = 0
        check = self.check
        while self.steps is None or taken < self.steps:
            try:
                batch = next(self._it)
            except StopIteration:
                if self.steps is not None or taken == 0:  # fewer batches than the epoch needs
                    warn_ran_out()
                    self.exhausted = not self.restartable
                break
            taken += 1
            if self.from_torch:
                batch = torch_batch(batch)
            parts = unpack_batch(batch, self.who)
            if check is not None:
                check(*parts)
            yield parts
        if check is not None and self.restartable:
            check.done = True  # a restartable source repeats what was just checked


def first_batch(batches: Any) -> tuple[Any, Iterator | None]:
    """The epoch's iterator with its first batch already drawn (None when there is none), so
    that an empty epoch is known before any callback is told it began."""
    import itertools

    it = iter(batches)
    try:
        first = next(it)
    except StopIteration:
        return None, None
    return first, itertools.chain([first], it)


def torch_batch(batch: Any, top: bool = True) -> Any:
    """A PyTorch batch as NumPy: tensors become arrays (without a copy on the CPU), and the
    ``[x, y]`` list that torch's default collate makes of a Dataset's ``(x, y)`` becomes the
    tuple ember reads as inputs and targets."""
    if hasattr(batch, "detach") and hasattr(batch, "cpu"):  # a torch.Tensor
        return batch.detach().cpu().numpy()
    if isinstance(batch, dict):
        return {k: torch_batch(v, False) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        items = [torch_batch(v, False) for v in batch]
        return tuple(items) if top and 1 <= len(items) <= 3 else type(batch)(items)
    return batch


def unpack_batch(batch: Any, who: str = "fit") -> tuple:
    """x, (x, y) or (x, y, sample_weight) -> lists of arrays."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        parts = list(batch) + [None] * (3 - len(batch))
    else:
        parts = [batch, None, None]
    if parts[0] is None:
        raise ValueError(f"{who}: the data yielded a batch without x ({type(batch).__name__}); "
                         "each batch must be x, (x, y) or (x, y, sample_weight)")
    x, y, sw = (flatten_structure(p, name, who)
                for p, name in zip(parts, ("x", "y", "sample_weight")))
    if check_counts(x, y, sw) == 0:
        raise ValueError(f"{who}: the data yielded an empty batch (x of shape "
                         f"{x[0].shape}); every batch needs at least one sample")
    return x, y, sw


def class_weight_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights from a {class: weight} dict (labels or one-hot rows)."""
    labels = y.argmax(axis=-1) if y.ndim >= 2 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    present = set(np.unique(labels).tolist())
    missing = present - set(class_weight)
    if missing:
        raise ValueError(f"class_weight has no weight for class(es) {sorted(missing)}")
    table = np.zeros(max(max(class_weight), max(present)) + 1, dtype=backend.floatx())
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]
