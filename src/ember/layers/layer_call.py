"""How ``Layer.__call__`` talks to a layer's ``call``: which optional arguments a class's
``call`` takes (read once per class), the ``training`` flag that reaches nested layers, the
masks a call's outputs carry, and the shapes and errors it reports. Kept apart from
``layers/base.py`` so that the lifecycle there reads on its own."""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from ember.autograd.tensor import Tensor

_BASE_KWARGS = ("trainable", "name", "dtype", "input_shape", "batch_input_shape", "input_dim",
                "activity_regularizer", "batch_size", "autocast")


class _CallContext:
    """The ``training`` flag of the outermost call that set one (reaches nested layers)."""

    __slots__ = ("training",)

    def __init__(self) -> None:
        self.training = None


_CTX = _CallContext()
# Which optional arguments a class's call() takes, read once per class from its signature:
# plain ints (not an enum.Flag) because Layer.__call__ tests them on every call.
CALL_TAKES_NOTHING = 0
CALL_TAKES_TRAINING = 1
CALL_TAKES_MASK = 2
CALL_TAKES_BOTH = CALL_TAKES_TRAINING | CALL_TAKES_MASK
_CALL_ARGUMENTS: dict[type, int] = {}


def call_arguments(cls: type) -> int:
    """``CALL_TAKES_TRAINING | CALL_TAKES_MASK`` as ``cls.call`` accepts ``training`` / ``mask``."""
    takes = _CALL_ARGUMENTS.get(cls)
    if takes is None:
        params = inspect.signature(cls.call).parameters
        takes = ((CALL_TAKES_TRAINING if "training" in params else CALL_TAKES_NOTHING)
                 | (CALL_TAKES_MASK if "mask" in params else CALL_TAKES_NOTHING))
        _CALL_ARGUMENTS[cls] = takes
    return takes


_NO_INPUTS = object()


def _first_argument_by_name(layer: Any, kwargs: dict) -> Any:
    """``layer(logits=x, targets=t)``: Keras lets the first argument of ``call`` come by name."""
    import inspect

    params = [p for p in inspect.signature(layer.call).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not params or params[0].name not in kwargs:
        raise TypeError(f"{type(layer).__name__}: called without inputs; pass them first or "
                        f"as {params[0].name + '=' if params else 'the first argument'}")
    return kwargs.pop(params[0].name)


def _attach_masks(layer: Any, inputs: Any, out: Any, mask: Any) -> None:
    """Keras' ``_set_mask_metadata``: the outputs of a layer that supports masking carry
    ``compute_mask(inputs, mask)`` (one mask per output), unless the call set them already."""
    if isinstance(out, Tensor):
        if out is not inputs and getattr(out, "_mask", None) is None:  # a Variable has none
            out_mask = layer.compute_mask(inputs, mask)
            if out_mask is not None:
                out._mask = out_mask
    elif isinstance(out, (list, tuple)):
        if all(not isinstance(o, Tensor) or getattr(o, "_mask", None) is not None for o in out):
            return
        out_masks = layer.compute_mask(inputs, mask)
        if not isinstance(out_masks, (list, tuple)):
            out_masks = [out_masks]  # Keras zips the flat masks with the flat outputs
        for o, m in zip(out, out_masks):
            if isinstance(o, Tensor) and getattr(o, "_mask", None) is None:
                o._mask = m


def _as_shape(shape: Any) -> tuple:
    if isinstance(shape, int):
        return (shape,)
    return tuple(None if d is None else int(d) for d in shape)


def _shape_of(inputs: Any) -> Any:
    if isinstance(inputs, Tensor):
        return tuple(inputs.shape)
    if isinstance(inputs, (list, tuple)):
        return [_shape_of(x) for x in inputs]
    if isinstance(inputs, dict):
        return {k: _shape_of(v) for k, v in inputs.items()}
    return None


def _symbolic_hook(inputs: Any) -> Any:
    first = inputs
    if isinstance(inputs, (list, tuple)) and inputs:
        first = inputs[0]
    elif isinstance(inputs, dict) and inputs:
        first = next(iter(inputs.values()))
    return getattr(first, "__ember_layer_call__", None)


def _unknown_kwargs(layer: Any, kwargs: dict) -> TypeError:
    cls = type(layer)
    known = set(_BASE_KWARGS)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            known.update(p for p in inspect.signature(init).parameters if p != "self")
    parts = []
    for key in kwargs:
        close = difflib.get_close_matches(key, sorted(known), n=1)
        parts.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return TypeError(f"{cls.__name__}: unexpected keyword argument(s) {', '.join(parts)}")
