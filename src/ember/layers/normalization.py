"""BatchNormalization and LayerNormalization, with Keras 3's arguments and conventions.

Both normalize with one fused graph node (``ember.ops.linear._normalize``): exact gradients,
and second derivatives through ``create_graph``.

Example:
    >>> import ember as em
    >>> bn = em.layers.BatchNormalization()
    >>> y = bn(em.randn(64, 3) * 5 + 2, training=True)
    >>> bool(abs(y.numpy().mean(0)).max() < 1e-5)
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers import _config
from ember.layers.base import Layer
from ember.ops.linear import _normalize
from ember.ops.misc import astype
from ember.ops.shape import reshape
from ember.serialization import register


def _param_config(layer: Layer, names: Sequence[str]) -> dict:
    return {n: _config.serialize(getattr(layer, n)) for n in names}


_BETA_GAMMA = ("beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
               "beta_constraint", "gamma_constraint")


def _beta_gamma(layer: Layer, beta_initializer: Any, gamma_initializer: Any,
                beta_regularizer: Any, gamma_regularizer: Any, beta_constraint: Any,
                gamma_constraint: Any) -> None:
    layer.beta_initializer = _config.get_initializer(beta_initializer)
    layer.gamma_initializer = _config.get_initializer(gamma_initializer)
    layer.beta_regularizer = _config.get_regularizer(beta_regularizer)
    layer.gamma_regularizer = _config.get_regularizer(gamma_regularizer)
    layer.beta_constraint = _config.get_constraint(beta_constraint)
    layer.gamma_constraint = _config.get_constraint(gamma_constraint)


@register()
class BatchNormalization(Layer):
    """Normalizes each feature (``axis``) to zero mean and unit variance, then scales by
    ``gamma`` and shifts by ``beta``.

    Training (``training=True``): the batch's mean and biased variance over every other axis;
    then, in place and without recording, ``moving_mean = moving_mean * momentum +
    mean * (1 - momentum)`` and the same for ``moving_variance`` (with the biased batch
    variance, as Keras). Inference, or a frozen layer (``trainable=False``, as Keras): the
    moving statistics. PyTorch's ``momentum`` is ``1 - momentum`` here, and PyTorch puts the
    unbiased batch variance into its running variance.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if synchronized:
            raise ValueError("BatchNormalization: synchronized=True (statistics across "
                             "devices) is not supported; ember trains on one device")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1]; got {momentum}")
        if float(epsilon) <= 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive; got {epsilon}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = False
        _beta_gamma(self, beta_initializer, gamma_initializer, beta_regularizer,
                    gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = _config.get_initializer(moving_mean_initializer)
        self.moving_variance_initializer = _config.get_initializer(moving_variance_initializer)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} is out of "
                             f"range for inputs of shape {tuple(input_shape)}")
        axis = self.axis % ndim
        n = input_shape[axis]
        if n is None:
            raise ValueError(f"BatchNormalization '{self.name}': the size of axis {self.axis} "
                             f"must be known; got input shape {tuple(input_shape)}")
        shape = (int(n),)
        self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                     self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)
        self._axis = axis
        self._ndim = ndim
        self._stat_axes = tuple(i for i in range(ndim) if i != axis)
        self._pshape = tuple(int(n) if i == axis else 1 for i in range(ndim))
        word = "features" if ndim == 2 else "channels"
        self._expect_features(axis - ndim, int(n), word, min_ndim=ndim)

    def call(self, inputs: Tensor, training: Any = None, mask: Any = None) -> Tensor:
        if inputs.ndim != self._ndim:
            self._check_rank(inputs, self._ndim, None)
        if training and self.trainable:
            if inputs.size == 0:  # no statistics to take: empty out, moving ones untouched
                warnings.warn(f"BatchNormalization '{self.name}': got a batch of 0 samples "
                              f"(input shape {tuple(inputs.shape)}) in training; batch "
                              "statistics need at least one sample, so the moving mean and "
                              "variance are left as they were", UserWarning, stacklevel=3)
                return inputs * 1.0
            if mask is not None:
                out, mean, var = self._masked_moments(inputs, mask)
            else:
                out, mean, var = _normalize(inputs, self._stat_axes, (self._axis,), self.gamma,
                                            self.beta, self.epsilon)
            self._update_moving(mean, var)
            return out
        # Inference: an affine map with constants from the moving statistics.
        inv = (self.moving_variance + self.epsilon) ** -0.5
        if self.gamma is not None:
            inv = inv * self.gamma
        shift = -self.moving_mean * inv
        if self.beta is not None:
            shift = shift + self.beta
        if self._axis != self._ndim - 1:
            inv, shift = reshape(inv, self._pshape), reshape(shift, self._pshape)
        return inputs * inv + shift

    def _update_moving(self, mean: Any, var: Any) -> None:
        m = self.momentum
        with no_grad():
            for v, stat in ((self.moving_mean, mean), (self.moving_variance, var)):
                stat = stat.data if isinstance(stat, Tensor) else stat
                v.data *= m
                v.data += (1.0 - m) * stat.reshape(v.shape).astype(v.data.dtype, copy=False)
                v._version += 1

    def _masked_moments(self, inputs: Tensor, mask: Any) -> tuple:
        """Statistics over the unmasked time steps only (composed ops; a rare path)."""
        m = mask.data if isinstance(mask, Tensor) else mask
        if m.ndim != inputs.ndim - 1:
            raise ValueError(f"BatchNormalization '{self.name}': the mask must have one axis "
                             f"less than the inputs; got mask {m.shape}, inputs {inputs.shape}")
        w = wrap_array(m.astype(inputs.data.dtype)[..., None])
        axes = self._stat_axes
        count = w.sum(axis=axes, keepdims=True) + 1e-7
        mean = (w * inputs).sum(axis=axes, keepdims=True) / count
        var = (w * (inputs - mean) ** 2).sum(axis=axes, keepdims=True) / count
        out = (inputs - mean) * (var + self.epsilon) ** -0.5
        if self.gamma is not None:
            out = out * reshape(self.gamma, self._pshape)
        if self.beta is not None:
            out = out + reshape(self.beta, self._pshape)
        return out, mean.data, var.data

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                **_param_config(self, _BETA_GAMMA + ("moving_mean_initializer",
                                                     "moving_variance_initializer")),
                "synchronized": False}


