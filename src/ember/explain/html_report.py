"""``report``: one self-contained HTML page about a trained classifier — its summary and a
diagram of its layers, the learning curves, the training doctor's findings, the confusion
matrix, the worst mistakes with their attribution maps, and examples of each class. Every image
is embedded (base64 PNG), so the file can be mailed or opened anywhere, offline."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from ember.explain import _core

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.8em}
table.cm{border-collapse:collapse;font-size:.85em}table.cm td,table.cm th{border:1px solid #ddd;
padding:.25em .5em;text-align:right}.finding{background:#fff4e5;border-left:4px solid #f0a020;
padding:.5em .8em;margin:.5em 0}.ok{background:#e8f6ea;border-left:4px solid #3a3;padding:.5em .8em}
.fix{color:#555;font-size:.9em}.cards{display:flex;flex-wrap:wrap;gap:.8em}
.card{border:1px solid #ddd;padding:.4em;text-align:center;font-size:.8em}
"""

_CHECK = "(open in a browser to check the images)"
# Once the page has loaded, count the images that decoded and say so at the bottom (a browser
# test reads it; a broken image is also reported on the console).
_SCRIPT = """window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images-loaded', ok + '/' + imgs.length);
  document.getElementById('check').textContent = ok + ' of ' + imgs.length + ' images shown';
  if (ok !== imgs.length) { console.error('ember report: ' + (imgs.length - ok) +
                                          ' image(s) failed to load'); }
});"""


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(src: str, alt: str) -> str:
    return f'<img src="{src}" alt="{html.escape(alt)}">'


def _diagram(model: Any, x: np.ndarray) -> str:
    """An inline SVG: one box per layer in call order, with its output shape."""
    rows = []
    for layer, out in _core.call_order(model, x[:1]):
        if layer._sublayers():
            continue
        value = _core.first_output(out)
        shape = tuple(getattr(value, "shape", ()))[1:]
        rows.append((layer.name, type(layer).__name__, shape))
    box_h, gap = 34, 14
    width = max(360, 40 + 8 * max((len(f'{n} ({k}) -> {s}') for n, k, s in rows), default=0))
    height = len(rows) * (box_h + gap) + 10
    parts = [f'<svg width="{width}" height="{height}" '
             'role="img" aria-label="model diagram">']
    for i, (name, kind, shape) in enumerate(rows):
        y = 5 + i * (box_h + gap)
        parts.append(f'<rect x="10" y="{y}" width="{width - 20}" height="{box_h}" rx="6" '
                     'fill="#eef3fb" stroke="#5577aa"/>')
        label = html.escape(f"{name} ({kind}) -> {shape}")
        parts.append(f'<text x="20" y="{y + 22}" font-size="13" font-family="monospace">'
                     f'{label}</text>')
        if i:
            parts.append(f'<line x1="{width // 2}" y1="{y - gap}" x2="{width // 2}" y2="{y}" '
                         'stroke="#5577aa"/>')
    parts.append("</svg>")
    return "".join(parts)


def _probabilities(out: np.ndarray) -> np.ndarray:
    if out.min() >= 0 and np.allclose(out.sum(axis=1), 1, atol=1e-3):
        return out
    z = out - out.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _confusion(y: np.ndarray, pred: np.ndarray, n: int) -> str:
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    top = max(int(cm.max()), 1)
    head = "".join(f"<th>{j}</th>" for j in range(n))
    body = []
    for i in range(n):
        cells = "".join(
            f'<td style="background:rgba({40 if i == j else 220},{160 if i == j else 60},'
            f'{60},{cm[i, j] / top:.2f})">{cm[i, j]}</td>' for j in range(n))
        body.append(f"<tr><th>{i}</th>{cells}</tr>")
    return (f'<table class="cm"><tr><th>true \\ predicted</th>{head}</tr>{"".join(body)}'
            "</table>")


def _sample_card(model: Any, x: np.ndarray, target: int, caption: str, method: Any,
                 image_like: bool) -> str:
    from ember.explain import plots

    attr = method(model, x[None], target)[0]
    if image_like:
        fig = plots.plot_attribution(x, attr)
    else:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(3, 2))
        ax.bar(np.arange(attr.size), attr.reshape(-1))
        ax.set_xlabel("feature")
    fig.set_size_inches(2.2, 2.2)
    return f'<div class="card">{_img(_png(fig), caption)}<br>{html.escape(caption)}</div>'


