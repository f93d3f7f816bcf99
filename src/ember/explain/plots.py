"""Pictures of what ``ember.explain`` computes (matplotlib, the ``plot`` extra): an attribution
map over its image, feature maps, convolution filters, a 2-D classifier's decision boundary and
the learning curves. Each returns the matplotlib ``Figure`` (draw on ``ax`` to place it)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - the extra is installed where tests run
        raise ImportError("ember.explain's plots need matplotlib: pip install 'ember[plot]'") \
            from None
    return plt


def _axes(ax: Any, figsize: tuple) -> tuple:
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _grid(n: int, figsize_per: float = 1.4, cols: int | None = None) -> tuple:
    plt = _pyplot()
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * figsize_per, rows * figsize_per),
                             squeeze=False)
    for a in axes.ravel():
        a.axis("off")
    return fig, axes.ravel()


def _image(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    lo, hi = float(img.min()), float(img.max())
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


def plot_attribution(image: Any, attribution: Any, ax: Any = None, cmap: str = "RdBu_r",
                     alpha: float = 0.6, title: str | None = None) -> Any:
    """One attribution map over its image: the image in grey, the map (summed over channels)
    on top, centred on 0 — red where it raises the score, blue where it lowers it (a map with
    no negative values, such as absolute saliency, in shades of red from 0).

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, ember as em
        >>> fig = em.explain.plot_attribution(np.ones((8, 8, 1)), np.eye(8)[..., None])
        >>> len(fig.axes)
        1
    """
    fig, ax = _axes(ax, (3, 3))
    attr = np.asarray(attribution, dtype=np.float64)
    if attr.ndim == 3:
        attr = attr.sum(axis=-1)
    ax.imshow(_image(image), cmap="gray")
    limit = float(np.abs(attr).max()) or 1.0
    if attr.min() >= 0:
        ax.imshow(attr, cmap="Reds", vmin=0, vmax=limit, alpha=alpha)
    else:
        ax.imshow(attr, cmap=cmap, vmin=-limit, vmax=limit, alpha=alpha)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_feature_maps(maps: Any, max_maps: int = 16, title: str | None = None) -> Any:
    """The channels of one sample's (H, W, C) feature maps (or the first sample of a batch),
    each in its own panel.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, ember as em
        >>> fig = em.explain.plot_feature_maps(np.random.default_rng(0).random((6, 6, 4)))
        >>> sum(a.has_data() for a in fig.axes)
        4
    """
    maps = np.asarray(maps)
    if maps.ndim == 4:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"plot_feature_maps: expected (H, W, C) maps; got shape {maps.shape}")
    n = min(maps.shape[-1], max_maps)
    fig, axes = _grid(n)
    for c in range(n):
        axes[c].imshow(maps[..., c], cmap="viridis")
        axes[c].set_title(str(c), fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def plot_filters(filters: Any, max_filters: int = 32, title: str | None = None) -> Any:
    """Convolution filters as ``em.explain.conv_filters`` returns them (F, kh, kw, C): one
    panel each (the mean over input channels when there are several), on a shared colour scale.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, ember as em
        >>> fig = em.explain.plot_filters(np.random.default_rng(0).normal(size=(4, 3, 3, 1)))
        >>> sum(a.has_data() for a in fig.axes)
        4
    """
    f = np.asarray(filters)
    if f.ndim != 4:
        raise ValueError(f"plot_filters: expected filters (F, kh, kw, C); got shape {f.shape}")
    f = f.mean(axis=-1)
    n = min(len(f), max_filters)
    limit = float(np.abs(f[:n]).max()) or 1.0
    fig, axes = _grid(n, 1.0)
    for i in range(n):
        axes[i].imshow(f[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
    if title:
        fig.suptitle(title)
    return fig


def plot_decision_boundary(model: Any, x: Any, y: Any, resolution: int = 200, ax: Any = None,
                           margin: float = 0.5) -> Any:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, ember as em
        >>> model = em.Sequential([em.Input((2,)), em.layers.Dense(2)])
        >>> x = np.random.default_rng(0).normal(size=(20, 2)).astype("float32")
        >>> fig = em.explain.plot_decision_boundary(model, x, (x[:, 0] > 0).astype(int), 50)
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: needs 2-D points (N, 2); got {x.shape}")
    fig, ax = _axes(ax, (4, 4))
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    out = np.asarray(model.predict(grid, verbose=0, batch_size=4096))
    if out.ndim == 2 and out.shape[1] > 1:
        cls = out.argmax(axis=1)
    else:  # one output: a probability (or a logit) of class 1
        flat = out.reshape(-1)
        cls = (flat > (0.5 if flat.min() >= 0 and flat.max() <= 1 else 0.0)).astype(int)
    ax.contourf(gx, gy, cls.reshape(gx.shape), alpha=0.3, cmap="tab10",
                levels=np.arange(cls.max() + 2) - 0.5)
    ax.scatter(x[:, 0], x[:, 1], c=np.asarray(y).reshape(-1), cmap="tab10", s=12,
               edgecolors="k", linewidths=0.3, vmin=0, vmax=9)
    return fig


def plot_history(history: Any, ax: Any = None) -> Any:
    """Learning curves: every logged metric against the epoch, validation dashed, one panel for
    losses and one for the rest.

    Example:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import ember as em
        >>> fig = em.explain.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist:
        raise ValueError("plot_history: expected a History or its non-empty .history dict")
    plt = _pyplot()
    losses = [k for k in hist if k.endswith("loss")]
    others = [k for k in hist if k not in losses]
    fig, axes = plt.subplots(1, 2 if others else 1, figsize=(8 if others else 4, 3),
                             squeeze=False)
    for panel, keys in zip(axes[0], [losses, others]):
        for k in keys:
            epochs = np.arange(1, len(hist[k]) + 1)
            panel.plot(epochs, hist[k], "--" if k.startswith("val_") else "-", label=k)
        panel.set_xlabel("epoch")
        panel.legend(fontsize=8)
    return fig
