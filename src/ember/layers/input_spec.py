"""``InputSpec``: what a layer expects of its inputs (Keras 3's class and fields), and
``assert_input_compatibility``, the check a layer runs on each call when its ``input_spec``
is set (one spec, or a list for several inputs): ndim, min/max ndim, dtype, sizes of given
axes and the full shape (None matches any size), with an error naming the layer.

Example:
    >>> import ember as em
    >>> class Square(em.layers.Layer):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.input_spec = em.layers.InputSpec(ndim=2, axes={-1: 3})
    ...     def call(self, x):
    ...         return x * x
    >>> Square()(em.ones((4, 3))).shape
    (4, 3)
"""

from __future__ import annotations

from typing import Any

from ember import backend


def _dtype_name(dtype: Any) -> str:
    return backend.numpy_module().dtype(dtype).name


class InputSpec:
    """The expected ``dtype``, ``shape`` (None for any size), ``ndim``, ``max_ndim``,
    ``min_ndim`` and ``axes`` ({axis: size}) of one input; ``allow_last_axis_squeeze`` lets a
    trailing size-1 axis differ; ``optional`` lets the input be None."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None,
                 max_ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict | None = None, allow_last_axis_squeeze: bool = False,
                 name: str | None = None, optional: bool = False) -> None:
        self.dtype = None if dtype is None else _dtype_name(dtype)
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape, self.ndim = None, ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.name, self.optional = name, bool(optional)
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"InputSpec: axes must be a dict with integer keys; got "
                            f"{axes!r}") from None
        top = self.ndim if self.ndim else self.max_ndim
        if self.axes and top is not None and max(self.axes) > top - 1:
            raise ValueError(f"InputSpec: axis {max(self.axes)} is greater than the largest "
                             f"allowed axis {top - 1}")

    def __repr__(self) -> str:
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                         ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                         ("min_ndim", self.min_ndim), ("axes", self.axes)) if v]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict) -> InputSpec:
        return cls(**config)


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise a ValueError naming ``layer_name`` unless ``inputs`` match ``input_spec``."""
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    if isinstance(inputs, dict) and all(s is not None and s.name for s in specs):
        missing = [s.name for s in specs if s.name not in inputs]
        if missing:
            raise ValueError(f"Layer '{layer_name}': missing input(s) {missing}; got keys "
                             f"{sorted(inputs)}")
        inputs = [inputs[s.name] for s in specs]
    xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(xs) != len(specs):
        raise ValueError(f"Layer '{layer_name}' expects {len(specs)} input(s), but it received "
                         f"{len(xs)}")
    for i, (x, spec) in enumerate(zip(xs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise ValueError(f"Layer '{layer_name}': input {i} should be a tensor; got "
                             f"{type(x).__name__}")
        shape = tuple(x.shape)
        ndim = len(shape)
        where = f"Input {i} of layer '{layer_name}' is incompatible with the layer"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim}; full "
                             f"shape received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found ndim={ndim}; "
                             f"full shape received: {shape}")
        if spec.dtype is not None and getattr(x, "dtype", None) is not None:
            got = _dtype_name(x.dtype)
            if got != spec.dtype:
                raise ValueError(f"{where}: expected dtype={spec.dtype}, found dtype={got}")
        for axis, value in spec.axes.items():
            if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of the input shape to have "
                                 f"value {value}, but received input with shape {shape}")
        if spec.shape is not None:
            want, got_shape = spec.shape, shape
            if spec.allow_last_axis_squeeze:
                got_shape = got_shape[:-1] if got_shape and got_shape[-1] == 1 else got_shape
                want = want[:-1] if want and want[-1] == 1 else want
            if len(want) != len(got_shape) or any(
                    a is not None and b is not None and a != b
                    for a, b in zip(want, got_shape)):
                raise ValueError(f"{where}: expected shape={spec.shape}, found shape={shape}")


__all__ = ["InputSpec", "assert_input_compatibility"]
