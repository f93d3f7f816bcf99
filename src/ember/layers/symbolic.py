"""Symbolic tensors and graph nodes: what calling a layer on ``em.Input(...)`` records.

A ``SymbolicTensor`` has a shape (batch axis None) and a dtype, and remembers the ``Node`` (one
call of a layer) that made it. ``Layer.__call__`` hands symbolic inputs to
``SymbolicTensor.__ember_layer_call__``, which builds the layer, infers its output shape and
records a Node instead of computing. ``ember.models.functional.Graph`` later walks these
nodes to run a functional model. They live with the layers (not with the models) because a
layer's ``input`` / ``output`` properties and ``InputLayer`` need them.

Example:
    >>> import ember as em
    >>> x = em.Input(shape=(4,))
    >>> y = em.layers.Dense(3)(x)
    >>> y.shape, y.node.layer.name.startswith("dense"), is_symbolic([x, 1])
    ((None, 3), True, True)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.layers.base import Layer
from ember.layers.layer_call import CALL_TAKES_MASK
from ember.layers.tracking import flatten_nested


class SymbolicTensor:
    """A placeholder with a shape (batch axis None) that records which layer produced it."""

    # `_keras_mask`: the symbolic padding mask (a bool SymbolicTensor, e.g. (batch, time))
    # that Embedding(mask_zero=True), Masking or a custom compute_mask attached, carried on
    # through layers that support masking; None without one. Its values exist only in a
    # real call, where the layers attach the mask to their eager outputs the same way.
    __slots__ = ("shape", "dtype", "node", "index", "_keras_mask")

    def __init__(self, shape: tuple, dtype: Any, node: Node | None = None, index: int = 0,
                 mask: SymbolicTensor | None = None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self._keras_mask = mask

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self) -> Layer:
        return self.node.layer

    def __repr__(self) -> str:
        src = self.node.layer.name if self.node else "a padding mask"
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype} from '{src}'>"

    def __ember_layer_call__(self, layer: Layer, inputs: Any, *args: Any, training: Any = None,
                             mask: Any = None, **kwargs: Any) -> Any:
        """Called by ``Layer.__call__`` for symbolic inputs: record instead of compute."""
        if args:  # extra positional arguments (Keras allows them) become keywords
            kwargs = {**_positional_as_keywords(layer, args), **kwargs}
        if mask is not None:
            kwargs = {**kwargs, "mask": mask}
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


class Node:
    """One call of a layer in the graph: its symbolic inputs (structure kept) and outputs."""

    __slots__ = ("layer", "inputs", "outputs", "kwargs")

    def __init__(self, layer: Layer, inputs: Any, outputs: list, kwargs: dict) -> None:
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.kwargs = kwargs


def map_structure(struct: Any, fn: Any) -> Any:
    """``fn`` applied to every leaf of nested lists, tuples and dicts, the nesting kept."""
    if isinstance(struct, (list, tuple)):
        return type(struct)(map_structure(s, fn) for s in struct)
    if isinstance(struct, dict):
        return {k: map_structure(v, fn) for k, v in struct.items()}
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
    """Record ``layer(inputs)`` on symbolic tensors; build the layer; infer output shapes
    and the output masks (as Keras, a layer whose call takes ``mask`` sees the incoming one)."""
    shapes = map_structure(inputs, lambda s: s.shape)
    if not layer.built:
        layer._build_from_shape(shapes)
    mask, kwargs = _incoming_mask(layer, inputs, kwargs)
    passes_mask = mask is not None and bool(layer._call_takes & CALL_TAKES_MASK)
    run_kwargs = {**kwargs, "mask": mask} if passes_mask else kwargs
    if passes_mask and type(layer).compute_output_shape is Layer.compute_output_shape:
        out_shapes = _shapes_by_running(layer, inputs, run_kwargs)  # that rule drops masks
    else:
        try:
            out_shapes = layer.compute_output_shape(shapes)
        except NotImplementedError:
            out_shapes = _shapes_by_running(layer, inputs, run_kwargs)
    multi = isinstance(out_shapes, list) or (
        isinstance(out_shapes, tuple) and out_shapes and isinstance(out_shapes[0], (tuple, list)))
    shape_list = list(out_shapes) if multi else [out_shapes]
    dtype = _output_dtype(layer, flatten_nested(inputs)[0].dtype)
    node = Node(layer, inputs, [], {k: v for k, v in kwargs.items() if v is not None})
    outs = [SymbolicTensor(tuple(s), dtype, node, i) for i, s in enumerate(shape_list)]
    node.outputs = outs
    _attach_symbolic_masks(layer, inputs, outs, mask)
    inbound_nodes(layer).append(node)
    if getattr(layer, "_build_output_shape", None) is None:
        object.__setattr__(layer, "_build_output_shape", out_shapes)
    return outs if multi else outs[0]


def _output_dtype(layer: Layer, dtype: Any) -> Any:
    """Float outputs come in the layer's compute dtype under a mixed policy (float16), else
    in the input's dtype promoted with the layer's (as NumPy computes them)."""
    if dtype == "object" or np.dtype(dtype).kind != "f":
        return dtype
    if layer._compute_cast is not None:
        return layer._compute_cast.name
    return np.result_type(dtype, layer._np_dtype).name if layer._np_dtype.kind == "f" \
        else dtype


def _incoming_mask(layer: Layer, inputs: Any, kwargs: dict) -> tuple:
    """The mask a call receives (``mask=`` given, else the single input's) and the kwargs to
    record: the input's own mask given back as ``mask=`` is left out, since a real call
    passes it on by itself (the placeholder is no graph edge)."""
    own = inputs._keras_mask if isinstance(inputs, SymbolicTensor) else None
    given = kwargs.get("mask")
    if given is None:
        return own, kwargs
    if given is own:
        return own, {k: v for k, v in kwargs.items() if k != "mask"}
    for t in flatten_nested(given):
        if isinstance(t, SymbolicTensor) and t.node is None:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': mask= is the padding "
                             "mask of another symbolic tensor; in the functional API pass a "
                             "layer's output (or the layer's own input's mask)")
    return given, kwargs


def _attach_symbolic_masks(layer: Layer, inputs: Any, outs: list, mask: Any) -> None:
    """Keras' mask rule on symbolic outputs: a layer that supports masking gives its outputs
    ``compute_mask(inputs, mask)``; another drops the mask (with Keras' warning)."""
    if not layer.supports_masking:
        if mask is not None:
            warnings.warn(f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed "
                          "an input with a mask attached to it. However, this layer does not "
                          "support masking and will therefore destroy the mask information. "
                          "Downstream layers will not see the mask.", stacklevel=4)
        return
    if not layer._computes_mask:  # the default compute_mask hands the mask on
        if isinstance(mask, SymbolicTensor):
            outs[0]._keras_mask = mask
        return
    from ember.autograd.mode import no_grad
    from ember.autograd.tensor import wrap_array

    try:  # unknown steps as 2 here, so that e.g. a compute_mask splitting them in halves runs
        with no_grad():  # the masks' shapes, from compute_mask on probes
            result = layer.compute_mask(
                map_structure(inputs, lambda s: wrap_array(_probe(s, layer, 2))),
                map_structure(mask, lambda s: _probe(s, layer, 2)))
    except Exception:  # noqa: BLE001 - a probe that does not fit the layer's compute_mask:
        return  # no symbolic mask then; a real call still computes and passes the mask on
    masks = result if isinstance(result, (list, tuple)) else [result]
    for out, m in zip(outs, masks):  # Keras zips the flat masks with the flat outputs
        if m is None:
            continue
        ndim = len(getattr(m, "shape", ()))
        shape = out.shape[:ndim] if ndim <= out.ndim else (None,) + tuple(m.shape[1:])
        out._keras_mask = SymbolicTensor(shape, "bool")


def _probe(s: SymbolicTensor | None, layer: Layer, unknown: int = 1) -> Any:
    """A value standing for ``s`` in a probe run: zeros (the batch axis 1, other unknown axes
    ``unknown``), and True for a boolean placeholder (a mask then keeps every step)."""
    from ember.backend import floatx
    from ember.devices import probe_zeros

    if s is None:  # no mask
        return None
    shape = s.shape if unknown == 1 else \
        s.shape[:1] + tuple(unknown if d is None else d for d in s.shape[1:])
    kind = np.dtype(s.dtype).kind if s.dtype != "object" else "O"
    if kind == "b":
        return probe_zeros(shape, "bool", layer) | True
    return probe_zeros(shape, s.dtype if kind in "iu" else floatx(), layer)


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


def _shapes_by_running(layer: Layer, inputs: Any, kwargs: dict) -> Any:
    """Output shapes by calling the layer on zeros (unknown axes as 1, mapped back to None)."""
    from ember.autograd.mode import no_grad

    def probe(s: SymbolicTensor) -> Any:
        return _probe(s, layer)

    with no_grad():
        kept = {k: map_structure(v, probe) if is_symbolic(v) else v  # tensors by keyword
                for k, v in kwargs.items() if k != "training"}
        out = layer(map_structure(inputs, probe), **kept)
    outs = out if isinstance(out, (list, tuple)) else [out]
    res = [(None,) + tuple(o.shape[1:]) for o in outs]
    return res if isinstance(out, (list, tuple)) else res[0]
