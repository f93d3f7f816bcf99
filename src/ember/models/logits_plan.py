"""The (last activation, loss) pairs ``compile`` turns into one fused loss from logits.

A model output made by a layer whose activation is softmax (or sigmoid), trained with the
matching cross-entropy on probabilities, is computed more stably and faster from the logits:
``softmax_cross_entropy(logits, target)`` has no log(0) and its gradient is just
``softmax - target``. The pair is resolved once per compiled model: the trainer's forward pass
then takes that layer's logits (``ember.layers.output_logits``), calls the loss with
``from_logits=True``, and computes the probabilities only for the metrics that read them (none
at all without metrics). ``predict`` and plain calls still return probabilities.

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.layers.Input(shape=(4,)),
    ...                        em.layers.Dense(3, activation="softmax")])
    >>> model.compile(loss="sparse_categorical_crossentropy")
    >>> [(kind, twin.from_logits) for _, kind, twin in
    ...  filter(None, logits_plan(model, model._trainer.loss.fns))]
    [('softmax', True)]
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

from ember.autograd.mode import no_grad
from ember.ops.activation_names import name_of

# the cross-entropies that have a from-logits form, by the activation they undo
_MATCHING = {"softmax": ("categorical_crossentropy", "sparse_categorical_crossentropy"),
             "sigmoid": ("binary_crossentropy",)}


class FusedOutput(NamedTuple):
    """One output computed from its logits: the layer that makes it, the activation held
    back ("softmax" or "sigmoid") and the loss called with ``from_logits=True``."""

    layer: Any
    kind: str
    loss: Any


def _output_layers(model: Any) -> list:
    """The layer making each output, or None where it is unknown or called more than once
    (holding back a shared layer's activation would change its other uses)."""
    graph = getattr(model, "_graph", None)
    if graph is not None:
        layers = []
        for t in graph.outputs:
            layer = t.node.layer
            calls = sum(1 for node in graph.nodes if node.layer is layer)
            layers.append(layer if calls == 1 else None)
        return layers
    own = getattr(model, "_layers", None)  # a Sequential not built yet
    return [own[-1]] if own else [None]


def _innermost(layer: Any) -> Any:
    """A nested model's own output layer (a Sequential inside a Sequential), else the layer."""
    while layer is not None and hasattr(layer, "_trainer") and hasattr(layer, "layers"):
        inner = _output_layers(layer)
        if len(inner) != 1:
            return None
        layer = inner[0]
    return layer


def _logits_twin(loss: Any, kind: str) -> Any:
    """``loss`` called with ``from_logits=True``, when it is a cross-entropy matching ``kind``
    on probabilities (over the last axis); else None."""
    fn = getattr(loss, "fn", None)
    kwargs = getattr(loss, "_fn_kwargs", None)
    if fn is None or kwargs is None or getattr(fn, "__module__", "") != "ember.losses.functions":
        return None
    if fn.__name__ not in _MATCHING[kind] or kwargs.get("from_logits"):
        return None
    if kwargs.get("axis", -1) != -1:
        return None
    twin = copy.copy(loss)
    twin._fn_kwargs = {**kwargs, "from_logits": True}
    if hasattr(twin, "from_logits"):
        twin.from_logits = True
    return twin


def _crossentropy_of(fn: Any, kind: str) -> bool:
    return getattr(fn, "__name__", None) in _MATCHING[kind] and getattr(
        fn, "__module__", "") in ("ember.losses.functions", "ember.metrics.probabilistic")


def metric_from_logits(metric: Any, kind: str) -> Any:
    """A metric scoring the logits the same way ``metric`` scores probabilities, when it is a
    cross-entropy matching ``kind`` (so that it reports the loss' value); else None. The
    compiled model uses it in the metric's place."""
    from ember.losses.base import Loss
    from ember.metrics.base import MeanMetricWrapper, _FixedFn

    if not isinstance(metric, MeanMetricWrapper):
        return None
    fn, kwargs = metric._fn, metric._fn_kwargs
    if kwargs.get("from_logits") or kwargs.get("axis", -1) != -1:
        return None
    if isinstance(fn, Loss):
        twin = _logits_twin(fn, kind)
        return None if twin is None else MeanMetricWrapper(twin, name=metric.name,
                                                           dtype=metric.dtype, **kwargs)
    if not _crossentropy_of(fn, kind):
        return None
    if isinstance(metric, _FixedFn):
        return type(metric).from_config({**metric.get_config(), "from_logits": True})
    return MeanMetricWrapper(fn, name=metric.name, dtype=metric.dtype,
                             **{**kwargs, "from_logits": True})


def logits_plan(model: Any, losses: list) -> list:
    """One entry per output: a ``FusedOutput`` where the (activation, loss) pair fuses, else
    None."""
    layers = _output_layers(model)
    if len(layers) != len(losses):
        return [None] * len(losses)
    plan = []
    for layer, loss in zip(layers, losses):
        layer = _innermost(layer)
        # only a layer that applies activation_of(self) last can hand back its logits
        kind = name_of(layer.activation) if getattr(layer, "holds_back_activation", False) \
            else None
        twin = _logits_twin(loss, kind) if kind in _MATCHING and loss is not None else None
        plan.append(None if twin is None else FusedOutput(layer, kind, twin))
    return plan


def probabilities(kind: str, logits: Any) -> Any:
    """What the held-back activation would have returned (for the metrics), unrecorded."""
    from ember import ops

    with no_grad():
        probs = ops.softmax(logits, axis=-1) if kind == "softmax" else ops.sigmoid(logits)
    probs._mask = getattr(logits, "_mask", None)
    return probs
