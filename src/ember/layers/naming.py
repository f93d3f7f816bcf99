"""Readable unique layer names, as Keras 3 gives them: "dense", "dense_1", "dense_2", ...

Each name stem (the snake_case class name) has its own counter; ``clear_session()`` resets
them all (``em.utils.clear_session()`` calls it), so a fresh model numbers from zero again.

Example:
    >>> from ember.layers.naming import clear_session, to_snake_case, unique_name
    >>> to_snake_case("BatchNormalization"), to_snake_case("Conv2D"), to_snake_case("SimpleRNN")
    ('batch_normalization', 'conv2d', 'simple_rnn')
    >>> clear_session(); unique_name("dense"), unique_name("dense")
    ('dense', 'dense_1')
"""

from __future__ import annotations

import re

from ember import backend

_COUNTS: dict[str, int] = {}


def to_snake_case(name: str) -> str:
    """``MaxPooling2D`` -> ``max_pooling2d``: a word starts at each capital followed by
    lower-case letters, and at a capital after a lower-case letter."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(stem: str) -> str:
    """``stem`` the first time, then ``stem_1``, ``stem_2``, ... until ``clear_session()``."""
    n = _COUNTS.get(stem, 0)
    _COUNTS[stem] = n + 1
    return stem if n == 0 else f"{stem}_{n}"


@backend.on_clear_session
def clear_session() -> None:
    """Forget the names given so far: the next Dense is called "dense" again."""
    _COUNTS.clear()
