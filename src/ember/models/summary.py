"""``model.summary()``: Keras' table of layers, output shapes and parameter counts."""

from __future__ import annotations

from typing import Any


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def format_summary(model: Any, line_length: int = 80) -> str:
    """The summary as text: one row per layer, then total / trainable / non-trainable counts."""
    rows = model.summary_rows()
    connected = any(r[4] for r in rows) and len(getattr(model, "_graph", None).inputs
                                                ) > 1 if getattr(model, "_graph", None) else False
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    table = [[f"{name} ({cls})", _shape_text(shape), f"{params:,}"] +
             ([src] if connected else []) for name, cls, shape, params, src in rows]
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
              for i, h in enumerate(headers)]
    total_w = max(line_length, sum(widths) + 3 * (len(widths) - 1))
    sep = "=" * total_w

    def line(cells: list[str]) -> str:
        return "   ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    trainable = sum(int(w.size) for w in model.trainable_weights)
    non_trainable = sum(int(w.size) for w in model.non_trainable_weights)
    out = [f'Model: "{model.name}"', "-" * total_w, line(headers), sep]
    out += [line(r) for r in table]
    out += [sep, f"Total params: {trainable + non_trainable:,}",
            f"Trainable params: {trainable:,}", f"Non-trainable params: {non_trainable:,}",
            "-" * total_w]
    return "\n".join(out)
