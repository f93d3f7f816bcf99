"""``CategoryEncoding`` (integer ids -> one-hot / multi-hot / count vectors) and
``Discretization`` (numbers -> bucket ids, with bucket boundaries given or learned from
quantiles by ``adapt``), as Keras' layers. Preprocessing: NumPy in, constant tensor out.

Example:
    >>> import numpy as np, ember as em
    >>> em.layers.CategoryEncoding(4, output_mode="multi_hot")(np.array([[0, 1], [3, 3]]))
    tensor([[1., 1., 0., 0.],
            [0., 0., 0., 1.]])
    >>> em.layers.Discretization(bin_boundaries=[0.0, 1.0])(np.array([[-1.0, 0.5, 2.0]]))
    tensor([[0, 1, 2]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.autograd.tensor import Tensor, wrap_array
from ember.layers._raw_inputs import RawInputs, as_array
from ember.layers.base import Layer
from ember.serialization import register

_array = as_array


def encoded_shape(input_shape: tuple, mode: str, depth: int | None) -> tuple:
    """The output shape of bin ids (``"int"``) or their ``depth``-wide vectors: one_hot adds an
    axis, multi_hot and count replace the last one (Discretization's and Hashing's rule)."""
    shape = tuple(input_shape)
    if mode == "int":
        return shape
    return (shape[:-1] if len(shape) > 1 and mode != "one_hot" else shape) + (depth,)


def encode(ids: np.ndarray, depth: int, mode: str, weights: np.ndarray | None = None,
           where: str = "CategoryEncoding") -> np.ndarray:
    """Keras' encode_categorical_inputs on NumPy: a 1-D input (or a trailing axis of 1 in
    one_hot mode) is one id per sample; otherwise the last axis holds each sample's ids."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        if ids.size and not np.all(ids == np.round(ids)):
            raise ValueError(f"{where}: expected integer ids; got values like {ids.flat[0]}")
        ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= depth):
        raise ValueError(f"{where}: ids must be in [0, {depth}) (num_tokens={depth}); got "
                         f"values from {int(ids.min())} to {int(ids.max())}")
    if mode == "one_hot":
        if ids.ndim >= 1 and ids.shape[-1] == 1 and ids.ndim > 1:
            ids = ids[..., 0]
        return np.eye(depth, dtype=np.float32)[ids]
    if ids.ndim == 0:
        ids = ids.reshape(1)
    rows = ids.reshape(-1, ids.shape[-1])
    out = np.zeros((len(rows), depth), dtype=np.float32)
    r = np.repeat(np.arange(len(rows)), rows.shape[1])
    add = 1.0 if weights is None else np.asarray(weights, np.float32).reshape(-1)
    np.add.at(out, (r, rows.reshape(-1)), add)
    if mode == "multi_hot":
        out = np.minimum(out, 1.0)
    return out.reshape(ids.shape[:-1] + (depth,))


@register()
class CategoryEncoding(RawInputs, Layer):
    """Integer ids in ``[0, num_tokens)`` -> ``one_hot`` / ``multi_hot`` / ``count``
    vectors of length ``num_tokens``; ``count_weights`` weigh each id in count mode."""

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output_mode not in ("one_hot", "multi_hot", "count"):
            raise ValueError(f"CategoryEncoding: output_mode must be 'one_hot', 'multi_hot' "
                             f"or 'count'; got {output_mode!r}")
        if num_tokens is None or isinstance(num_tokens, bool) or int(num_tokens) < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be a positive integer; got "
                             f"{num_tokens!r}")
        if sparse:
            raise ValueError("CategoryEncoding: sparse outputs are not supported by ember")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False
        self.built = True

    def call(self, inputs: Any, count_weights: Any = None) -> Tensor:
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("CategoryEncoding: count_weights are only used with "
                             f"output_mode='count'; got output_mode={self.output_mode!r}")
        return wrap_array(encode(_array(inputs), self.num_tokens, self.output_mode,
                           None if count_weights is None else _array(count_weights)))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        if len(shape) > 1 and (self.output_mode != "one_hot" or shape[-1] == 1):
            shape = shape[:-1]
        return shape + (self.num_tokens,)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": False}


@register()
class Discretization(RawInputs, Layer):
    """Numbers -> bucket ids: bucket ``i`` holds ``boundaries[i-1] <= x < boundaries[i]``.
    Give ``bin_boundaries``, or ``num_bins`` and call ``adapt(data)``, which computes
    approximate quantiles with Keras' summary algorithm (``epsilon`` its error). Output
    ``int`` (int64 ids) or ``one_hot`` / ``multi_hot`` / ``count`` over ``len(bins) + 1``."""

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Discretization: output_mode must be 'int', 'one_hot', "
                             f"'multi_hot' or 'count'; got {output_mode!r}")
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError("Discretization: give exactly one of bin_boundaries and "
                             f"num_bins; got bin_boundaries={bin_boundaries!r}, "
                             f"num_bins={num_bins!r}")
        if num_bins is not None and num_bins < 2:
            raise ValueError(f"Discretization: num_bins must be at least 2; got {num_bins}")
        if sparse:
            raise ValueError("Discretization: sparse outputs are not supported by ember")
        self.bin_boundaries = None if bin_boundaries is None else list(map(float,
                                                                           bin_boundaries))
        self.num_bins, self.epsilon, self.output_mode = num_bins, float(epsilon), output_mode
        self._summary = np.array([[], []], dtype=np.float32)
        self.built = True

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins - 1`` boundaries from the data's quantiles (an array, or an
        iterable of batches)."""
        if self.num_bins is None:
            raise ValueError("Discretization: adapt needs num_bins (bin_boundaries given)")
        batches = [data] if isinstance(data, (np.ndarray, list, tuple)) or \
            hasattr(data, "to_numpy") else data
        self._summary = np.array([[], []], dtype=np.float32)
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            values = _array(batch[0] if isinstance(batch, tuple) else batch)
            summary = _summarize(values.astype(np.float32), self.epsilon)
            self._summary = _merge(summary, self._summary, self.epsilon)
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs: Any) -> Tensor:
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r}: call adapt(data) first (or give "
                             "bin_boundaries)")
        x = _array(inputs)
        ids = np.digitize(x, np.asarray(self.bin_boundaries, dtype=x.dtype
                                        if x.dtype.kind == "f" else np.float64))
        ids = ids.astype(np.int64)
        if self.output_mode == "int":
            return wrap_array(ids)
        return wrap_array(encode(ids, len(self.bin_boundaries) + 1, self.output_mode,
                           where="Discretization"))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        n = None if self.bin_boundaries is None else len(self.bin_boundaries) + 1
        return encoded_shape(input_shape, self.output_mode, n)

    def get_config(self) -> dict:
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": None if self.bin_boundaries is not None else self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": False}


# Keras' streaming quantile summary: sorted values with weights, compressed by interpolation.
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _merge(a: np.ndarray, b: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((a, b), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    bins = np.interp(percents, cum / cum[-1], summary[0])
    cum_new = np.interp(percents, cum / cum[-1], cum)
    weights = cum_new - np.concatenate((np.array([0]), cum_new[:-1]))
    return np.stack((bins, weights)).astype(np.float32)
