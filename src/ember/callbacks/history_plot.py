"""``plot_history``: the learning curves of a ``fit`` run (``History`` or its dict), one panel
per metric with its ``val_`` twin on the same axes, on matplotlib (the ``plot`` extra).

Example::

    history = model.fit(x, y, validation_split=0.1, epochs=10)
    em.utils.plot_history(history, to_file="curves.png")   # or history.plot()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def plot_history(history: Any, metrics: Sequence[str] | None = None,
                 to_file: str | os.PathLike | None = None, figsize: tuple | None = None
                 ) -> Any:
    """A matplotlib Figure with one panel per metric (``loss``, ``accuracy``, ...; the
    ``val_`` curve drawn beside the training one). ``metrics`` picks and orders the panels;
    ``to_file`` also saves the figure. Returns the Figure."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history: expected a History (or its .history dict) with "
                         f"logged metrics; got {type(history).__name__}")
    names = [k for k in logs if not k.startswith("val_")]
    names += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in names]
    if metrics is not None:
        missing = [m for m in metrics if m not in names]
        if missing:
            raise ValueError(f"plot_history: no logs for {missing}; the history has "
                             f"{sorted(logs)}")
        names = list(metrics)
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_history needs matplotlib: pip install 'ember[plot]'") from None
    epochs_axis = getattr(history, "epoch", None)
    fig, axes = plt.subplots(1, len(names), figsize=figsize or (4.5 * len(names), 3.5),
                             squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in logs:
                values = [float(v) for v in logs[key]]
                xs = [e + 1 for e in epochs_axis] if epochs_axis and \
                    len(epochs_axis) == len(values) else list(range(1, len(values) + 1))
                ax.plot(xs, values, style, marker="o", markersize=3,
                        label="validation" if key.startswith("val_") else "training")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    if to_file is not None:
        fig.savefig(os.fspath(to_file))
    return fig
