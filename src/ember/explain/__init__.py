"""``ember.explain``: why a network decides what it decides, and what goes wrong in training.

Attributions (the same numbers as Captum's on the same network): ``saliency``,
``gradient_x_input``, ``integrated_gradients``, ``smoothgrad``, ``occlusion``, ``grad_cam``,
``guided_backprop``, ``guided_grad_cam``. Inside the network: ``activations``,
``conv_filters``, ``maximize_activation``. The training doctor: ``diagnose`` (and the callback
``em.callbacks.Doctor``). A one-file HTML ``report``; ``plot_*`` helpers (the ``plot`` extra).

Example:
    >>> import numpy as np, ember as em
    >>> model = em.Sequential([em.layers.Dense(8, activation="relu"), em.layers.Dense(3)])
    >>> x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    >>> em.explain.saliency(model, x, target=[0, 1, 2, 0]).shape
    (4, 5)
"""

from ember.explain.attributions import (
    gradient_x_input,
    integrated_gradients,
    saliency,
    smoothgrad,
)
from ember.explain.gradcam import grad_cam, guided_backprop, guided_grad_cam, upsample
from ember.explain.inside import activations, conv_filters, maximize_activation
from ember.explain.occlusion import occlusion

_LAZY = {
    "diagnose": "ember.explain.doctor", "Finding": "ember.explain.findings",
    "report": "ember.explain.html_report",
    "plot_attribution": "ember.explain.plots", "plot_feature_maps": "ember.explain.plots",
    "plot_filters": "ember.explain.plots", "plot_decision_boundary": "ember.explain.plots",
    "plot_history": "ember.explain.plots",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ember.explain' has no attribute {name!r}")


__all__ = [
    "activations", "conv_filters", "diagnose", "Finding", "grad_cam", "gradient_x_input",
    "guided_backprop", "guided_grad_cam", "integrated_gradients", "maximize_activation",
    "occlusion", "plot_attribution", "plot_decision_boundary", "plot_feature_maps",
    "plot_filters", "plot_history", "report", "saliency", "smoothgrad", "upsample",
]
