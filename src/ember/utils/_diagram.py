"""plot_model's drawing without Graphviz: boxes ranked by depth (a layer sits one rank below
its deepest input), centred per rank, arrows from each input; as SVG text, or as a PNG drawn
with Pillow from the same layout."""

from __future__ import annotations

import html
import io
from typing import Any

CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 7, 16, 8, 24, 36


def layout(dot: Any) -> tuple[dict[str, tuple[float, float, float, float]], float, float]:
    """{box key: (x, y, width, height)} and the canvas size."""
    depth: dict[str, int] = {}
    for box in dot.boxes:  # boxes come in topological order
        depth[box.key] = 1 + max((depth[p] for p in box.parents if p in depth), default=-1)
    ranks: dict[int, list[Any]] = {}
    for box in dot.boxes:
        ranks.setdefault(depth[box.key], []).append(box)
    size = {b.key: (max(len(line) for line in b.lines) * CHAR_W + 2 * PAD,
                    len(b.lines) * LINE_H + 2 * PAD) for b in dot.boxes}
    across = dot.rankdir in ("LR", "RL")
    rank_extent = [sum((size[b.key][1] if across else size[b.key][0]) for b in row)
                   + GAP_X * (len(row) - 1) for row in ranks.values()]
    width_all = max(rank_extent, default=0)
    pos: dict[str, tuple[float, float, float, float]] = {}
    offset = 0.0
    for r in sorted(ranks):
        row = ranks[r]
        thick = max((size[b.key][0] if across else size[b.key][1]) for b in row)
        extent = sum((size[b.key][1] if across else size[b.key][0]) for b in row) + \
            GAP_X * (len(row) - 1)
        cursor = (width_all - extent) / 2
        for b in row:
            w, h = size[b.key]
            if across:
                pos[b.key] = (offset + (thick - w) / 2, cursor, w, h)
                cursor += h + GAP_X
            else:
                pos[b.key] = (cursor, offset + (thick - h) / 2, w, h)
                cursor += w + GAP_X
        offset += thick + GAP_Y
    total = offset - GAP_Y if ranks else 0
    canvas = (total, width_all) if across else (width_all, total)
    return pos, canvas[0] + 2 * PAD, canvas[1] + 2 * PAD


def _ends(a: tuple, b: tuple, across: bool) -> tuple[float, float, float, float]:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if across:
        return ax + aw + PAD, ay + ah / 2 + PAD, bx + PAD, by + bh / 2 + PAD
    return ax + aw / 2 + PAD, ay + ah + PAD, bx + bw / 2 + PAD, by + PAD


def svg(dot: Any) -> str:
    pos, width, height = layout(dot)
    across = dot.rankdir in ("LR", "RL")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
           f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="11">',
           f"<title>{html.escape(dot.title)}</title>",
           '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
           'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#444"/></marker></defs>']
    for a, b in dot.edges:
        x1, y1, x2, y2 = _ends(pos[a], pos[b], across)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   'stroke="#444" marker-end="url(#arrow)"/>')
    for box in dot.boxes:
        x, y, w, h = pos[box.key]
        x, y = x + PAD, y + PAD
        dashed = ' stroke-dasharray="4,2"' if box.cluster else ""
        out.append(f'<g class="layer" id="{html.escape(box.key, quote=True)}">'
                   f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" '
                   f'fill="#fff" stroke="#333"{dashed}/>')
        for i, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{x + w / 2:.1f}" y="{y + PAD + (i + 0.8) * LINE_H:.1f}" '
                       f'text-anchor="middle"{weight}>{html.escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def png(dot: Any) -> bytes:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise ImportError("plot_model: a .png without Graphviz is drawn with Pillow: pip "
                          "install 'ember[image]', or write .svg / .dot") from None
    pos, width, height = layout(dot)
    across = dot.rankdir in ("LR", "RL")
    img = Image.new("RGB", (int(width) + 1, int(height) + 1), "white")
    draw = ImageDraw.Draw(img)
    for a, b in dot.edges:
        x1, y1, x2, y2 = _ends(pos[a], pos[b], across)
        draw.line([(x1, y1), (x2, y2)], fill="#444444", width=1)
        draw.polygon(_arrow_head(x1, y1, x2, y2), fill="#444444")
    for box in dot.boxes:
        x, y, w, h = pos[box.key]
        draw.rectangle([x + PAD, y + PAD, x + PAD + w, y + PAD + h], outline="#333333")
        for i, line in enumerate(box.lines):
            draw.text((x + PAD + PAD, y + 2 * PAD + i * LINE_H), line, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _arrow_head(x1: float, y1: float, x2: float, y2: float) -> list[tuple[float, float]]:
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / length, dy / length
    return [(x2, y2), (x2 - 7 * ux + 3.5 * uy, y2 - 7 * uy - 3.5 * ux),
            (x2 - 7 * ux - 3.5 * uy, y2 - 7 * uy + 3.5 * ux)]
