"""The one place a layer's activation is held back: while the trainer computes a loss from a
model output's logits.

``compile`` resolves a model output made by a softmax (or sigmoid) layer whose loss is the
matching cross-entropy to the fused, stable loss-from-logits (see
``ember.models.compile_utils.logits_plan``). During the trainer's forward pass those output
layers return their pre-activation (the logits) instead; everywhere else (``predict``, a plain
call, other threads) they apply their activation as usual.

Only a layer class that applies ``activation_of(self)`` last in its call can do this, and says
so with ``holds_back_activation = True`` (Dense, Activation, the convolutions). Any other layer
with an ``activation`` (a recurrent layer, whose activation runs inside every step) keeps its
output as it is, and its loss is computed on the probabilities.

Example:
    >>> import ember as em
    >>> from ember.layers import output_logits
    >>> dense = em.layers.Dense(2, activation="softmax")
    >>> x = em.ones((1, 3))
    >>> with output_logits.taken_from([dense]):
    ...     logits = dense(x)
    >>> bool((dense(x) - em.softmax(logits)).abs().max() < 1e-6)
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_HELD_BACK: ContextVar[frozenset] = ContextVar("ember_logits_taken_from", default=frozenset())


def activation_of(layer: Any) -> Any:
    """The activation ``layer`` applies now: its own, or None while its logits are taken."""
    held = _HELD_BACK.get()
    if held and id(layer) in held:
        return None
    return layer.activation


@contextmanager
def taken_from(layers: Iterable[Any]) -> Iterator[None]:
    """Within the block, the given layers return their logits (their activation held back)."""
    token = _HELD_BACK.set(frozenset(id(layer) for layer in layers))
    try:
        yield
    finally:
        _HELD_BACK.reset(token)
