"""The core layers: Dense, Activation, Flatten, Reshape, Permute, Dropout, Lambda.

Names, arguments and defaults are Keras 3's.

Example:
    >>> import ember as em
    >>> layer = em.layers.Dense(4, activation="relu")
    >>> layer(em.ones((2, 3))).shape, layer.kernel.shape
    ((2, 4), (3, 4))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.output_logits import activation_of
from ember.ops.elementwise import mul
from ember.ops.linear import linear
from ember.ops.misc import astype
from ember.ops.nn import dropout
from ember.ops.shape import reshape, transpose
from ember.serialization import register


@register()
class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)``.

    The kernel has shape (input features, units); inputs of rank > 2 are transformed along
    their last axis. The product and the bias are one graph node (``ember.ops.linear``).
    """

    holds_back_activation = True  # its call ends in activation_of(self)

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) and not (
                isinstance(units, float) and units.is_integer()) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer; got {units!r}")
        self.units = int(units)
        self.activation = _config.get_activation(activation)
        self.use_bias = bool(use_bias)
        _config.set_kernel_bias_options(
            self, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense '{self.name}': needs inputs of shape (batch, ..., features) "
                             f"with a known number of features; got {tuple(input_shape)}")
        n_in = int(input_shape[-1])
        self.kernel = self.add_weight("kernel", (n_in, self.units), self.kernel_initializer,
                                      self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self._expect_features(-1, n_in, "features", min_ndim=2)

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.data.dtype.kind != "f":  # integer or bool features: floatx out, as Keras
            inputs = astype(inputs, self.kernel.data.dtype)
        # the op applies the activation, fusing the ones it knows (relu) into its node
        return linear(inputs, self.kernel, self.bias, activation=activation_of(self))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _after_activation(self, tuple(input_shape)[:-1] + (self.units,))

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "units": self.units, "activation": s(self.activation),
                "use_bias": self.use_bias, **_config.kernel_bias_config(self),
                "activity_regularizer": s(self.activity_regularizer)}


@register()
class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``."""

    holds_back_activation = True  # its call ends in activation_of(self)

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = _config.get_activation(activation)
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        act = activation_of(self)  # None while the trainer takes this output's logits
        return inputs if act is None else act(inputs)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return _after_activation(self, tuple(input_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": _config.serialize(self.activation)}


def _after_activation(layer: Layer, shape: tuple) -> tuple:
    """``shape`` after the layer's activation: glu halves the last axis (it declares how with
    an ``output_shape`` attribute); the others keep it."""
    rule = getattr(layer.activation, "output_shape", None)
    return tuple(rule(shape)) if callable(rule) else shape


def _data_format(value: str | None, who: str) -> str:
    value = "channels_last" if value is None else str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first'; got "
                         f"{value!r}")
    return value


@register()
class Flatten(Layer):
    """Flattens every axis but the batch axis: (batch, 28, 28) -> (batch, 784).

    With ``data_format="channels_first"`` the channels axis is moved last first, so that the
    flattened order matches a channels-last model's.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format, "Flatten")

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs
        if x.ndim == 0:
            raise ValueError(f"Flatten '{self.name}': needs a batch axis; got a scalar")
        if self.data_format == "channels_first" and x.ndim > 2:
            x = transpose(x, (0, *range(2, x.ndim), 1))
        return reshape(x, (x.shape[0], math.prod(x.shape[1:])))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = tuple(input_shape)[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


@register()
class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (batch axis kept; one entry may be -1)."""

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            target = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(f"Reshape: target_shape must be a tuple of integers; got "
                             f"{target_shape!r}") from None
        if any(d < -1 or d == 0 for d in target) or target.count(-1) > 1:
            raise ValueError(f"Reshape: target_shape entries must be positive, with at most "
                             f"one -1 for the inferred axis; got {target}")
        self.target_shape = target

    def call(self, inputs: Tensor) -> Tensor:
        try:
            return reshape(inputs, (inputs.shape[0],) + self.target_shape)
        except ValueError:
            raise ValueError(f"Reshape '{self.name}': cannot reshape samples of shape "
                             f"{tuple(inputs.shape[1:])} ({math.prod(inputs.shape[1:])} values) "
                             f"into {self.target_shape}") from None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        target = list(self.target_shape)
        if -1 in target:
            rest = tuple(input_shape)[1:]
            known = math.prod(d for d in target if d != -1)
            target[target.index(-1)] = None if None in rest else math.prod(rest) // known
        return (input_shape[0], *target)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@register()
class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` counts from 1 as in Keras: ``Permute((2, 1))``
    swaps the two axes of (batch, time, features)."""

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(dims)} (the batch "
                             f"axis 0 stays first); got {dims}")
        self.dims = dims

    def call(self, inputs: Tensor) -> Tensor:
        if inputs.ndim != len(self.dims) + 1:
            self._check_rank(inputs, len(self.dims) + 1,
                             ["batch"] + [f"axis{i}" for i in range(1, len(self.dims) + 1)])
        return transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


@register()
class Dropout(Layer):
    """Inverted dropout: while training, zero each value with probability ``rate`` and
    scale the rest by 1 / (1 - rate); the identity at inference.

    ``noise_shape`` shares one draw along axes of size 1 (None entries take the input's
    size); ``seed`` gives the layer its own random generator.
    """

    def __init__(self, rate: float, noise_shape: Sequence[int | None] | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate is the fraction of inputs to drop and must be in "
                             f"[0, 1); got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rngs: dict = {}
        self.supports_masking = True

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if not training or self.rate == 0.0:
            return inputs
        if self.noise_shape is None and self.seed is None:
            return dropout(inputs, self.rate, True)
        shape = inputs.shape
        if self.noise_shape is not None:
            if len(self.noise_shape) != inputs.ndim:
                raise ValueError(f"Dropout '{self.name}': noise_shape {self.noise_shape} needs "
                                 f"one entry per input axis; the input has shape {shape}")
            shape = tuple(n if d is None else d for d, n in zip(self.noise_shape, shape))
        xp = backend.xp_of(inputs.data)
        rng = backend.rng(xp) if self.seed is None else self._rng(xp)
        keep = rng.random(shape, dtype="float32") >= self.rate
        scale = keep.astype(inputs.data.dtype)
        scale *= 1.0 / (1.0 - self.rate)
        return mul(inputs, wrap_array(scale))

    def _rng(self, xp: Any) -> Any:
        gen = self._rngs.get(xp.__name__)
        if gen is None:
            gen = self._rngs[xp.__name__] = xp.random.default_rng(self.seed)
        return gen

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}


@register()
class Lambda(Layer):
    """Wraps a function of Tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    A Lambda holds Python code, which ember never writes into (or runs from) a saved file: a
    model using one cannot be saved; write a small Layer subclass for that instead.
    """

    def __init__(self, function: Callable, output_shape: Any = None, mask: Any = None,
                 arguments: dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable; got {function!r}")
        self.function = function
        self.output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self.supports_masking = mask is not None

    def call(self, inputs: Any) -> Any:
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape: tuple) -> Any:
        if self.output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self.output_shape):
            return tuple(self.output_shape(tuple(input_shape)))
        return (input_shape[0], *self.output_shape)

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Lambda '{self.name}' wraps Python code, which ember does not save (loading a "
            "file never runs code); replace it with a Layer subclass registered with "
            "@em.serialization.register_serializable()"
        )
