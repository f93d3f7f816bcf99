"""From ``fit`` / ``evaluate`` / ``predict`` arguments to batches, with the arguments checked.

Everything a user can get wrong before the first step is refused here with the function's
name, the value received and what was expected: a missing or empty ``x``, a ``batch_size``,
``steps_per_epoch`` or ``validation_freq`` that is not a positive integer, and NaN or inf in
the data (``finite_data``: one pass over in-memory arrays per call, each generator batch at
first sight).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.models import data_adapter as da
from ember.models.finite_data import FirstSightCheck, check_arrays


def check_positive(value: Any, name: str, who: str, hint: str = "") -> None:
    """``value`` is None or a positive integer (not a bool), or a ValueError naming it."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer{hint}; got {value!r}")


def by_name(value: Any, names: list[str] | None, what: str) -> Any:
    """A dict of arrays keyed by the model's input (or output) names, in the model's order."""
    if not isinstance(value, dict) or not names:
        return value
    missing = [n for n in names if n not in value]
    extra = [k for k in value if k not in names]
    if missing or extra:
        raise ValueError(f"{what}: the dict keys {list(value)} do not match the model's names "
                         f"{names}")
    return [value[n] for n in names]


def remember_x_keys(model: Any, x: Any) -> None:
    """A subclassed model fed a dict gets a dict again in ``call`` (``inputs["name"]``, as
    in Keras), though the batches hold the arrays as a list: the keys are kept here."""
    if isinstance(x, dict) and not getattr(model, "input_names", None):
        object.__setattr__(model, "_x_keys", list(x))


def model_inputs(model: Any, xb: list) -> Any:
    """What the model is called with for one batch's input arrays."""
    keys = getattr(model, "_x_keys", None)
    if keys and len(keys) == len(xb):
        return dict(zip(keys, xb))
    return xb[0] if len(xb) == 1 else xb


def require_x(x: Any, who: str) -> None:
    if x is None:
        raise ValueError(f"{who}: x is None; expected the input data: a NumPy array, a "
                         "DataFrame, a list or dict of arrays (several inputs), a generator or "
                         "an em.data.Dataset")


def prepare(x: Any, y: Any, sample_weight: Any, class_weight: Any, model: Any = None,
            who: str = "fit", prefix: str = "") -> tuple:
    """The arrays of x, y and sample_weight, checked: same sample counts, not empty, finite.

    ``prefix`` ("validation_data ") names validation arrays in the messages.
    """
    require_x(x, who)
    originals = {f"{prefix}x": x, f"{prefix}y": y, f"{prefix}sample_weight": sample_weight}
    if model is not None:
        remember_x_keys(model, x)
        x = by_name(x, getattr(model, "input_names", None), "x")
        if getattr(model, "_graph", None) is not None:
            y = by_name(y, model.output_names, "y")
    xs = da.flatten_structure(x, f"{prefix}x", who, strings=da.reads_strings(model))
    ys = da.flatten_structure(y, f"{prefix}y", who)
    sws = da.flatten_structure(sample_weight, f"{prefix}sample_weight", who)
    n = da.check_counts(xs, ys, sws)
    if n == 0:
        raise ValueError(f"{who}: {prefix}x is empty (shape {xs[0].shape}); at least one "
                         "sample is expected")
    weights = f"{prefix}sample_weight"
    if class_weight is not None:
        if ys is None or len(ys) != 1:
            raise ValueError("class_weight needs exactly one target array")
        cw = da.class_weight_to_sample_weight(ys[0], class_weight)
        weights = "class_weight (as per-sample weights)" if sws is None else \
            "sample_weight * class_weight"
        sws = [cw if sws is None else sws[0] * cw]
    check_arrays([(f"{prefix}x", xs), (f"{prefix}y", ys), (weights, sws)], who, originals)
    return xs, ys, sws


def batches(x: Any, y: Any, sample_weight: Any, class_weight: Any, batch_size: int | None,
            shuffle: Any, steps: int | None, model: Any = None, who: str = "fit",
            prefix: str = "") -> Any:
    """ArrayBatches for in-memory data, IterableBatches for a generator or Dataset."""
    require_x(x, who)
    if da.is_batch_iterable(x):
        if y is not None:
            raise ValueError(f"{who}: when x is a generator or Dataset, it must yield the "
                             "targets too; do not pass y")
        return da.IterableBatches(x, steps, FirstSightCheck(who, prefix), who)
    xs, ys, sws = prepare(x, y, sample_weight, class_weight, model, who, prefix)
    return da.ArrayBatches(xs, ys, sws, batch_size or 32, shuffle, steps)


def validation_batches(data: Any, batch_size: int | None, steps: int | None,
                       model: Any = None) -> Any:
    if da.is_batch_iterable(data):
        return da.IterableBatches(data, steps, FirstSightCheck("fit", "validation_data "))
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError(f"fit: validation_data must be (x_val, y_val) or (x_val, y_val, "
                         f"sample_weight), a generator or a Dataset; got "
                         f"{type(data).__name__}")
    vs = data[2] if len(data) == 3 else None
    return batches(data[0], data[1], vs, None, batch_size, False, None, model, "fit",
                   "validation_data ")


def ensure_built(model: Any, batches: Any) -> None:
    if model.built:
        return
    if isinstance(batches, da.ArrayBatches):
        zeros_build = type(model).build.__qualname__ == "Model.build"  # a subclassed model
        if zeros_build and any(a.dtype.kind in "USO" for a in batches.xs):
            from ember.autograd.mode import no_grad  # text: zeros would not do; the first sample

            first = [a[:1] for a in batches.xs]
            object.__setattr__(model, "_in_build", True)  # skip Model.build's zeros
            try:
                with no_grad():
                    model(first[0] if len(first) == 1 else first, training=False)
            finally:
                object.__setattr__(model, "_in_build", False)
            model.built = True
            return
        shapes = [(None,) + a.shape[1:] for a in batches.xs]
        model.build(shapes[0] if len(shapes) == 1 else shapes)
