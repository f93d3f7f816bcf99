"""Keras' dtype policies: which dtype a layer's variables are stored in and which its
computation runs in.

``"float32"`` (or any float dtype) uses one dtype for both. ``"mixed_float16"`` keeps the
variables in float32 (the optimizer updates them there) while the layer computes in float16:
``Layer.__call__`` casts float inputs to float16, and the layer's trainable weights are read
as float16 casts during its call (the gradients flow back to the float32 variables), so the
outputs are float16. As in Keras the loss is computed in float32; a final layer given
``dtype="float32"`` computes (and hands its softmax) in float32.

Example:
    >>> import ember as em
    >>> from ember.keras import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_float16")
    >>> layer = em.layers.Dense(2)
    >>> y = layer(em.ones((1, 3)).numpy())
    >>> layer.compute_dtype, layer.variable_dtype, layer.kernel.dtype.name, y.dtype.name
    ('float16', 'float32', 'float32', 'float16')
    >>> mixed_precision.set_global_policy(None)  # back to floatx()
    >>> em.layers.Dense(2).dtype_policy
    <DTypePolicy "float32">
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember import backend

_VALID = ("Valid policies include 'mixed_float16' and the name of any float dtype NumPy has "
          "('float16', 'float32', 'float64')")


class DTypePolicy:
    """A dtype policy: ``name`` is a float dtype or ``"mixed_float16"`` (None: floatx()).

    Example:
        >>> p = DTypePolicy("mixed_float16")
        >>> p.name, p.compute_dtype, p.variable_dtype
        ('mixed_float16', 'float16', 'float32')
    """

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = backend.floatx()
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: name must be a string such as 'mixed_float16'; got "
                            f"{type(name).__name__} {name!r}")
        if name == "mixed_float16":
            compute, variable = "float16", "float32"
        elif name == "mixed_bfloat16" or name == "bfloat16":
            # ml_dtypes' bfloat16 is not a float kind to NumPy (its kind is 'V'), so NumPy's
            # float arithmetic, and ember's ops built on it, cannot compute in it
            raise ValueError(f"DTypePolicy: {name!r} needs bfloat16, which NumPy does not have; "
                             "ember computes with NumPy. Use 'mixed_float16' (float16 "
                             "compute, float32 variables) instead")
        else:
            try:
                dt = np.dtype(name)
            except TypeError:
                dt = None
            if dt is None or dt.kind != "f":
                raise ValueError(f"DTypePolicy: cannot convert {name!r} to a dtype policy. "
                                 f"{_VALID}")
            compute = variable = dt.name
        self._name, self._compute, self._variable = name, compute, variable

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype the layer computes in (its inputs are cast to it)."""
        return self._compute

    @property
    def variable_dtype(self) -> str:
        """The dtype the layer's variables are created in."""
        return self._variable

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy  # Keras' other name for it
_GLOBAL: list[DTypePolicy | None] = [None]  # None: floatx(), read when a layer is made


def set_global_policy(policy: Any) -> None:
    """The policy of the layers made from now on that are given no ``dtype``; None resets it
    to ``floatx()``. Example: ``set_global_policy("mixed_float16")``."""
    _GLOBAL[0] = None if policy is None else get(policy)


def global_policy() -> DTypePolicy:
    """The policy new layers get (``DTypePolicy(floatx())`` unless one was set)."""
    return _GLOBAL[0] if _GLOBAL[0] is not None else DTypePolicy(backend.floatx())


def get(value: Any) -> DTypePolicy:
    """A DTypePolicy from a policy, a name, a NumPy dtype or Keras' serialized form."""
    if isinstance(value, DTypePolicy):
        return value
    if isinstance(value, dict):  # {"class_name": "DTypePolicy", "config": {"name": ...}}
        value = (value.get("config") or {}).get("name")
    if not isinstance(value, str):
        try:
            value = np.dtype(value).name
        except TypeError:
            raise TypeError(f"dtype policy: expected a policy name such as 'mixed_float16', a "
                            f"DTypePolicy or a dtype; got {value!r}") from None
    return DTypePolicy(value)


def layer_policy(dtype: Any) -> DTypePolicy | None:
    """The policy a layer made with ``dtype`` gets, or None for a plain dtype (the common
    case: ``dtype`` None with no global policy set, or a dtype name)."""
    if dtype is None:
        return _GLOBAL[0]
    if isinstance(dtype, (DTypePolicy, dict)) or dtype == "mixed_float16" or \
            dtype in ("mixed_bfloat16", "bfloat16"):
        return get(dtype)
    return None


def mixed_call(layer: Any, inputs: Any, args: tuple, training: Any, mask: Any,
               kwargs: dict) -> Any:
    """``layer(inputs)`` for a layer whose policy computes in another dtype than its variables
    (mixed_float16): float inputs and the layer's own weights cast to the compute dtype."""
    from ember.layers.layer_call import _shape_of

    dt = layer._compute_cast
    if not layer.built and not layer._in_build:
        layer._build_from_shape(_shape_of(inputs))  # the float32 variables come first
    # every float tensor argument, as Keras' convert_input (integer ids and masks stay)
    inputs, args, kwargs = _cast_floats(inputs, dt), _cast_floats(args, dt), \
        _cast_floats(kwargs, dt)
    own = {id(v) for v in layer._own_trainable}
    swapped = [(k, v) for k, v in vars(layer).items()
               if id(v) in own and v.data.dtype.kind == "f" and v.data.dtype != dt]
    object.__setattr__(layer, "_compute_cast", None)  # the inner call is a plain one
    try:
        for k, v in swapped:  # not setattr: the layer keeps tracking the variable itself
            object.__setattr__(layer, k, _cast(v, dt))
        out = layer(inputs, *args, training=training, mask=mask, **kwargs)
    finally:
        for k, v in swapped:
            object.__setattr__(layer, k, v)
        object.__setattr__(layer, "_compute_cast", dt)
    return out


def _cast(t: Any, dt: Any) -> Any:
    from ember.ops.misc import astype

    out = astype(t, dt)
    mask = getattr(t, "_mask", None)  # a Variable has none
    if mask is not None:
        out._mask = mask  # the padding mask rides on
    return out


def _cast_floats(x: Any, dt: Any) -> Any:
    from ember.autograd.tensor import Tensor

    if isinstance(x, Tensor):
        kind = x.data.dtype.kind
        return _cast(x, dt) if kind == "f" and x.data.dtype != dt else x
    if isinstance(x, (list, tuple)):
        return type(x)(_cast_floats(v, dt) for v in x)
    if isinstance(x, dict):
        return {k: _cast_floats(v, dt) for k, v in x.items()}
    return x