def report(model: Any, x: Any, y: Any, history: Any = None, path: Any = "ember_report.html",
           method: str = "integrated_gradients", worst: int = 8, per_class: int = 2,
           title: str = "ember model report") -> Path:
    """Write the report of a classifier evaluated on ``(x, y)`` (class indices, or one-hot) to
    ``path`` and return the path. ``history`` (a History or its dict; default: the model's last
    run) gives the learning curves; ``method`` names the attribution drawn over the worst
    mistakes and the per-class examples (``"saliency"``, ``"gradient_x_input"``,
    ``"integrated_gradients"``, ``"smoothgrad"``).

    Example:
        >>> import numpy as np, ember as em, tempfile, os
        >>> model = em.Sequential([em.Input((4,)), em.layers.Dense(3, activation="softmax")])
        >>> model.compile("adam", "sparse_categorical_crossentropy")
        >>> x = np.random.default_rng(0).normal(size=(30, 4)).astype("float32")
        >>> y = np.arange(30) % 3
        >>> path = os.path.join(tempfile.mkdtemp(), "report.html")
        >>> out = em.explain.report(model, x, y, path=path, method="saliency")
        >>> "Confusion matrix" in out.read_text()
        True
    """
    from ember import explain
    from ember.explain import plots
    from ember.explain.doctor import diagnose, merge

    plots._pyplot()  # a clear error naming the extra, before any work
    xb = _core.as_batch(model, x, "report")
    labels = np.asarray(y)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    labels = labels.astype(np.int64).reshape(-1)
    if len(labels) != len(xb):
        raise ValueError(f"report: x has {len(xb)} samples but y has {len(labels)}")
    methods = {"saliency": explain.saliency, "gradient_x_input": explain.gradient_x_input,
               "integrated_gradients": lambda m, a, t: explain.integrated_gradients(
                   m, a, t, n_steps=32, method="gausslegendre"),
               "smoothgrad": lambda m, a, t: explain.smoothgrad(
                   "saliency", m, a, t, nt_samples=8, stdevs=0.1, seed=0)}
    if method not in methods:
        raise ValueError(f"report: method must be one of {list(methods)}; got {method!r}")
    attribute = methods[method]
    out = np.asarray(model.predict(xb, verbose=0))
    if out.ndim != 2 or out.shape[1] < 2:
        raise ValueError(f"report: needs a classifier with one output per class; the model "
                         f"outputs shape {out.shape}")
    n_classes = out.shape[1]
    probs = _probabilities(out)
    pred = probs.argmax(axis=1)
    accuracy = float((pred == labels).mean())
    image_like = xb.ndim == 4 or xb.ndim == 3

    lines: list[str] = []
    model.summary(print_fn=lines.append)
    hist = history if history is not None else getattr(model, "history", None)
    hist_dict = getattr(hist, "history", hist)
    sections = [f"<h1>{html.escape(title)}</h1>",
                f"<p>{len(xb)} samples, {n_classes} classes, accuracy <b>{accuracy:.2%}</b>."
                "</p>",
                "<h2>Model</h2>", f"<pre>{html.escape(chr(10).join(lines))}</pre>",
                _diagram(model, xb)]

    sections.append("<h2>Learning curves</h2>")
    if isinstance(hist_dict, dict) and hist_dict:
        sections.append(_img(_png(plots.plot_history(hist_dict)), "learning curves"))
    else:
        sections.append("<p>No training history was given.</p>")

    sections.append("<h2>Training doctor</h2>")
    probe_n = min(len(xb), 256)
    findings = diagnose(hist_dict) if isinstance(hist_dict, dict) and hist_dict else []
    if model.compiled:  # what a Doctor saw in training, and a probe of the layers now
        findings = merge(findings + diagnose(model, xb[:probe_n], labels[:probe_n]))
    doctor = getattr(model, "doctor", None)
    if doctor is not None and doctor.records:
        sections.append(f"<pre>{html.escape(doctor.layer_table())}</pre>")
    if findings:
        for f in findings:
            sections.append(f'<div class="finding"><b>{html.escape(f.kind)}</b>: '
                            f'{html.escape(f.message)}<div class="fix">Fix: '
                            f'{html.escape(f.fix)}</div></div>')
    else:
        sections.append('<div class="ok">No problems found.</div>')

    sections += ["<h2>Confusion matrix</h2>", _confusion(labels, pred, n_classes)]

    wrong = np.flatnonzero(pred != labels)
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])][:worst]
    sections.append(f"<h2>Worst mistakes ({len(np.flatnonzero(pred != labels))} in all; "
                    f"{method} for the predicted class)</h2><div class=\"cards\">")
    for i in wrong:
        sections.append(_sample_card(
            model, xb[i], int(pred[i]), f"#{i}: true {labels[i]}, predicted {pred[i]} "
            f"({probs[i, pred[i]]:.0%})", attribute, image_like))
    sections.append("</div>" + ("" if len(wrong) else "<p>No mistakes.</p>"))

    sections.append("<h2>Examples of each class</h2><div class=\"cards\">")
    for c in range(n_classes):
        right = np.flatnonzero((labels == c) & (pred == c))[:per_class]
        for i in right:
            sections.append(_sample_card(model, xb[i], c, f"class {c} (#{i}, "
                                         f"{probs[i, c]:.0%})", attribute, image_like))
    sections.append("</div>")

    sections.append(f'<p id="check" class="fix">{_CHECK}</p>')
    page = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(sections) + f"<script>{_SCRIPT}</script></body></html>")
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return target
