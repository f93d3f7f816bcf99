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

import numpy as np

from ember.layers.base import Layer
from ember.models.input_checks import fits as _fits
from ember.models.input_checks import raise_input_mismatch
from ember.serialization import register


class SymbolicTensor:
    """A placeholder with a shape (batch axis None) that records which layer produced it."""

    __slots__ = ("shape", "dtype", "node", "index")

    def __init__(self, shape: tuple, dtype: Any, node: Node | None = None, index: int = 0):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self) -> Layer:
        return self.node.layer

    def __repr__(self) -> str:
        src = self.node.layer.name if self.node else "?"
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} from '{src}'>"

    def __ember_layer_call__(self, layer: Layer, inputs: Any, *args: Any, training: Any = None,
                             mask: Any = None, **kwargs: Any) -> Any:
        """Called by ``Layer.__call__`` for symbolic inputs: record instead of compute."""
        if args:  # extra positional arguments (Keras allows them) become keywords
            kwargs = {**_positional_as_keywords(layer, args), **kwargs}
        return symbolic_call(layer, inputs, kwargs)

    def _merge(self, other: Any, cls_name: str) -> SymbolicTensor:
        from ember import layers

        if not isinstance(other, SymbolicTensor):
            raise TypeError(f"{cls_name}: both operands must come from em.Input / layers in "
                            "the functional API")
        return getattr(layers, cls_name)()([self, other])

    def __add__(self, other: Any) -> SymbolicTensor:
        return self._merge(other, "Add")

    def __sub__(self, other: Any) -> SymbolicTensor:
        return self._merge(other, "Subtract")

    def __mul__(self, other: Any) -> SymbolicTensor:
        return self._merge(other, "Multiply")


def _kwarg_tensors(kwargs: dict) -> list:
    """The symbolic tensors a node was given by keyword (they are graph edges too)."""
    return [t for v in kwargs.values() if is_symbolic(v) for t in _flatten(v)
            if isinstance(t, SymbolicTensor)]


