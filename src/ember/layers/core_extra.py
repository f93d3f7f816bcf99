"""Small core layers of Keras 3: ``Identity``, ``RepeatVector``, ``ActivityRegularization``,
``Masking`` and ``Dot``.

Example:
    >>> import ember as em
    >>> em.layers.RepeatVector(3)(em.ones((2, 4))).shape
    (2, 3, 4)
    >>> em.layers.Dot(axes=1)([em.ones((2, 4)), em.ones((2, 4))]).tolist()
    [[4.0], [4.0]]
    >>> out = em.layers.Masking()(em.tensor([[[1.0], [0.0]]]))
    >>> out._mask.tolist()
    [[True, False]]
"""

from __future__ import annotations

import string
from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.ops.elementwise import maximum, sqrt, where
from ember.ops.linalg import einsum
from ember.ops.reduction import sum as _sum
from ember.ops.shape import broadcast_to, expand_dims, reshape
from ember.serialization import register


@register("layers.Identity")  # "Identity" is the initializer's name
class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. where a block is switched off)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


@register()
class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the input repeated ``n`` times."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise TypeError(f"RepeatVector: n must be a positive int; got {n!r}")
        self.n = n

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != 2:
            self._check_rank(inputs, 2, "(batch, features)")
        b, f = inputs.shape
        return broadcast_to(expand_dims(inputs, 1), (b, self.n, f))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


@register()
class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum|x| + l2 * sum x**2`` (per sample) to the loss."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        from ember.regularizers import L1L2

        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        return inputs

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)
        return config


@register()
class Masking(Layer):
    """Marks time steps whose features all equal ``mask_value`` as padding: they become 0
    and the output carries a (batch, timesteps) mask for the layers that follow (RNNs skip
    masked steps, attention ignores them)."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        keep = (inputs.data != self.mask_value).any(axis=-1)
        out = where(keep[..., None], inputs, 0.0)
        out._mask = keep
        return out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        data = inputs.data if isinstance(inputs, Tensor) else inputs
        return (data != self.mask_value).any(axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}


def l2_normalize(x: Tensor, axis: Any, epsilon: float) -> Tensor:
    """``x / max(||x||, epsilon)`` along ``axis`` (Keras' ``ops.normalize``)."""
    squares = _sum(x * x, axis=axis, keepdims=True)
    return x / sqrt(maximum(squares, epsilon * epsilon))


@register()
class Dot(Layer):
    """The dot product of two batched tensors along ``axes`` (an int or one per input;
    Keras' ``batch_dot``): (batch, n) . (batch, n) -> (batch, 1); ``normalize=True`` gives
    the cosine similarity."""

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot: axes must be an int or two ints; got {axes!r}")
            axes = [int(a) for a in axes]
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(f"Dot: axes must be an int or a list of two ints; got {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes(self, shapes: list) -> list:
        axes = [self.axes] * 2 if isinstance(self.axes, int) else self.axes
        out = [a % len(s) for a, s in zip(axes, shapes)]
        if 0 in out:
            raise ValueError(f"Dot '{self.name}': cannot contract the batch axis; got axes "
                             f"{self.axes} for shapes {shapes}")
        return out

    def _check(self, shapes: Any) -> list:
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2:
            raise ValueError(f"Dot '{self.name}': call it on a list of 2 inputs; got "
                             f"{shapes!r}")
        a, b = self._axes([tuple(s) for s in shapes])
        if shapes[0][a] is not None and shapes[1][b] is not None and \
                shapes[0][a] != shapes[1][b]:
            raise ValueError(f"Dot '{self.name}': incompatible shapes: axis {a} of "
                             f"{tuple(shapes[0])} is {shapes[0][a]}, axis {b} of "
                             f"{tuple(shapes[1])} is {shapes[1][b]}")
        return [a, b]

    def build(self, input_shape: Any) -> None:
        self._check(input_shape)

    def call(self, inputs: list) -> Tensor:
        x, y = inputs
        a, b = self._check([x.shape, y.shape])
        if self.normalize:
            x, y = l2_normalize(x, a, 1e-7), l2_normalize(y, b, 1e-7)
        letters = iter(string.ascii_letters[1:])
        xs = ["a"] + [next(letters) for _ in range(x.ndim - 1)]
        ys = ["a"] + [next(letters) for _ in range(y.ndim - 1)]
        ys[b] = xs[a]
        out = [c for i, c in enumerate(xs) if i != a] + [c for i, c in enumerate(ys)
                                                          if i not in (0, b)]
        z = einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
        return reshape(z, (z.shape[0], 1)) if z.ndim == 1 else z

    def compute_output_shape(self, input_shape: Any) -> tuple:
        a, b = self._check(input_shape)
        s1 = [d for i, d in enumerate(input_shape[0]) if i != a]
        s2 = [d for i, d in enumerate(input_shape[1]) if i not in (0, b)]
        out = tuple(s1 + s2)
        return out + (1,) if len(out) == 1 else out

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: list, axes: Any = -1, **kwargs: Any) -> Any:
    """``Dot(axes, **kwargs)(inputs)``: Keras' functional form of the Dot layer.

    Example:
        >>> import ember as em
        >>> em.layers.dot([em.ones((2, 3)), em.ones((2, 3))], axes=1).shape
        (2, 1)
    """
    return Dot(axes=axes, **kwargs)(inputs)
