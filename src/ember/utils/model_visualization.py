"""``plot_model`` / ``model_to_dot``: a model's layers as a diagram, as ``keras.utils``.

``model_to_dot`` returns a ``Dot`` holding Graphviz dot text (``str(dot)``), one box per
layer (name, class, optionally input / output shapes, dtype, activation, trainable),
arrows along the data flow, nested models drawn as clusters with ``expand_nested=True``.
``plot_model`` writes it: ``.dot`` as text; ``.png`` / ``.svg`` / ``.pdf`` through Graphviz's
``dot`` program where it is installed; without it, ``.svg`` is laid out by ember itself (a
box per layer, ranked by depth) and ``.png`` is drawn from that layout with Pillow.

Example::

    em.utils.plot_model(model, "model.svg", show_shapes=True)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Box:
    key: str
    lines: list[str]
    cluster: str | None = None
    parents: list[str] = field(default_factory=list)


class Dot:
    """The diagram: ``str(dot)`` / ``to_string()`` is the Graphviz source; ``create(format)``
    runs ``dot`` (PNG/SVG bytes); ``boxes`` and ``edges`` are the laid-out graph."""

    def __init__(self, boxes: list[_Box], rankdir: str, dpi: int, title: str) -> None:
        self.boxes, self.rankdir, self.dpi, self.title = boxes, rankdir, dpi, title

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(p, b.key) for b in self.boxes for p in b.parents]

    def to_string(self) -> str:
        out = [f'digraph "{_esc(self.title)}" {{', f"  graph [rankdir={self.rankdir}, "
               f'dpi={self.dpi}, concentrate=true];',
               '  node [shape=record, fontname="Helvetica", fontsize=11];']
        clusters: dict[str | None, list[_Box]] = {}
        for box in self.boxes:
            clusters.setdefault(box.cluster, []).append(box)
        for name, boxes in clusters.items():
            indent = "  " if name is None else "    "
            if name is not None:
                out.append(f'  subgraph "cluster_{_esc(name)}" {{')
                out.append(f'    label="{_esc(name)}"; style=dashed;')
            for box in boxes:
                label = "|".join(_esc(line) for line in box.lines)
                out.append(f'{indent}"{_esc(box.key)}" [label="{{{label}}}"];')
            if name is not None:
                out.append("  }")
        out += [f'  "{_esc(a)}" -> "{_esc(b)}";' for a, b in self.edges]
        out.append("}")
        return "\n".join(out) + "\n"

    __str__ = to_string

    def create(self, format: str = "png") -> bytes:  # noqa: A002 - pydot's name
        dot = shutil.which("dot")
        if dot is None:
            raise OSError("Graphviz's dot program is not installed (apt-get install graphviz "
                          "/ brew install graphviz); plot_model falls back to its own SVG")
        proc = subprocess.run([dot, f"-T{format}"], input=self.to_string().encode(),
                              capture_output=True, timeout=60)
        if proc.returncode:
            raise OSError(f"dot failed: {proc.stderr.decode(errors='replace')[-500:]}")
        return proc.stdout


def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB",
                 expand_nested: bool = False, dpi: int = 200,
                 show_layer_activations: bool = False, show_trainable: bool = False) -> Dot:
    """The diagram of ``model`` (see the module docstring); ``rankdir`` "TB" or "LR"."""
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"model_to_dot: rankdir must be 'TB', 'LR', 'BT' or 'RL'; got "
                         f"{rankdir!r}")
    if not hasattr(model, "summary_rows"):
        raise TypeError(f"model_to_dot: expected an ember model; got {type(model).__name__}")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names, show_activations=show_layer_activations,
                   show_trainable=show_trainable)
    boxes = _boxes(model, "", None, expand_nested, options)
    return Dot(boxes, rankdir, dpi, getattr(model, "name", "model"))


def plot_model(model: Any, to_file: str | os.PathLike = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False) -> Dot:
    """Write the diagram to ``to_file`` (format from its suffix) and return the ``Dot``."""
    dot = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir,
                       expand_nested, dpi, show_layer_activations, show_trainable)
    path = os.fspath(to_file)
    fmt = os.path.splitext(path)[1][1:].lower() or "png"
    if fmt == "dot":
        data = dot.to_string().encode()
    elif shutil.which("dot"):
        data = dot.create(fmt)
    elif fmt == "svg":
        from ember.utils import _diagram

        data = _diagram.svg(dot).encode()
    elif fmt == "png":
        from ember.utils import _diagram

        data = _diagram.png(dot)
    else:
        raise ValueError(f"plot_model: {fmt!r} needs Graphviz's dot program (not installed); "
                         "without it ember writes .svg, .png (with Pillow) or .dot")
    with open(path, "wb") as f:
        f.write(data)
    return dot


# ---------------------------------------------------------------------- the graph
def _boxes(model: Any, prefix: str, cluster: str | None, expand: bool,
           options: dict) -> list[_Box]:
    rows = model.summary_rows()
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}
    out: list[_Box] = []
    sequential = all(not r[4] for r in rows)
    previous: list[str] = []
    shapes = {r[0]: r[2] for r in rows}
    alias: dict[str, str] = {}  # an expanded nested model -> its last inner box
    if sequential and getattr(model, "_input_shape_known", None) is not None:
        key = prefix + "input"
        out.append(_Box(key, _label("input", "InputLayer", None, model._input_shape_known,
                                    None, options), cluster))
        previous, shapes["input"] = [key], model._input_shape_known
    for name, cls, shape, _params, sources in rows:
        layer = layers.get(name)
        sources_list = [s for s in sources.split(", ") if s]
        parents = previous if sequential else [alias.get(s, prefix + s) for s in sources_list]
        in_shape = None if not parents else [
            shapes.get(s) for s in (sources_list or [p[len(prefix):] for p in parents])]
        in_shape = in_shape[0] if in_shape and len(in_shape) == 1 else in_shape
        if expand and layer is not None and hasattr(layer, "summary_rows"):
            inner = _boxes(layer, prefix + name + "/", name, expand, options)
            if inner:
                firsts = [b for b in inner if not b.parents]
                for b in firsts:
                    b.parents = list(parents)
                out += inner
                previous = [inner[-1].key]
                alias[name] = inner[-1].key
                shapes[name] = shape
                continue
        key = prefix + name
        out.append(_Box(key, _label(name, cls, in_shape, shape, layer, options), cluster,
                        list(parents)))
        previous = [key]
    return out


def _label(name: str, cls: str, in_shape: Any, out_shape: Any, layer: Any,
           options: dict) -> list[str]:
    title = f"{name} ({cls})" if options["show_layer_names"] else cls
    lines = [title]
    if options["show_activations"] and layer is not None:
        act = getattr(layer, "activation", None)
        act_name = getattr(act, "__name__", None) or (act if isinstance(act, str) else None)
        if act_name:
            lines.append(f"activation: {act_name}")
    if options["show_dtype"] and layer is not None:
        lines.append(f"dtype: {getattr(layer, 'dtype', 'float32')}")
    if options["show_shapes"]:
        lines.append(f"input: {_shape(in_shape)}  output: {_shape(out_shape)}")
    if options["show_trainable"] and layer is not None:
        lines.append(f"trainable: {'yes' if getattr(layer, 'trainable', True) else 'no'}")
    return lines


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _esc(text: str) -> str:
    """Escape for a dot record label (braces, bars and angle brackets are syntax there)."""
    out = str(text).replace("\\", "\\\\").replace('"', '\\"')
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out

