"""PyTorch's way of creating an optimizer: the parameters first, ``lr=`` for the rate.

``em.optimizers.SGD(model.parameters(), lr=0.1)`` registers the parameters, so that the
PyTorch loop ``opt.zero_grad(); loss.backward(); opt.step()`` updates them. Keras' way,
``SGD(learning_rate=0.1)`` then ``apply_gradients`` / ``apply`` / ``step(params)``, is unchanged:
every optimizer's ``__init__`` is wrapped once (``Optimizer.__init_subclass__``) by
``accept_params`` below.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ember.autograd.tensor import Tensor


def _looks_like_params(value: Any) -> bool:
    """A learning rate is a number, a schedule or a callable; parameters are an iterable."""
    if isinstance(value, Tensor):
        return value.requires_grad or value.ndim > 0  # a 0-d constant may be a learning rate
    if isinstance(value, (str, bytes, Mapping)) or callable(value) or hasattr(value, "dtype"):
        return False
    return isinstance(value, Iterable)


def collect_params(owner: str, params: Any) -> list[Tensor]:
    """The parameter Tensors in ``params`` (an iterable of Tensors, or of PyTorch-style groups
    ``{"params": [...]}``), with PyTorch's errors for a lone tensor and an empty list."""
    if isinstance(params, Tensor):
        raise TypeError(f"{owner}: params must be an iterable of Tensors (e.g. "
                        "model.parameters() or [w, b]); got a single Tensor: wrap it in a list")
    out: list[Tensor] = []
    for item in params:
        if isinstance(item, Mapping):
            extra = sorted(set(item) - {"params"})
            if extra:
                raise ValueError(f"{owner}: per-group options {extra} are not supported; give "
                                 "one set of hyperparameters to the optimizer itself")
            out.extend(collect_params(owner, item.get("params", ())))
        elif isinstance(item, Tensor):
            out.append(item)
        else:
            raise TypeError(f"{owner}: params must be ember Tensors; got {type(item).__name__}")
    if not out:
        raise ValueError(f"{owner}: optimizer got an empty parameter list (as PyTorch says); "
                         "a model's weights exist once it is built (call it on a batch first)")
    return out


def accept_params(init: Callable) -> Callable:
    """``init`` that also takes the parameters first (or as ``params=``) and ``lr=``."""
    if getattr(init, "_accepts_params", False):
        return init

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        owner = type(self).__name__
        params = kwargs.pop("params", None)
        if params is None and args and _looks_like_params(args[0]):
            params, args = args[0], args[1:]
        if "lr" in kwargs:
            if "learning_rate" in kwargs:
                raise TypeError(f"{owner}: give `lr` or `learning_rate`, not both")
            kwargs["learning_rate"] = kwargs.pop("lr")
        params = None if params is None else collect_params(owner, params)
        init(self, *args, **kwargs)
        if params is not None:
            self.build(params)

    __init__._accepts_params = True
    return __init__


class ParamGroup(dict):
    """One PyTorch-style parameter group: ``{"params": [...], "lr": ...}``. Setting ``"lr"``
    sets the optimizer's learning rate (the schedulers' way: ``group["lr"] *= 0.1``)."""

    def __init__(self, optimizer: Any) -> None:
        super().__init__(params=list(optimizer._params), lr=optimizer.learning_rate)
        self._optimizer = optimizer

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "lr":
            self._optimizer.learning_rate = value
        elif key != "params":
            raise KeyError(f"{type(self._optimizer).__name__}.param_groups: only 'lr' can be "
                           f"set here; got {key!r}")
        super().__setitem__(key, value)


def param_groups(optimizer: Any) -> list[ParamGroup]:
    """``optimizer.param_groups``: one group holding every registered parameter."""
    return [ParamGroup(optimizer)]
