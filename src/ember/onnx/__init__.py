"""ONNX export: ``em.onnx.export(model, "m.onnx")`` or ``model.export("m.onnx")``.

Sequential and functional models (SimpleRNN/LSTM/GRU and Bidirectional included) become an
opset-17 ONNX graph with a dynamic batch axis (named "batch"); inputs and outputs keep
ember's channels-last layout. The graph is built with the ``onnx`` package's helpers and
checked with ``onnx.checker`` before it is written. A layer without a conversion is named in
the error. Needs the ``onnx`` extra.

Example:
    >>> import ember as em, os, tempfile
    >>> _ = __import__("pytest").importorskip("onnx")
    >>> model = em.Sequential([em.Input((3,)), em.layers.Dense(2, activation="softmax")])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.onnx")
    >>> export(model, path)
    >>> import onnx
    >>> [n.op_type for n in onnx.load(path).graph.node]
    ['MatMul', 'Add', 'Softmax', 'Identity']
"""

from __future__ import annotations

import os
from typing import Any

from ember.onnx.converters import OPSET, Context, convert


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("onnx export needs the onnx package: pip install 'ember[onnx]'") \
            from None
    return onnx


def to_onnx(model: Any) -> Any:
    """The ``onnx.ModelProto`` of ``model`` (checked by ``onnx.checker``)."""
    onnx = _require_onnx()
    from onnx import TensorProto, helper

    if not model.built:
        raise ValueError("onnx export: the model is not built yet (call it on data, fit it, or "
                         "build(input_shape))")
    ctx = Context()
    inputs, outputs = [], []
    graph = getattr(model, "_graph", None)
    if graph is not None:
        names: dict[int, str] = {}
        for t in graph.inputs:
            names[id(t)] = t.node.layer.name
            inputs.append(_value_info(t.node.layer.name, t.shape, t.dtype))
        for node in graph.nodes:
            if node.inputs is None:
                continue
            from ember.layers.tracking import flatten_nested as _flatten

            flat = _flatten(node.inputs)
            if node.kwargs:
                raise NotImplementedError(f"onnx export: layer '{node.layer.name}' is called "
                                          f"with {sorted(node.kwargs)}; not converted")
            out = convert(ctx, node.layer, [names[id(t)] for t in flat],
                          [len(t.shape) for t in flat])
            names[id(node.outputs[0])] = out
        results = [(names[id(t)], t.shape) for t in graph.outputs]
    else:
        shape = getattr(model, "_input_shape_known", None)
        if shape is None:
            raise ValueError("onnx export: the Sequential model has no known input shape")
        x, rank = "input", len(shape)
        inputs.append(_value_info("input", shape, "float32"))
        for layer in model.layers:
            x = convert(ctx, layer, [x], [rank])
            rank = len(layer._build_output_shape) if layer._build_output_shape else rank
        results = [(x, model.output_shape)]
    for i, (name, shape) in enumerate(results):
        out_name = "output" if len(results) == 1 else f"output_{i}"
        ctx.nodes.append(helper.make_node("Identity", [name], [out_name], name=out_name))
        outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT,
                                                     ["batch"] + list(shape[1:])))
    graph_proto = helper.make_graph(ctx.nodes, model.name, inputs, outputs, ctx.initializers)
    proto = helper.make_model(graph_proto, producer_name="ember",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = 8
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _value_info(name: str, shape: tuple, dtype: Any) -> Any:
    from onnx import helper

    elem = helper.np_dtype_to_tensor_dtype(__import__("numpy").dtype(str(dtype)))
    dims = ["batch"] + [d if d is not None else f"{name}_{i}" for i, d in
                        enumerate(shape[1:], 1)]
    return helper.make_tensor_value_info(name, elem, dims)


def export(model: Any, filepath: str | os.PathLike) -> None:
    """Write ``model`` as an ONNX file (atomically). See the module docstring."""
    from ember.atomic_file import atomic_write

    atomic_write(filepath, to_onnx(model).SerializeToString())


__all__ = ["export", "to_onnx"]
