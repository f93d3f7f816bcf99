"""``watch_calls``: record what given layers return during a forward pass, for any model.

Each layer's ``call`` is shadowed by an instance attribute for the duration and put back
after (a ``call`` the user set on the instance itself included), so it works the same for
Sequential, functional and subclassed models. The training loop uses it to name the first
layer whose output is not finite; ``ember.explain`` to read activations and gradients.

Example:
    >>> import numpy as np
    >>> import ember as em
    >>> model = em.Sequential([em.layers.Dense(3), em.layers.Dense(1)])
    >>> with watch_calls(model.layers) as seen:
    ...     _ = model(np.ones((2, 4), dtype="float32"))
    >>> [(layer.name == model.layers[i].name, out.shape) for i, (layer, out) in enumerate(seen)]
    [(True, (2, 3)), (True, (2, 1))]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def watch_calls(layers: list, inputs: bool = False) -> Iterator[list[tuple]]:
    """Record ``(layer, output)`` (``(layer, output, first input)`` with ``inputs=True``) for
    each call of the given layers, in the order the calls finish."""
    seen: list[tuple] = []
    patched: dict[int, tuple[Any, Any]] = {}  # id -> (layer, the call set on the instance)
    try:
        for layer in layers:
            if id(layer) in patched:  # a layer listed twice
                continue
            own = layer.__dict__.get("call")
            original = own if own is not None else type(layer).call.__get__(layer)

            def call(*args: Any, _layer: Any = layer, _orig: Any = original,
                     **kwargs: Any) -> Any:
                out = _orig(*args, **kwargs)
                seen.append((_layer, out, args[0] if args else None) if inputs
                            else (_layer, out))
                return out

            object.__setattr__(layer, "call", call)
            patched[id(layer)] = (layer, own)
        yield seen
    finally:
        for layer, own in patched.values():
            object.__delattr__(layer, "call")
            if own is not None:
                object.__setattr__(layer, "call", own)