@register()
class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (an axis or a list), then ``* gamma + beta``
    (shaped like those axes).

    ``rms_scaling=True`` follows Keras 3: ``center`` and ``scale`` are ignored and the output
    is ``inputs * gamma / sqrt(var + epsilon)`` — the inputs are not centred, but ``var`` is
    their variance (Keras' implementation), not the mean of their squares.
    """

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, rms_scaling: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None,
                 beta_constraint: Any = None, gamma_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int):
            self.axis = int(axis)
        else:
            raise TypeError(f"LayerNormalization: axis must be an int or a list of ints; got "
                            f"{axis!r}")
        if float(epsilon) <= 0:
            raise ValueError(f"LayerNormalization: epsilon must be positive; got {epsilon}")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        _beta_gamma(self, beta_initializer, gamma_initializer, beta_regularizer,
                    gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(f"LayerNormalization '{self.name}': axis {a} is out of range "
                                 f"for inputs of shape {tuple(input_shape)}")
        axes = tuple(sorted(a % ndim for a in axes))
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"LayerNormalization '{self.name}': the normalized axes must have "
                             f"known sizes; got input shape {tuple(input_shape)}")
        self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                     self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale or self.rms_scaling else None
        self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer,
                                    constraint=self.beta_constraint) \
            if self.center and not self.rms_scaling else None
        self._axes = axes
        self._ndim = ndim
        self._pshape = tuple(n if i in axes else 1 for i, n in enumerate(input_shape))
        if len(axes) == 1:
            self._expect_features(axes[0] - ndim, shape[0], min_ndim=ndim)

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != self._ndim:
            self._check_rank(inputs, self._ndim, None)
        if inputs.data.dtype.kind != "f":  # integer features: the layer's float type, as Keras
            inputs = astype(inputs, self._np_dtype)
        if self.rms_scaling:
            var = inputs.var(axis=self._axes, keepdims=True)
            return inputs * (var + self.epsilon) ** -0.5 * reshape(self.gamma, self._pshape)
        return _normalize(inputs, self._axes, self._axes, self.gamma, self.beta,
                          self.epsilon)[0]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, "rms_scaling": self.rms_scaling,
                **_param_config(self, _BETA_GAMMA)}
