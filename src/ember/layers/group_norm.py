"""``GroupNormalization`` (Wu & He, 2018) and ``UnitNormalization``, Keras 3's layers.

GroupNormalization splits the channels (``axis``, last by default) into ``groups`` and
normalizes each sample's group over its channels and all other non-batch axes, then scales
by ``gamma`` and shifts by ``beta`` (one per channel); it does not depend on the batch, so
it trains the same with any batch size. ``groups=-1`` is one group per channel (instance
normalization); ``groups=1`` is layer normalization over every axis.

UnitNormalization scales each sample to unit L2 norm along ``axis`` (Keras' epsilon 1e-12).

Example:
    >>> import ember as em
    >>> gn = em.layers.GroupNormalization(groups=2)
    >>> gn(em.randn(4, 5, 5, 6)).shape, gn.gamma.shape
    ((4, 5, 5, 6), (6,))
    >>> out = em.layers.UnitNormalization()(em.tensor([[3.0, 4.0]]))
    >>> out.numpy().astype(float).round(4).tolist()
    [[0.6, 0.8]]
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.core_extra import l2_normalize
from ember.ops.elementwise import sqrt
from ember.ops.reduction import mean
from ember.ops.shape import reshape
from ember.serialization import register


@register()
class GroupNormalization(Layer):
    """Normalize groups of channels per sample (see the module docstring)."""

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups == 0 or \
                groups < -1:
            raise ValueError(f"GroupNormalization: groups must be a positive int or -1; got "
                             f"{groups!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"GroupNormalization: axis must be an int; got {axis!r}")
        self.groups, self.axis, self.epsilon = groups, axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        g = _config
        self.beta_initializer = g.get_initializer(beta_initializer)
        self.gamma_initializer = g.get_initializer(gamma_initializer)
        self.beta_regularizer = g.get_regularizer(beta_regularizer)
        self.gamma_regularizer = g.get_regularizer(gamma_regularizer)
        self.beta_constraint = g.get_constraint(beta_constraint)
        self.gamma_constraint = g.get_constraint(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        who = f"GroupNormalization '{self.name}'"
        if not -len(shape) <= self.axis < len(shape) or self.axis % len(shape) == 0:
            raise ValueError(f"{who}: axis {self.axis} is not a non-batch axis of inputs of "
                             f"shape {shape}")
        dim = shape[self.axis]
        if dim is None:
            raise ValueError(f"{who}: axis {self.axis} of the input must be known; got "
                             f"{shape}")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(f"{who}: the {dim} channels cannot be split into {self.groups} "
                             "equal groups")
        self.gamma = self.add_weight("gamma", (dim,), self.gamma_initializer,
                                     self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight("beta", (dim,), self.beta_initializer,
                                    self.beta_regularizer, constraint=self.beta_constraint) \
            if self.center else None

    def call(self, inputs: Tensor) -> Tensor:
        shape = tuple(inputs.shape)
        nd = len(shape)
        a = self.axis % nd
        grouped = reshape(inputs, shape[:a] + (self.groups, shape[a] // self.groups)
                          + shape[a + 1:])
        axes = tuple(i for i in range(1, nd + 1) if i != a)
        mu = mean(grouped, axis=axes, keepdims=True)
        centered = grouped - mu
        var = mean(centered * centered, axis=axes, keepdims=True)
        out = reshape(centered / sqrt(var + self.epsilon), shape)
        bshape = tuple(shape[a] if i == a else 1 for i in range(nd))
        if self.gamma is not None:
            out = out * reshape(self.gamma, bshape)
        if self.beta is not None:
            out = out + reshape(self.beta, bshape)
        return out

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": s(self.beta_initializer),
                "gamma_initializer": s(self.gamma_initializer),
                "beta_regularizer": s(self.beta_regularizer),
                "gamma_regularizer": s(self.gamma_regularizer),
                "beta_constraint": s(self.beta_constraint),
                "gamma_constraint": s(self.gamma_constraint)}


@register()
class UnitNormalization(Layer):
    """``x / max(||x||, 1e-12)`` along ``axis`` (an int or a list of axes)."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = [int(a) for a in axis]
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"UnitNormalization: axis must be an int or a list of ints; got "
                            f"{axis!r}")
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return l2_normalize(inputs, axis, 1e-12)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
