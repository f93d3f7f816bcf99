"""The model ``EmberClassifier`` / ``EmberRegressor`` build when no ``model`` is given: a
multilayer perceptron whose output layer fits the target (like scikit-learn's MLP)."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any


def mlp(meta: dict, hidden_layer_sizes: Sequence[int] = (32,), activation: str = "relu",
        dropout: float = 0.0) -> Any:
    """A ``Sequential`` MLP: ``hidden_layer_sizes`` Dense layers (each followed by Dropout
    when ``dropout`` > 0), then one sigmoid unit (two classes), k softmax units (k classes)
    or one linear unit per regression output. Tune it with ``model__hidden_layer_sizes``,
    ``model__activation`` and ``model__dropout``."""
    from ember import layers
    from ember.models import Sequential

    if isinstance(hidden_layer_sizes, Integral):
        hidden_layer_sizes = (int(hidden_layer_sizes),)
    stack: list = []
    for units in hidden_layer_sizes:
        stack.append(layers.Dense(int(units), activation=activation))
        if dropout:
            stack.append(layers.Dropout(dropout))
    n_classes = meta.get("n_classes_")
    if n_classes is None:
        stack.append(layers.Dense(meta["n_outputs_"]))
    elif n_classes == 2:
        stack.append(layers.Dense(1, activation="sigmoid"))
    else:
        stack.append(layers.Dense(n_classes, activation="softmax"))
    return Sequential(stack)
