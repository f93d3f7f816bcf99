"""Where Keras 3 keeps each layer's weights in a ``.weights.h5`` file, computed for an ember
model the way Keras' ``saving_lib`` computes it for its own.

Keras walks the model and names each layer of a container by its class in snake case, made
unique by a counter (``layers/dense``, ``layers/dense_1``, ...; the layer's own name is only an
attribute). The variables sit in ``<path>/vars/0``, ``/1``, ... in the order the layer created
them; a recurrent layer keeps them in its ``cell``, ``Bidirectional`` in ``forward_layer`` and
``backward_layer``, a nested model in its own ``layers``. A functional model lists its layers
in Keras' order (by depth from the outputs, ties by first visit), with its InputLayers.

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.Input((4,)), em.layers.Dense(3), em.layers.Dense(2)])
    >>> [(e.path, len(e.variables)) for e in keras_entries(model)]
    [('', 0), ('layers/dense', 2), ('layers/dense_1', 2)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ember classes whose weights (and config) are laid out as in Keras 3
SHARED_LAYERS = frozenset({
    "Dense", "Activation", "Flatten", "Reshape", "Permute", "Dropout", "BatchNormalization",
    "LayerNormalization", "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D",
    "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Rescaling", "ReLU",
    "LeakyReLU", "Softmax", "InputLayer", "Sequential", "Model", "Functional",
    "Normalization",
    "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
    "UpSampling3D", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D", "Conv3DTranspose", "RMSNormalization", "EinsumDense",
})
_RECURRENT = {"SimpleRNN", "LSTM", "GRU"}


@dataclass
class Entry:
    """One saveable object: its group in the file, its ``name`` attribute, its variables."""

    path: str
    name: str
    variables: list = field(default_factory=list)
    layer: Any = None


def snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case``: ``"Conv2D" -> "conv2d"``, ``"LSTM" -> "lstm"``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def keras_class_name(layer: Any) -> str:
    """The Keras class an ember layer is saved as (a functional ember Model is 'Functional')."""
    name = type(layer).__name__
    if name == "Model" or (getattr(layer, "_graph", None) is not None and name != "Sequential"):
        return "Functional"
    return name


def is_registered_custom(layer: Any) -> bool:
    """A user's layer registered as ``package>Name`` (saved with Keras' registered_name)."""
    return type(layer).__name__ not in SHARED_LAYERS and ">" in getattr(
        type(layer), "_registered_name", "")


def check_shared(layer: Any, who: str) -> None:
    """Refuse a layer Keras does not share with ember, naming it."""
    name = type(layer).__name__
    if is_registered_custom(layer):
        nested = [sub for sub in layer._walk() if sub is not layer and sub.weights]
        if nested:
            raise NotImplementedError(
                f"{who}: the custom layer '{layer.name}' ({name}) holds layers with weights "
                f"({nested[0].name}); ember's Keras format saves a custom layer's own weights "
                "only (save to .ember instead)")
        return
    if name not in SHARED_LAYERS and keras_class_name(layer) != "Functional":
        raise NotImplementedError(
            f"{who}: layer '{layer.name}' is a {name}, which has no Keras 3 equivalent in "
            f"ember's Keras format (supported: {', '.join(sorted(SHARED_LAYERS))})")


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def model_layers(model: Any) -> list:
    """The layers of a Sequential or functional model in the order Keras saves them."""
    graph = getattr(model, "_graph", None)
    if graph is None:
        return list(model.layers)
    return functional_order(graph)


def functional_order(graph: Any) -> list:
    """Keras' ``map_graph`` order: layers by decreasing depth (layers between them and the
    outputs), ties by the order a depth-first walk from the outputs first meets them."""
    from ember.layers.tracking import flatten_nested as _flatten

    finished: set[int] = set()
    ordered: list = []           # nodes, inputs before the nodes that use them
    first_seen: dict[int, int] = {}
    input_ids = {id(t) for t in graph.inputs}

    def visit(tensor: Any) -> None:
        node = tensor.node
        if id(node) in finished:
            return
        layer = node.layer
        first_seen.setdefault(id(layer), len(first_seen))
        if node.inputs is not None and id(tensor) not in input_ids:
            for t in _flatten(node.inputs):
                visit(t)
        finished.add(id(node))
        ordered.append(node)

    for out in graph.outputs:
        visit(out)
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Any] = {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        if node.inputs is not None:
            for t in _flatten(node.inputs):
                parent = id(t.node)
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in graph.inputs:  # inputs the outputs do not use still count
        if id(t.node.layer) not in layer_depth:
            layer_depth[id(t.node.layer)] = 0
            first_seen[id(t.node.layer)] = -1
            layers[id(t.node.layer)] = t.node.layer
    keys = sorted(layer_depth, key=lambda k: (-layer_depth[k], first_seen[k]))
    return [layers[k] for k in keys]


def keras_entries(model: Any, who: str = "keras") -> list[Entry]:
    """Every group Keras writes for ``model`` (root first), with the ember variables that go
    there; raises NotImplementedError naming the first layer Keras does not share."""
    out = [Entry("", model.name, [], model)]
    _container(model, "", out, who)
    return out


def _container(model: Any, path: str, out: list[Entry], who: str) -> None:
    used: dict[str, int] = {}
    for layer in model_layers(model):
        check_shared(layer, who)
        name = _unique(snake_case(keras_class_name(layer)), used)
        _layer(layer, _join(_join(path, "layers"), name), out, who)


def _layer(layer: Any, path: str, out: list[Entry], who: str) -> None:
    kind = type(layer).__name__
    out.append(Entry(path, layer.name, [], layer))
    if kind in _RECURRENT:
        out.append(Entry(_join(path, "cell"), f"{snake_case(kind)}_cell",
                         list(layer._own_variables()), layer))
    elif kind == "Bidirectional":
        _layer(layer.backward_layer, _join(path, "backward_layer"), out, who)
        _layer(layer.forward_layer, _join(path, "forward_layer"), out, who)
    elif kind == "Sequential" or keras_class_name(layer) == "Functional":
        _container(layer, path, out, who)
    elif kind == "Normalization":  # Keras keeps a third weight: the adapted sample count
        out[-1].variables = [layer.mean, layer.variance, _NormalizationCount()]
    else:
        out[-1].variables = list(layer._own_variables())


class _NormalizationCount:
    """Keras' Normalization ``count`` weight, which ember does not keep: written as 0 (Keras'
    ``adapt`` recomputes the statistics from scratch, so nothing reads it) and read into
    nothing."""

    path = "count"

    def __init__(self) -> None:
        self.data = np.zeros((), dtype="int64")
        self.shape = ()
        self._version = 0
