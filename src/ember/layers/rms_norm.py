"""``RMSNormalization`` (Zhang & Sennrich, 2019), Keras 3's layer: each sample is divided by
the root mean square over ``axis`` and multiplied by a learned ``scale`` (no centering, no
shift): ``x * rsqrt(mean(x ** 2, axis) + epsilon) * scale``.

Example:
    >>> import ember as em
    >>> norm = em.layers.RMSNormalization()
    >>> out = norm(em.tensor([[3.0, 4.0]]))
    >>> out.numpy().astype(float).round(4).tolist(), norm.scale.shape
    ([[0.8485, 1.1314]], (2,))
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.ops.elementwise import sqrt
from ember.ops.reduction import mean
from ember.ops.shape import reshape
from ember.serialization import register


@register()
class RMSNormalization(Layer):
    """Root-mean-square normalization over ``axis`` (an int or a list) with a ``scale`` weight
    of the shape of those axes; ``epsilon`` is added to the mean square (Keras' 1e-6)."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        ok = (isinstance(axis, int) and not isinstance(axis, bool)) or (
            isinstance(axis, (list, tuple)) and len(axis) > 0
            and all(isinstance(a, int) and not isinstance(a, bool) for a in axis))
        if not ok:
            raise ValueError(f"RMSNormalization: axis must be an int or a list of ints; got "
                             f"{axis!r}")
        self.axis = sorted(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = float(epsilon)
        self.supports_masking = True

    def _axes(self, ndim: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"RMSNormalization '{self.name}': axis {a} is out of bounds "
                                 f"for inputs of {ndim} axes (axis={self.axis})")
        return [a % ndim for a in axes]

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        axes = self._axes(len(shape))
        dims = tuple(shape[a] for a in axes)
        if any(d is None for d in dims):
            raise ValueError(f"RMSNormalization '{self.name}': the normalized axes {self.axis} "
                             f"must have known sizes; got input shape {shape}")
        # Keras keeps the axes as a list once built (its get_config then reports the list)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        self.scale = self.add_weight("scale", dims, "ones")

    def call(self, inputs: Tensor) -> Tensor:
        nd = inputs.ndim
        axes = self._axes(nd)
        ms = mean(inputs * inputs, axis=tuple(axes), keepdims=True)
        out = inputs / sqrt(ms + self.epsilon)
        # the scale sits on the normalized axes, whichever they are
        bshape = tuple(inputs.shape[i] if i in axes else 1 for i in range(nd))
        return out * reshape(self.scale, bshape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._axes(len(tuple(input_shape)))
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
