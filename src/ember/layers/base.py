"""``Layer``: the Keras layer lifecycle on ember tensors.

A layer validates its configuration in ``__init__``, creates its weights in
``build(input_shape)`` with ``add_weight`` (called once, lazily, with the full shape of the
first input, batch axis included) and computes in ``call(inputs, training=None)``. Weights and
sublayers assigned as attributes are tracked, so ``weights``, ``trainable_weights``,
``losses`` and freezing (``layer.trainable = False``) reach everything inside.

Example:
    >>> import ember as em
    >>> class Scale(em.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> layer = Scale()
    >>> layer(em.ones((2, 3))).shape, [w.path for w in layer.weights]
    ((2, 3), ['scale/w'])

Calling ``layer(x)``: NumPy input becomes a Tensor (float input in the layer's dtype), the
layer is built on the first call, ``training`` and ``mask`` are passed to ``call`` only when
its signature names them (checked once per class), an outer ``training=`` reaches inner layers
called with ``training=None``, a padding mask (``x._mask``) follows through layers that
``supports_masking``, and activity-regularizer losses are recorded. Inputs that define
``__ember_layer_call__(layer, inputs, *args, **kwargs)`` (the functional API's symbolic
tensors) take over the call instead.
"""

from __future__ import annotations

import functools
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.devices import Device, probe_zeros, scoped_device
from ember.layers import _config, dtype_policy, expected_weights
from ember.layers.input_checks import InputChecks
from ember.layers.input_spec import assert_input_compatibility
from ember.layers.layer_call import (
    _CTX,
    _NO_INPUTS,
    CALL_TAKES_MASK,
    CALL_TAKES_NOTHING,
    CALL_TAKES_TRAINING,
    _as_shape,
    _attach_masks,
    _first_argument_by_name,
    _shape_of,
    _symbolic_hook,
    _unknown_kwargs,
    call_arguments,
)
from ember.layers.naming import to_snake_case, unique_name
from ember.layers.torch_module import TorchModule
from ember.layers.tracking import Trackable, flatten_nested
from ember.serialization import register
from ember.variable import Variable

_NDARRAY = backend.numpy_module().ndarray

