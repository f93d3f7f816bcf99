"""A model's layer graph as a TensorFlow ``GraphDef`` (the protobuf TensorBoard's Graphs tab
draws from an event's ``graph_def`` field), encoded by hand like the rest of the event file.

One ``NodeDef`` per layer call: ``name`` the layer's name, ``op`` its class, ``input`` the
layers feeding it, and ``_output_shapes`` (unknown sizes as -1) so that TensorBoard labels
the edges with shapes. Sequential models are a chain from an ``input`` node; functional
models follow their recorded graph; a subclassed model has no recorded graph (None).

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2, name="d")])
    >>> [(n.name, n.op, n.inputs) for n in layer_nodes(model)]
    [('input', 'InputLayer', []), ('d', 'Dense', ['input'])]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ember.callbacks._tfevents import field_bytes, field_varint


@dataclass
class LayerNode:
    name: str
    op: str
    inputs: list[str]
    shapes: list[tuple]


def layer_nodes(model: Any) -> list[LayerNode] | None:
    """The nodes of ``model``'s graph, inputs first; None for a subclassed model."""
    graph = getattr(model, "_graph", None)
    if graph is not None:
        return _functional_nodes(graph)
    if type(model).__name__ != "Sequential":
        return None
    shape = getattr(model, "_input_shape_known", None)
    nodes = [LayerNode("input", "InputLayer", [], [tuple(shape)] if shape else [])]
    for layer in model.layers:
        out = layer.__dict__.get("_build_output_shape")
        shapes = [tuple(out)] if isinstance(out, tuple) and all(
            d is None or isinstance(d, int) for d in out) else []
        nodes.append(LayerNode(layer.name, type(layer).__name__, [nodes[-1].name], shapes))
    return nodes


def _functional_nodes(graph: Any) -> list[LayerNode]:
    from ember.layers.tracking import flatten_nested as _flatten

    names: dict[int, str] = {}  # id(node) -> its NodeDef name (a shared layer: name_1, ...)
    used: dict[str, int] = {}
    out = []
    for node in graph.nodes:
        base = node.layer.name
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base}_{used[base] - 1}"
        names[id(node)] = name
        inputs = [] if node.inputs is None else [names[id(t.node)] for t in
                                                 _flatten(node.inputs)]
        out.append(LayerNode(name, type(node.layer).__name__, inputs,
                             [tuple(t.shape) for t in node.outputs]))
    return out


def _shape_proto(shape: tuple) -> bytes:
    dims = b"".join(field_bytes(2, field_varint(1, -1 if d is None else int(d)))
                    for d in shape)
    return dims


def graph_def(model: Any) -> bytes | None:
    """The serialized ``GraphDef`` of ``model`` (None for a subclassed model)."""
    nodes = layer_nodes(model)
    if nodes is None:
        return None
    out = b""
    for n in nodes:
        body = field_bytes(1, n.name) + field_bytes(2, n.op)
        for i in n.inputs:
            body += field_bytes(3, i)
        if n.shapes:
            shapes = b"".join(field_bytes(7, _shape_proto(s)) for s in n.shapes)
            attr = field_bytes(1, "_output_shapes") + field_bytes(2, field_bytes(1, shapes))
            body += field_bytes(5, attr)  # map<string, AttrValue> entry: key 1, value 2
        out += field_bytes(1, body)
    return out + field_bytes(4, field_varint(1, 27))  # versions { producer: 27 }
