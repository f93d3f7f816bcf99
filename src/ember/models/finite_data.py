"""Refusing NaN and inf in what ``fit`` trains on, before the first step.

One NaN in ``x`` turns every weight into NaN within a step or two and ``fit`` would go on
reporting ``loss: nan``; a NaN target or sample weight does the same. So ``fit`` (and its
validation data, ``evaluate``, ``train_on_batch``) looks at every floating-point array once:

- in-memory arrays (NumPy, lists, DataFrames): once per ``fit`` call, before the first step,
  with one reduction over the first axis (``np.add.reduce(x, axis=0)``; about 6 ms for MNIST's
  60000x784 float32, against 13 ms for ``np.isfinite(x).all()``). A sum is non-finite whenever
  one of its terms is, so a finite sum proves the array clean; only when the sum is not finite
  (a NaN or inf, or finite values whose sum overflows) is the exact ``np.isfinite`` pass run,
  which counts the bad values and finds the first.
- generators and Datasets: each batch as it is drawn, the first time it is seen (the whole
  first epoch of a Dataset, every batch of a one-shot generator), with ``np.isfinite`` on the
  batch (a few microseconds for a batch of 32 MNIST images).

Integer and boolean arrays (labels, uint8 images) cannot hold NaN and are not looked at.

Example:
    >>> import numpy as np
    >>> from ember.models.finite_data import check_finite
    >>> check_finite(np.array([[1.0, np.nan], [np.inf, 2.0]]), "x", "fit")
    Traceback (most recent call last):
        ...
    ValueError: fit: x contains 2 non-finite values (NaN or inf) out of 4; the first is nan at \
index (0, 1). Clean the data first: drop those samples (e.g. x[np.isfinite(x).all(axis=1)] for \
a 2-D array) or impute them (np.nan_to_num, a column mean)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _sum_is_finite(a: np.ndarray) -> bool:
    """True proves every value finite (False may be an overflowing sum of finite values)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if a.ndim <= 1:
            return bool(np.isfinite(a.sum()))
        return bool(np.isfinite(np.add.reduce(a, axis=0)).all())


def check_finite(a: Any, what: str, who: str, original: Any = None,
                 exact: bool = False) -> None:
    """Raise ValueError naming ``what`` when the array ``a`` holds NaN or inf.

    ``original`` is what the user passed (a DataFrame gives its row label and column name).
    ``exact=True`` skips the cheap sum (small batches, where ``np.isfinite`` is as fast).
    """
    if not hasattr(a, "dtype") or a.dtype.kind not in "fc" or a.size == 0:
        return
    if not exact and _sum_is_finite(a):
        return
    bad = ~np.isfinite(np.asarray(a))
    count = int(np.count_nonzero(bad))
    if count == 0:  # the sum overflowed; every value is finite
        return
    first = np.unravel_index(int(np.argmax(bad)), a.shape)
    value = a[first]
    where = f"index {tuple(int(i) for i in first)}" if a.ndim > 1 else f"index {int(first[0])}"
    where += _frame_position(original, first)
    remedy = (f"drop those samples (e.g. {what}[np.isfinite({what}).all(axis=1)] for a 2-D "
              f"array) or impute them (np.nan_to_num, a column mean)") if a.ndim > 1 else (
        "drop those samples or impute them (np.nan_to_num, the mean)")
    if "weight" in what:
        remedy = "give every sample a finite weight (0 leaves a sample out)"
    raise ValueError(f"{who}: {what} contains {count} non-finite value{'s' * (count != 1)} "
                     f"(NaN or inf) out of {a.size}; the first is {value} at {where}. Clean "
                     f"the data first: {remedy}")


def _frame_position(original: Any, first: tuple) -> str:
    """', row label 17, column 'age'' for a DataFrame (or Series); '' otherwise."""
    index = getattr(original, "index", None)
    if index is None or not hasattr(original, "to_numpy"):
        return ""
    try:
        text = f" (row label {index[int(first[0])]!r}"
        columns = getattr(original, "columns", None)
        if columns is not None and len(first) > 1:
            text += f", column {columns[int(first[1])]!r}"
        return text + ")"
    except (IndexError, TypeError):
        return ""


def check_arrays(groups: list[tuple[str, list | None]], who: str,
                 originals: dict | None = None, exact: bool = False) -> None:
    """``check_finite`` on each array of each (name, arrays) group: ``x``, ``y``, ...

    Several arrays under one name are reported as ``x[0]``, ``x[1]``.
    """
    originals = originals or {}
    for name, arrays in groups:
        if not arrays:
            continue
        for i, a in enumerate(arrays):
            label = name if len(arrays) == 1 else f"{name}[{i}]"
            original = originals.get(name) if len(arrays) == 1 else None
            check_finite(a, label, who, original, exact)


class FirstSightCheck:
    """Checks the batches of a generator or Dataset the first time each is drawn.

    A restartable source (a Dataset, a list of batches: ``iter()`` starts it again) gives the
    same samples every epoch, so only its first epoch is checked; a one-shot generator gives
    new data with every batch, so each of its batches is checked. Either way the data is
    looked at once.
    """

    def __init__(self, who: str, prefix: str = "") -> None:
        self.who = who
        self.prefix = prefix
        self.done = False  # set after the first full epoch of a restartable source
        self.step = 0

    def __call__(self, xb: list, yb: list | None, sb: list | None) -> None:
        if self.done:
            return
        self.step += 1  # counted from 1, as fit's epochs and steps are in messages
        who = f"{self.who} (batch {self.step} drawn from the data)"
        p = self.prefix
        check_arrays([(f"{p}x", xb), (f"{p}y", yb), (f"{p}sample_weight", sb)], who,
                     exact=True)