@register()
class Layer(InputChecks, TorchModule, Trackable):
    """Base class of every layer: weights, lazy build, call, config, freezing.

    ``input_shape`` (batch axis excluded, as Keras) is kept for ``Sequential`` to build from;
    ``input_dim=n`` means ``input_shape=(n,)``.
    """

    supports_masking = False
    input_spec: Any = None  # an InputSpec (or a list): checked on every call, as Keras
    _computes_mask = False  # True when a subclass defines compute_mask (__init_subclass__)

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        # The constructor arguments, for get_config() of custom layers that do not write one.
        object.__setattr__(obj, "_init_args", (args, kwargs))
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_ember_wrapped", False):
            cls.build = _wrap_build(build)
        if "compute_mask" in cls.__dict__:
            # Keras 3: a layer that writes its own compute_mask supports masking unless it
            # says otherwise, and its compute_mask runs even without a mask coming in
            # (a custom embedding makes the first one)
            cls._computes_mask = True
            if "supports_masking" not in cls.__dict__:
                cls.supports_masking = True

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 input_shape: Any = None, batch_input_shape: Any = None,
                 input_dim: int | None = None, **kwargs: Any) -> None:
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("autocast", None)
        if kwargs:
            raise _unknown_kwargs(self, kwargs)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string; got {name!r}")
        if batch_input_shape is not None:
            batch_size = batch_input_shape[0]
            input_shape = tuple(batch_input_shape)[1:]
        elif input_shape is None and input_dim is not None:
            input_shape = (int(input_dim),)
        policy = dtype_policy.layer_policy(dtype)  # None for a plain dtype (the usual case)
        if policy is not None:
            dtype = policy.variable_dtype
        np_dtype = backend.numpy_module().dtype(dtype or backend.floatx())
        if np_dtype.kind not in "fiub":
            raise ValueError(f"{type(self).__name__}: unsupported dtype {dtype!r}")
        # mixed_float16: __call__ casts inputs and weights to the compute dtype
        compute_cast = None if policy is None or policy.compute_dtype == np_dtype.name \
            else backend.numpy_module().dtype(policy.compute_dtype)
        for key, value in (
            ("_tracked", {}), ("_extra_layers", []), ("_own_trainable", []),
            ("_own_non_trainable", []), ("_call_losses", []), ("_trainable", bool(trainable)),
            ("built", False), ("_in_build", False), ("_feature_spec", None),
            ("_build_input_shape", None), ("_build_output_shape", None),
            ("_call_takes", call_arguments(type(self))), ("_np_dtype", np_dtype),
            ("_policy", policy), ("_compute_cast", compute_cast),
            ("_computes_mask", type(self)._computes_mask),  # an instance attribute: faster
            ("name", name or unique_name(to_snake_case(type(self).__name__))),
            ("dtype", np_dtype.name),
            ("_input_shape_arg", None if input_shape is None else _as_shape(input_shape)),
            ("_batch_size_arg", batch_size),
            ("activity_regularizer", _config.get_regularizer(activity_regularizer)),
        ):
            object.__setattr__(self, key, value)

    # ------------------------------------------------------------------ weights
    def add_weight(self, name: str | None = None, shape: Any = None,
                   initializer: Any = "glorot_uniform", regularizer: Any = None,
                   trainable: bool = True, dtype: Any = None, constraint: Any = None,
                   **kwargs: Any) -> Variable:
        """Create a weight ``Variable`` owned by this layer (call it from ``build``).

        ``initializer`` is a name ("zeros", "he_normal", ...), a callable
        ``init(shape, dtype) -> array`` or an array. Keras 3's ``add_weight(shape, ...)``
        with the shape first works too.
        """
        for key in ("autocast", "aggregation", "overwrite_with_gradient"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.add_weight: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            name, shape = (shape if isinstance(shape, str) else None), name
        if shape is None:
            raise ValueError(f"{type(self).__name__}.add_weight: pass the weight's shape")
        shape = _as_shape(shape)
        if any(d is None or d < 0 for d in shape):
            raise ValueError(f"{type(self).__name__} '{self.name}'.add_weight({name!r}): the "
                             f"shape {shape} must be fully known (got None or a negative size)")
        name = name or f"variable_{len(self._own_trainable) + len(self._own_non_trainable)}"
        dt = backend.numpy_module().dtype(dtype or self.dtype)
        expected_weights.claim(self, name, shape)  # a loader checks the file first
        if initializer is None:
            initializer = "glorot_uniform" if dt.kind == "f" else "zeros"
        v = Variable(initializer, shape=shape, dtype=dt, trainable=trainable and self._trainable,
                     name=name, regularizer=_config.get_regularizer(regularizer),
                     constraint=_config.get_constraint(constraint), path=f"{self.name}/{name}")
        (self._own_trainable if trainable else self._own_non_trainable).append(v)
        return v

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape: Any) -> None:
        """Create the weights for inputs of ``input_shape`` (override; call add_weight)."""
        object.__setattr__(self, "built", True)
        object.__setattr__(self, "_build_input_shape", input_shape)

    def _build_from_shape(self, input_shape: Any) -> None:
        """Build once for ``input_shape`` (a tuple with the batch axis, or a list of them)."""
        if not self.built:
            self.build(_as_shape(input_shape) if isinstance(input_shape, tuple)
                       else input_shape)

    def get_build_config(self) -> dict:
        return {"input_shape": _config.jsonable_shape(self._build_input_shape)}

    def build_from_config(self, config: dict) -> None:
        shape = config.get("input_shape")
        if shape is not None:
            self._build_from_shape(_config.shape_from_json(shape))

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation (override)."""
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs)")

    def __call__(self, inputs: Any = _NO_INPUTS, *args: Any, training: Any = None,
                 mask: Any = None, **kwargs: Any) -> Any:
        if inputs is _NO_INPUTS:  # the first argument given by its name in call()
            inputs = _first_argument_by_name(self, kwargs)
        if not isinstance(inputs, Tensor):
            if type(inputs) is not _NDARRAY:  # a NumPy array is never a symbolic input
                hook = _symbolic_hook(inputs)
                if hook is not None:
                    return hook(self, inputs, *args, training=training, mask=mask, **kwargs)
            inputs = self._convert_inputs(inputs)
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self.name)
        if self._compute_cast is not None:  # a mixed policy: compute in float16
            return dtype_policy.mixed_call(self, inputs, args, training, mask, kwargs)
        first = not self.built
        if first and not self._in_build:
            self._build_from_shape(_shape_of(inputs))
        spec = self._feature_spec
        if spec is not None:
            shape = inputs.data.shape
            if len(shape) < spec[3] or shape[spec[0]] != spec[1]:
                self._raise_feature_error(inputs)
        takes = self._call_takes
        if mask is None and (takes & CALL_TAKES_MASK or self.supports_masking):
            mask = getattr(inputs, "_mask", None)
        if self._call_losses:
            self._call_losses.clear()
        ctx = _CTX
        if training is None and self._train_mode is not None:  # after train() / eval()
            training = self._train_mode
        if training is None or training is ctx.training:  # e.g. a model's layers, nested
            if takes == CALL_TAKES_NOTHING:
                out = self.call(inputs, *args, **kwargs)
            else:
                out = self._invoke(inputs, args, kwargs, ctx.training, mask, takes)
        else:
            prev = ctx.training
            ctx.training = training
            try:
                out = self._invoke(inputs, args, kwargs, training, mask, takes)
            finally:
                ctx.training = prev
        if self.activity_regularizer is not None:
            self._add_activity_losses(out)
        if (mask is not None or self._computes_mask) and self.supports_masking:
            _attach_masks(self, inputs, out, mask)
        if first and isinstance(out, Tensor):
            object.__setattr__(self, "_build_output_shape", (None,) + tuple(out.shape[1:]))
        return out

    def _invoke(self, inputs: Any, args: tuple, kwargs: dict, training: Any, mask: Any,
                takes: int) -> Any:
        if takes == CALL_TAKES_NOTHING:
            return self.call(inputs, *args, **kwargs)
        if takes == CALL_TAKES_TRAINING:
            return self.call(inputs, *args, training=training, **kwargs)
        if takes == CALL_TAKES_MASK:
            return self.call(inputs, *args, mask=mask, **kwargs)
        return self.call(inputs, *args, training=training, mask=mask, **kwargs)

    def _convert_inputs(self, inputs: Any) -> Any:
        dev = self.__dict__.get("_device") or scoped_device()  # `to(...)`'s, else the scope's
        if type(inputs) is _NDARRAY and inputs.dtype == self._np_dtype and dev is None:
            return wrap_array(inputs)  # the common case (a NumPy batch) without the checks below
        if isinstance(inputs, (list, tuple)):
            return [self._convert_inputs(x) for x in inputs]
        if isinstance(inputs, dict):
            return {k: self._convert_inputs(v) for k, v in inputs.items()}
        if inputs is None or isinstance(inputs, Tensor):
            return inputs
        arr = inputs if hasattr(inputs, "dtype") and hasattr(inputs, "shape") \
            else backend.numpy_module().asarray(inputs)
        if arr.dtype.kind == "f" and arr.dtype != self._np_dtype and self._np_dtype.kind == "f":
            arr = arr.astype(self._np_dtype)
        arr = backend.get_array_module(arr).asarray(arr)
        return wrap_array(arr if dev is None else backend.to_device(arr, dev))

    def _add_activity_losses(self, out: Any) -> None:
        for t in flatten_nested(out):
            if isinstance(t, Tensor):
                loss = self.activity_regularizer(t)
                if t.ndim > 0 and t.shape[0] > 0:
                    loss = loss / t.shape[0]  # per sample, as Keras
                self._call_losses.append(loss)

    @property
    def input(self) -> Any:
        """The symbolic input of this layer's first call in a functional graph (Keras)."""
        from ember.layers.symbolic import first_call_tensors

        return first_call_tensors(self, "input")

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's first call in a functional graph, e.g. to cut a
        feature extractor out of a model: ``em.Model(model.input, layer.output)``."""
        from ember.layers.symbolic import first_call_tensors

        return first_call_tensors(self, "output")

    @property
    def dtype_policy(self) -> dtype_policy.DTypePolicy:
        """The layer's dtype policy (Keras): its ``compute_dtype`` and ``variable_dtype``."""
        return self._policy if self._policy is not None else dtype_policy.DTypePolicy(
            self.dtype)

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in: float16 under ``mixed_float16``."""
        return self.dtype if self._policy is None else self._policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's variables (``layer.dtype``)."""
        return self.dtype

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The padding mask of the output: the input's when the layer supports masking."""
        return previous_mask if self.supports_masking else None

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape`` (None for unknown axes).

        This default runs the layer once on zeros (unknown axes taken as 1) and reports the
        batch axis as None; layers override it with the arithmetic.
        """
        from ember.autograd.mode import no_grad

        if isinstance(input_shape, (list, tuple)) and input_shape and \
                all(isinstance(s, (list, tuple)) for s in input_shape):
            # several inputs: the functional API then runs the layer on zeros of each shape
            raise NotImplementedError(f"{type(self).__name__}: no output-shape rule for "
                                      "several inputs")
        shape = _as_shape(input_shape)
        self._build_from_shape(shape)
        probe = wrap_array(probe_zeros(shape, self._np_dtype, self))
        with no_grad():
            out = self._invoke(probe, (), {}, False, None, self._call_takes)
        return (shape[0],) + tuple(out.shape[1:])

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments as JSON-able values (``from_config`` rebuilds)."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": self.dtype if self._policy is None else self._policy.name}
        if type(self).get_config is Layer.get_config and type(self).__init__ is not \
                Layer.__init__:
            config = {**_config.auto_config(self), **config}
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = [self._batch_size_arg, *self._input_shape_arg]
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = _config.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """A new layer from ``get_config()``'s dictionary (nested objects rebuilt by name)."""
        return cls(**_config.deserialize_values(config))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _wrap_build(build: Any) -> Any:
    """Make a subclass's build mark the layer built and guard against re-entrant builds."""

    @functools.wraps(build)
    def wrapped(self: Layer, *args: Any, **kwargs: Any) -> None:
        prev = self._in_build
        object.__setattr__(self, "_in_build", True)
        try:
            dev = self.__dict__.get("_device")
            if dev is None:
                build(self, *args, **kwargs)
            else:  # `layer.to(device)` came before the build: make the weights there
                with Device(dev):
                    build(self, *args, **kwargs)
        finally:
            object.__setattr__(self, "_in_build", prev)
        shape = args[0] if args else next(iter(kwargs.values()), None)
        object.__setattr__(self, "built", True)
        object.__setattr__(self, "_build_input_shape", shape)

    wrapped._ember_wrapped = True
    return wrapped
