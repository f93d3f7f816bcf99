"""Activations known by name, so that an op given one can fuse it when it knows how.

A layer passes its activation to the op (``linear(x, w, b, activation=...)``); the op asks
``name_of`` and fuses "relu" (say) whichever spelling it got: the string ``"relu"``,
``ember.activations.relu``, ``ember.relu`` or ``ember.nn.functional.relu`` all registered as
the same activation. A function nobody registered is simply called on the op's output.

Example:
    >>> import ember as em
    >>> from ember.ops.activation_names import name_of
    >>> name_of("ReLU"), name_of(em.relu), name_of(em.activations.relu), name_of(None)
    ('relu', 'relu', 'relu', 'linear')
    >>> name_of(lambda t: t * 2) is None
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_NAME_OF: dict[Any, str] = {}  # function -> its activation's name
_FUNCTION: dict[str, Callable] = {}  # name -> the first function registered under it


def known_as(name: str, fn: Callable) -> Callable:
    """Register ``fn`` as the activation ``name`` (for plain calls ``fn(x)``); returns fn."""
    _NAME_OF[fn] = name
    _FUNCTION.setdefault(name, fn)
    return fn


def name_of(activation: Any) -> str | None:
    """The registered name of ``activation`` (None is "linear"), or None for a function
    nobody registered."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        name = activation.lower()
        if name not in _FUNCTION:
            raise ValueError(f"unknown activation {activation!r}; the ops know "
                             f"{', '.join(sorted(_FUNCTION))} by name (pass "
                             f"ember.activations.get({activation!r}) for the others)")
        return name
    try:
        return _NAME_OF.get(activation)
    except TypeError:  # an unhashable callable
        return None


def apply(activation: Any, out: Any) -> Any:
    """``activation(out)``; None and "linear" return ``out`` itself."""
    name = name_of(activation)
    if name == "linear":
        return out
    fn = _FUNCTION[name] if isinstance(activation, str) else activation
    return fn(out)


known_as("linear", lambda x: x)
