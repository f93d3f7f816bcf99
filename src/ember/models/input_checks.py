"""Checking what a functional model is called with against its ``Input`` shapes.

Example:
    >>> from ember.models.input_checks import fits
    >>> fits((32, 4), (None, 4)), fits((32, 2), (None, 4))
    (True, False)
"""

from __future__ import annotations

import itertools


def fits(shape: tuple, expected: tuple) -> bool:
    """``shape`` matches an Input's ``expected`` (None: any size). As Keras, a rank that
    differs by a trailing axis of size 1 is left to the layers ((n,) labels against (n, 1))."""
    if len(shape) != len(expected):
        longer, shorter = (shape, expected) if len(shape) > len(expected) else (expected, shape)
        return len(longer) == len(shorter) + 1 and longer[-1] == 1
    return all(e is None or s == e for s, e in zip(shape[1:], expected[1:]))


def raise_input_mismatch(inputs: list, given: list) -> None:
    """A clear error for inputs that do not match the ``Input`` shapes, saying when they
    would match in another order (inputs given as a list in the wrong order)."""
    names = [t.node.layer.name for t in inputs]
    expected = [t.shape for t in inputs]
    got = [tuple(getattr(v, "shape", ())) if hasattr(v, "shape") else type(v).__name__
           for v in given]
    bad = next(i for i, (v, e) in enumerate(zip(given, expected))
               if not hasattr(v, "shape") or not fits(tuple(v.shape), e))
    message = (f"functional model: input {bad} ('{names[bad]}') expects shape "
               f"{expected[bad]}; got {got[bad]}. The model's inputs are "
               f"{dict(zip(names, expected))}; got shapes {got}")
    if len(given) > 1 and all(hasattr(v, "shape") for v in given):
        for order in itertools.permutations(range(len(given))):
            if all(fits(tuple(given[j].shape), e) for j, e in zip(order, expected)):
                message += (". They match in another order: pass the arrays in the order "
                            "of Model(inputs=[...]), or a dict keyed by input name")
                break
    raise ValueError(message)