def _positional_as_keywords(layer: Layer, args: tuple) -> dict:
    """``layer(x, a, b)`` recorded as ``layer(x, name_a=a, name_b=b)`` after ``call``'s
    parameters, so the graph replays the same call."""
    import inspect

    params = [p for p in inspect.signature(layer.call).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
    if len(args) > len(params):
        raise TypeError(f"{type(layer).__name__}: call takes {len(params) + 1} positional "
                        f"arguments in the functional API; got {len(args) + 1}")
    return {p.name: a for p, a in zip(params, args)}


class Node:
    """One call of a layer in the graph: its symbolic inputs (structure kept) and outputs."""

    __slots__ = ("layer", "inputs", "outputs", "kwargs")

    def __init__(self, layer: Layer, inputs: Any, outputs: list, kwargs: dict) -> None:
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.kwargs = kwargs


def _flatten(struct: Any) -> list:
    if isinstance(struct, (list, tuple)):
        return [t for s in struct for t in _flatten(s)]
    if isinstance(struct, dict):
        return [t for s in struct.values() for t in _flatten(s)]
    return [struct]


def _map(struct: Any, fn: Any) -> Any:
    if isinstance(struct, (list, tuple)):
        return type(struct)(_map(s, fn) for s in struct)
    if isinstance(struct, dict):
        return {k: _map(v, fn) for k, v in struct.items()}
    return fn(struct)


def is_symbolic(x: Any) -> bool:
    """True for a SymbolicTensor or a list/tuple/dict holding one."""
    if isinstance(x, SymbolicTensor):
        return True
    if isinstance(x, (list, tuple)) and x:
        return any(is_symbolic(v) for v in x)
    if isinstance(x, dict) and x:
        return any(is_symbolic(v) for v in x.values())
    return False


def symbolic_call(layer: Layer, inputs: Any, kwargs: dict) -> Any:
    """Record ``layer(inputs)`` on symbolic tensors; build the layer; infer output shapes."""
    shapes = _map(inputs, lambda s: s.shape)
    if not layer.built:
        layer._build_from_shape(shapes)
    try:
        out_shapes = layer.compute_output_shape(shapes)
    except NotImplementedError:
        out_shapes = _shapes_by_running(layer, inputs, kwargs)
    multi = isinstance(out_shapes, list) or (
        isinstance(out_shapes, tuple) and out_shapes and isinstance(out_shapes[0], (tuple, list)))
    shape_list = list(out_shapes) if multi else [out_shapes]
    dtype = _flatten(inputs)[0].dtype
    node = Node(layer, inputs, [], {k: v for k, v in kwargs.items() if v is not None})
    outs = [SymbolicTensor(tuple(s), dtype, node, i) for i, s in enumerate(shape_list)]
    node.outputs = outs
    inbound_nodes(layer).append(node)
    if getattr(layer, "_build_output_shape", None) is None:
        object.__setattr__(layer, "_build_output_shape", out_shapes)
    return outs if multi else outs[0]


def first_call_tensors(layer: Layer, what: str) -> Any:
    """``layer.input`` / ``layer.output`` (Keras): the symbolic tensors of the layer's first
    call in a functional graph; a list when there are several."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if not nodes:
        raise AttributeError(
            f"{type(layer).__name__} '{layer.name}' has never been called on symbolic inputs, "
            f"so it has no defined {what}; call it on em.Input(...) (the functional API), or "
            f"use it in a Sequential model given an input shape")
    node = nodes[0]
    if what == "output":
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)
    return node.outputs[0] if node.inputs is None else node.inputs  # an InputLayer: itself


def inbound_nodes(layer: Layer) -> list:
    """The graph nodes where ``layer`` was called (kept off the layer's tracked attributes)."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(layer, "_inbound_nodes", nodes)
    return nodes


def _shapes_by_running(layer: Layer, inputs: Any, kwargs: dict) -> Any:
    """Output shapes by calling the layer on zeros (unknown axes as 1, mapped back to None)."""
    from ember.autograd.mode import no_grad
    from ember.backend import floatx
    from ember.devices import probe_zeros

    def zeros(s: SymbolicTensor) -> Any:
        dt = s.dtype if np.dtype(s.dtype).kind in "iu" else floatx()
        return probe_zeros(s.shape, dt, layer)

    with no_grad():
        out = layer(_map(inputs, zeros), **{k: _map(v, zeros) if is_symbolic(v) else v
                                            for k, v in kwargs.items() if k != "training"})
    outs = out if isinstance(out, (list, tuple)) else [out]
    res = [(None,) + tuple(o.shape[1:]) for o in outs]
    return res if isinstance(out, (list, tuple)) else res[0]


@register()
class InputLayer(Layer):
    """The entry point of a functional model; ``em.Input(shape)`` makes one and returns its
    symbolic output."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 batch_shape: Any = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: pass shape= (without the batch axis), e.g. (28, 28)")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(batch_shape)
        from ember.backend import floatx

        self.input_dtype = np.dtype(dtype or floatx()).name
        self.built = True
        node = Node(self, None, [], {})
        node.outputs = [SymbolicTensor(self.batch_shape, self.input_dtype, node, 0)]
        inbound_nodes(self).append(node)  # `self.output` is that tensor

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.batch_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.input_dtype,
                "name": self.name}


def Input(shape: Any = None, batch_size: int | None = None, name: str | None = None,
          dtype: Any = None, batch_shape: Any = None, **kwargs: Any) -> SymbolicTensor:
    """A symbolic input of the given per-sample ``shape`` (the batch axis is added as None).

    Example:
        >>> import ember as em
        >>> em.Input(shape=(28, 28)).shape
        (None, 28, 28)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                      name=name, **kwargs).output


class Graph:
    """The recorded layer calls between a model's inputs and outputs, in running order."""

    def __init__(self, inputs: Any, outputs: Any) -> None:
        self.input_struct = inputs
        self.output_struct = outputs
        self.inputs = _flatten(inputs)
        self.outputs = _flatten(outputs)
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
            for t in _flatten(node.inputs) + _kwarg_tensors(node.kwargs):
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
            given = _flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(given) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs "
                             f"({[t.node.layer.name for t in self.inputs]}); got {len(given)}")
        for i, (sym, value) in enumerate(zip(self.inputs, given)):
            value = given[i] = _adjust_rank(value, sym.shape)
            shape = getattr(value, "shape", None)
            if shape is None or not _fits(tuple(shape), sym.shape):
                raise_input_mismatch(self.inputs, given)
            values[id(sym)] = value
        for node in self.nodes:
            if node.inputs is None:
                continue
            args = _map(node.inputs, lambda s: values[id(s)])
            kwargs = {k: _map(v, lambda s: values[id(s)]) if is_symbolic(v) else v
                      for k, v in node.kwargs.items()}  # tensors passed by keyword
            out = node.layer(args, training=training, **kwargs)
            outs = out if isinstance(out, (list, tuple)) and len(node.outputs) > 1 else [out]
            for sym, value in zip(node.outputs, outs):
                values[id(sym)] = value
        return _map(self.output_struct, lambda s: values[id(s)])

    def summary_rows(self) -> list[tuple]:
        rows = []
        for node in self.nodes:
            layer = node.layer
            shapes = [o.shape for o in node.outputs]
            shape = shapes[0] if len(shapes) == 1 else shapes
            sources = [] if node.inputs is None else [
                f"{t.node.layer.name}" for t in _flatten(node.inputs)]
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
            calls = [[_map(n.inputs, ref), n.kwargs] for n in self.nodes
                     if n.layer is layer and n.inputs is not None]
            # the name beside the config too: a custom layer's get_config may leave it out
            layers.append({"name": layer.name, "layer": serialize(layer), "calls": calls})
        return {
            "name": name,
            "graph": {
                "layers": layers,
                "inputs": _map(self.input_struct, ref),
                "outputs": _map(self.output_struct, ref),
            },
        }

    @staticmethod
    def from_config(config: dict, custom_objects: dict | None = None) -> tuple:
        from ember.serialization import deserialize

        built: dict[str, Layer] = {}
        pending = list(config["graph"]["layers"])
        for entry in pending:
            layer = deserialize(entry["layer"], custom_objects)
            built[_entry_name(entry, layer)] = layer

        def lookup(r: list) -> SymbolicTensor:
            layer = built[r[0]]
            return inbound_nodes(layer)[r[1]].outputs[r[2]]

        remaining = [(_entry_name(entry), call) for entry in pending for call in entry["calls"]]
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


def _adjust_rank(value: Any, expected: tuple) -> Any:
    """Keras' ``_adjust_input_rank``: a (batch,) array for an input of shape (batch, 1) gets
    its last axis added, and a (batch, ..., 1) array for (batch, ...) loses it."""
    shape = getattr(value, "shape", None)
    if shape is None:
        return value
    if len(shape) == len(expected) - 1 and expected[-1] == 1:
        return value[..., None]
    if len(shape) == len(expected) + 1 and shape[-1] == 1:
        return value[..., 0]
    return value


def _entry_name(entry: dict, layer: Any = None) -> str:
    """The name the graph's references use for a layer entry."""
    name = entry.get("name") or (entry["layer"].get("config") or {}).get("name")
    return name if name is not None else layer.name


def _map_refs(struct: Any, fn: Any) -> Any:
    """Like _map, but a ref is a list [name, node, index] (a leaf, not a structure)."""
    if isinstance(struct, list) and len(struct) == 3 and isinstance(struct[0], str):
        return fn(struct)
    if isinstance(struct, list):
        return [_map_refs(s, fn) for s in struct]
    if isinstance(struct, dict):
        return {k: _map_refs(v, fn) for k, v in struct.items()}
    return fn(struct)
