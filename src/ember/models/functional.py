"""The functional API: ``em.Input`` gives a symbolic tensor; calling layers on symbolic tensors
records a graph; ``em.Model(inputs, outputs)`` runs it.

Example:
    >>> import ember as em
    >>> a = em.Input(shape=(4,), name="a")
    >>> b = em.Input(shape=(2,), name="b")
    >>> h = em.layers.Dense(3, activation="relu")(a)
    >>> merged = em.layers.Concatenate()([h, b])
    >>> model = em.Model(inputs=[a, b], outputs=em.layers.Dense(1)(merged))
    >>> model.predict([em.ones((5, 4)).numpy(), em.ones((5, 2)).numpy()], verbose=0).shape
    (5, 1)
"""

from __future__ import annotations

from typing import Any

from ember.layers.base import Layer

# The symbolic tensors, nodes and InputLayer live with the layers; these names stay importable
# from here, where they used to be.
from ember.layers.input_layer import Input, InputLayer  # noqa: F401
from ember.layers.symbolic import (  # noqa: F401
    Node,
    SymbolicTensor,
    first_call_tensors,
    inbound_nodes,
    is_symbolic,
    map_structure,
    symbolic_call,
)
from ember.layers.tracking import flatten_nested
from ember.models.input_checks import fits as _fits
from ember.models.input_checks import raise_input_mismatch


class Graph:
    """The recorded layer calls between a model's inputs and outputs, in running order."""

    def __init__(self, inputs: Any, outputs: Any) -> None:
        self.input_struct = inputs
        self.output_struct = outputs
        self.inputs = flatten_nested(inputs)
        self.outputs = flatten_nested(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"Model(inputs, outputs): expected symbolic tensors from "
                                f"em.Input and layers; got {type(t).__name__}")
        for t in self.inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError("Model(inputs, ...): each input must come from em.Input")
        self.nodes = self._order()
        self.layers: list[Layer] = []
        for node in self.nodes:
            if all(node.layer is not seen for seen in self.layers):
                self.layers.append(node.layer)

    def _order(self) -> list[Node]:
        order: list[Node] = [t.node for t in self.inputs]  # inputs first, in the given order
        seen: set[int] = {id(n) for n in order}
        input_ids = {id(t) for t in self.inputs}
        stack = [(t.node, False) for t in reversed(self.outputs)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if node.inputs is None:
                if not any(id(o) in input_ids for o in node.outputs):
                    raise ValueError(f"the outputs depend on the Input "
                                     f"'{node.layer.name}', which is not among the model's "
                                     "inputs")
                continue
            for t in flatten_nested(node.inputs):
                stack.append((t.node, False))
        return order

    @property
    def output_names(self) -> list[str]:
        if isinstance(self.output_struct, dict):
            return list(self.output_struct)
        return [t.node.layer.name for t in self.outputs]

    def run(self, inputs: Any, training: Any) -> Any:
        values: dict[int, Any] = {}
        if isinstance(inputs, dict):
            names = [t.node.layer.name for t in self.inputs]
            if sorted(inputs) != sorted(names):
                raise ValueError(f"functional model: the input dict has keys {list(inputs)}; "
                                 f"the model's inputs are named {names}")
            given = [inputs[n] for n in names]
        else:
            given = flatten_nested(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(given) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs "
                             f"({[t.node.layer.name for t in self.inputs]}); got {len(given)}")
        for sym, value in zip(self.inputs, given):
            shape = getattr(value, "shape", None)
            if shape is None or not _fits(tuple(shape), sym.shape):
                raise_input_mismatch(self.inputs, given)
            values[id(sym)] = value
        for node in self.nodes:
            if node.inputs is None:
                continue
            args = map_structure(node.inputs, lambda s: values[id(s)])
            out = node.layer(args, training=training, **node.kwargs)
            outs = out if isinstance(out, (list, tuple)) and len(node.outputs) > 1 else [out]
            for sym, value in zip(node.outputs, outs):
                values[id(sym)] = value
        return map_structure(self.output_struct, lambda s: values[id(s)])

    def summary_rows(self) -> list[tuple]:
        rows = []
        for node in self.nodes:
            layer = node.layer
            shapes = [o.shape for o in node.outputs]
            shape = shapes[0] if len(shapes) == 1 else shapes
            sources = [] if node.inputs is None else [
                f"{t.node.layer.name}" for t in flatten_nested(node.inputs)]
            rows.append((layer.name, type(layer).__name__, shape,
                         layer.count_params() if layer.built else 0, ", ".join(sources)))
        return rows

    # ------------------------------------------------------------------ config
    def get_config(self, name: str) -> dict:
        from ember.serialization import serialize

        def ref(t: SymbolicTensor) -> list:
            layer = t.node.layer
            return [layer.name, inbound_nodes(layer).index(t.node), t.index]

        layers = []
        for layer in self.layers:
            calls = [[map_structure(n.inputs, ref), n.kwargs] for n in self.nodes
                     if n.layer is layer and n.inputs is not None]
            layers.append({"layer": serialize(layer), "calls": calls})
        return {
            "name": name,
            "graph": {
                "layers": layers,
                "inputs": map_structure(self.input_struct, ref),
                "outputs": map_structure(self.output_struct, ref),
            },
        }

    @staticmethod
    def from_config(config: dict, custom_objects: dict | None = None) -> tuple:
        from ember.serialization import deserialize

        built: dict[str, Layer] = {}
        pending = list(config["graph"]["layers"])
        for entry in pending:
            layer = deserialize(entry["layer"], custom_objects)
            built[layer.name] = layer

        def lookup(r: list) -> SymbolicTensor:
            layer = built[r[0]]
            return inbound_nodes(layer)[r[1]].outputs[r[2]]

        remaining = [(entry["layer"]["config"]["name"], call) for entry in pending
                     for call in entry["calls"]]
        while remaining:  # replay calls whose inputs exist, until all are done
            progress = False
            for item in list(remaining):
                lname, (inputs_ref, kwargs) = item
                try:
                    args = _map_refs(inputs_ref, lookup)
                except (IndexError, KeyError):
                    continue
                built[lname](args, **kwargs)
                remaining.remove(item)
                progress = True
            if not progress:
                raise ValueError("load: the model graph in the file is inconsistent")
        return (_map_refs(config["graph"]["inputs"], lookup),
                _map_refs(config["graph"]["outputs"], lookup))


def _map_refs(struct: Any, fn: Any) -> Any:
    """Like map_structure, but a ref is a list [name, node, index] (a leaf, not a structure)."""
    if isinstance(struct, list) and len(struct) == 3 and isinstance(struct[0], str):
        return fn(struct)
    if isinstance(struct, list):
        return [_map_refs(s, fn) for s in struct]
    if isinstance(struct, dict):
        return {k: _map_refs(v, fn) for k, v in struct.items()}
    return fn(struct)


# old private names, kept for code that imported them from here
_flatten = flatten_nested
_map = map_structure
