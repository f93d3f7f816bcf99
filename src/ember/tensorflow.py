"""TensorFlow's tensor vocabulary on ember, for the ``tf.*`` calls that Keras tutorials make
next to their layers: ``import tensorflow as tf`` becomes ``import ember.tensorflow as tf``.

Only TensorFlow's spellings are defined here (``reduce_mean``, ``concat``, ``cast``,
``constant``, ``newaxis``, ``nn.relu``, ``random.uniform``, ``math.*``, ``version``, ...);
every other name is ember's own (``tf.matmul``, ``tf.GradientTape``, ``tf.data``, ``tf.exp``).
``tf.keras`` is ``ember.keras``. Not a TensorFlow: graphs, sessions, ``tf.function``
compilation and devices are not there (``tf.function`` returns the function unchanged).

Example:
    >>> import ember.tensorflow as tf
    >>> x = tf.constant([[1.0, 2.0], [3.0, 5.0]])
    >>> tf.reduce_mean(x, axis=-1, keepdims=True).shape
    (2, 1)
    >>> tf.nn.relu(tf.constant([-1.0, 2.0])).numpy().tolist()
    [0.0, 2.0]
    >>> x[:, tf.newaxis].shape
    (2, 1, 2)
"""

from __future__ import annotations

import builtins
import types
from typing import Any

import numpy as np

import ember as _em
from ember.keras import ops as _kops

newaxis = None
float16, float32, float64 = "float16", "float32", "float64"
bfloat16 = "bfloat16"
int8, int16, int32, int64, uint8, bool_ = "int8", "int16", "int32", "int64", "uint8", "bool"
string = "string"
version = types.SimpleNamespace(VERSION="2.16.0-ember", GIT_VERSION="ember")
__version__ = version.VERSION


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Any:
    """A tensor holding ``value`` (broadcast to ``shape`` when given)."""
    arr = np.asarray(value, dtype=dtype)
    if arr.dtype == np.float64 and dtype is None:
        arr = arr.astype("float32")  # TensorFlow's default float, as Keras'
    if shape is not None:
        arr = np.broadcast_to(arr, tuple(shape)).copy()
    return _em.tensor(arr)


convert_to_tensor = _kops.convert_to_tensor
cast = _kops.cast
stop_gradient = _kops.stop_gradient


def _reduce(fn: Any) -> Any:
    def reduce(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Any:
        return fn(_kops.convert_to_tensor(input_tensor), axis=axis, keepdims=keepdims)

    reduce.__name__ = f"reduce_{fn.__name__}"
    reduce.__doc__ = f"TensorFlow's ``reduce_{fn.__name__}``: ember's ``{fn.__name__}``."
    return reduce


reduce_mean = _reduce(_em.mean)
reduce_sum = _reduce(_em.sum)
reduce_max = _reduce(_em.max)
reduce_min = _reduce(_em.min)
reduce_prod = _reduce(_em.prod)
reduce_any = _reduce(_em.any)
reduce_all = _reduce(_em.all)
reduce_logsumexp = _reduce(_em.logsumexp)


def concat(values: Any, axis: int, name: str | None = None) -> Any:
    """Join tensors along ``axis`` (TensorFlow's argument order)."""
    return _em.concatenate(list(values), axis=axis)


def shape(input: Any, out_type: Any = None, name: str | None = None) -> Any:
    """The shape as an int tensor (``tf.shape``)."""
    return _em.tensor(np.asarray(_kops.shape(input), dtype=out_type or "int32"))


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Any:
    return _em.reshape(_kops.convert_to_tensor(tensor), tuple(int(s) for s in shape))


def expand_dims(input: Any, axis: int, name: str | None = None) -> Any:
    return _em.expand_dims(_kops.convert_to_tensor(input), axis)


def one_hot(indices: Any, depth: int, dtype: Any = None, name: str | None = None) -> Any:
    out = _em.one_hot(_kops.convert_to_tensor(indices), depth)
    return _kops.cast(out, dtype or "float32")


def argmax(input: Any, axis: int = 0, output_type: Any = "int64", name: str | None = None) -> Any:
    return _kops.cast(_em.argmax(_kops.convert_to_tensor(input), axis=axis), output_type)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str | None = None) -> Any:
    return _em.arange(start, limit, delta, dtype=dtype)


def function(func: Any = None, **kwargs: Any) -> Any:
    """``@tf.function``: ember runs eagerly, so the function is returned unchanged."""
    if func is None:
        return lambda f: f
    return func


class _Namespace(types.SimpleNamespace):
    """A ``tf.<module>`` namespace whose other names fall back to ember's ops."""

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(_em, name)
        except AttributeError:
            raise AttributeError(f"ember.tensorflow has no {name!r}") from None


nn = _Namespace(
    relu=_em.relu, sigmoid=_em.sigmoid, tanh=_em.tanh, softmax=_em.softmax,
    log_softmax=_em.log_softmax, gelu=_em.gelu, elu=_em.elu, selu=_em.selu,
    softplus=_em.softplus, silu=_em.silu, swish=_em.silu, leaky_relu=_em.leaky_relu,
    l2_normalize=lambda x, axis=None, epsilon=1e-12, name=None:
        _kops.convert_to_tensor(x) / _em.sqrt(_em.maximum(
            _em.sum(_em.square(_kops.convert_to_tensor(x)), axis=axis, keepdims=True),
            epsilon)),
)
math = _Namespace(
    reduce_mean=reduce_mean, reduce_sum=reduce_sum, reduce_max=reduce_max,
    reduce_min=reduce_min, reduce_prod=reduce_prod, reduce_logsumexp=reduce_logsumexp,
    argmax=argmax, multiply=lambda x, y, name=None: x * y,
    subtract=lambda x, y, name=None: x - y, divide=lambda x, y, name=None: x / y,
    add=lambda x, y, name=None: x + y,
)
random = _Namespace(
    normal=lambda shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None:
        _kops_random().normal(shape, mean, stddev, dtype, seed),
    uniform=lambda shape, minval=0.0, maxval=1.0, dtype=None, seed=None, name=None:
        _kops_random().uniform(shape, minval, maxval, dtype, seed),
    set_seed=lambda seed: _em.utils.set_random_seed(seed),
)
multiply, subtract, divide, add = math.multiply, math.subtract, math.divide, math.add


def _physical_devices(device_type: str | None = None) -> list:
    """``tf.config.list_physical_devices``: the CPU, and each CUDA device ember sees."""
    gpus = [types.SimpleNamespace(name=f"/physical_device:GPU:{i}", device_type="GPU")
            for i in builtins.range(_em.cuda.device_count())] \
        if _em.cuda.is_available() else []
    cpu = [types.SimpleNamespace(name="/physical_device:CPU:0", device_type="CPU")]
    if device_type is None:
        return cpu + gpus
    return gpus if device_type.upper() == "GPU" else cpu


config = types.SimpleNamespace(list_physical_devices=_physical_devices)


def _kops_random() -> Any:
    from ember.keras import random as keras_random

    return keras_random


def __getattr__(name: str) -> Any:
    if name == "keras":
        import ember.keras

        return ember.keras
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_em, name)
    except AttributeError:
        raise AttributeError(f"ember.tensorflow has no {name!r} (neither has ember)") from None
