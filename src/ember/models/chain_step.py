"""Which models run as one captured kernel (``ember.kernels.dense_chain``), and the trainer's
and ``predict``'s side of it.

A plain ``Sequential``, or a functional ``Model`` whose graph is one chain, of Flatten
(leading), Dense (relu or linear hidden layers; a softmax, linear or relu last one) and
Dropout layers (in training, one after a hidden Dense layer, drawing its mask from the same
generator in the same order as the layer) qualifies, when
no layer has a regularizer, a constraint, a mixed-precision policy, a forced train/eval mode
or a ``call`` replaced on the instance. Training also needs the loss to be
``sparse_categorical_crossentropy`` or ``categorical_crossentropy`` (any label smoothing) on
the last layer's logits (a softmax the trainer holds back, or ``from_logits=True`` after a
linear layer) with its default reduction, one output, no loss weight and no
LossScaleOptimizer; the trainer's NaN guard, optimizer, metrics and callbacks
run as they do for any model. ``em.kernels.reference("dense_chain")`` turns it off.

Example:
    >>> import ember as em
    >>> model = em.Sequential([em.layers.Input(shape=(4,)), em.layers.Dense(3)])
    >>> plan(model) is not None, plan(em.Sequential([em.layers.Input(shape=(4,)),
    ...                                          em.layers.Dense(3, "tanh")])) is None
    (True, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember import backend
from ember.autograd.tensor import wrap_array
from ember.kernels.registry import fast
from ember.layers.core import Dense, Dropout, Flatten
from ember.layers.symbolic import SymbolicTensor
from ember.losses.classes import _DEFAULT, CategoricalCrossentropy, SparseCategoricalCrossentropy
from ember.ops.activation_names import name_of

_FLOATS = (np.dtype("float32"), np.dtype("float64"))
_LAST_IN_PREDICT = ("linear", "relu", "softmax")


class Captured:
    """A model's Dense layers and the kernel's plan for them."""

    def __init__(self, dense: list, chain: Any) -> None:
        self.dense = dense
        self.chain = chain

    def weights(self) -> list | None:
        """[(kernel, bias or None), ...] as arrays read from the layers now (``set_weights``
        between calls is seen), or None where the kernel does not take them."""
        weights = [(d.kernel.data, None if d.bias is None else d.bias.data) for d in self.dense]
        return weights if self.chain.usable(weights) else None


def _stack(model: Any) -> tuple[list, tuple] | None:
    """The model's layers in calling order and its input shape, for a plain Sequential or a
    functional Model whose graph is one chain (one input, one output, each layer called once,
    on the previous one's output); else None."""
    from ember.models.model import Model
    from ember.models.sequential import Sequential

    if not model.built:
        return None
    if type(model) is Sequential:
        shape = getattr(model, "_input_shape_known", None)
        return None if shape is None else (list(model._layers), tuple(shape))
    graph = getattr(model, "_graph", None)
    if type(model) is not Model or graph is None or len(graph.inputs) != 1 \
            or graph.input_struct is not graph.inputs[0] \
            or graph.output_struct is not graph.outputs[0]:
        return None
    prev, layers = graph.inputs[0], []
    for node in graph.nodes[1:]:
        if node.inputs is not prev or node.kwargs or len(node.outputs) != 1:
            return None
        layers.append(node.layer)
        prev = node.outputs[0]
    if prev is not graph.outputs[0] or len({id(la) for la in layers}) != len(layers) \
            or not isinstance(prev, SymbolicTensor):
        return None
    return layers, tuple(graph.inputs[0].shape)


def _dense_layers(model: Any, training: bool) -> tuple[list, list, tuple] | None:
    """The model's Dense layers, the dropout rate after each (training; 0 for none) and its
    input sample shape, when its layers are Flatten (leading), Dense and Dropout (in training
    one after a hidden Dense layer, without noise_shape or seed); else None."""
    found = _stack(model)
    if found is None:
        return None
    layers, shape = found
    if None in shape[1:]:
        return None
    dense: list = []
    rates: list = []
    for layer in layers:
        if "call" in layer.__dict__ or layer._compute_cast is not None \
                or layer.activity_regularizer is not None or layer._train_mode is not None:
            return None
        kind = type(layer)
        if kind is Flatten and not dense and (layer.data_format == "channels_last"
                                              or len(shape) <= 2):
            continue
        if kind is Dropout:
            if not training or layer.rate == 0.0:
                continue  # the identity
            if not dense or rates[-1] or layer.noise_shape is not None \
                    or layer.seed is not None:
                return None
            rates[-1] = layer.rate
            continue
        if kind is not Dense or any(getattr(layer, a, None) is not None for a in (
                "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                "bias_constraint")):
            return None
        dense.append(layer)
        rates.append(0.0)
    if not dense or rates[-1] or dense[0].kernel.shape[0] != math.prod(shape[1:]):
        return None
    return dense, rates, tuple(shape[1:])


def _sparse_ce_from_logits(loss: Any) -> bool:
    """Whether ``loss`` is SparseCategoricalCrossentropy(from_logits=True) with its defaults
    (the every-step case its ``__call__`` sends to the fused mean)."""
    return (type(loss) is SparseCategoricalCrossentropy and loss.from_logits
            and loss.ignore_class is None and loss.dtype is None
            and loss.reduction in (_DEFAULT, "mean")
            and loss._fn_kwargs.get("axis", -1) == -1)


def _loss_form(loss: Any, classes: int) -> dict | None:
    """The kernel's keyword arguments for the loss it reproduces (sparse cross-entropy, or
    categorical cross-entropy from logits through ``ops.mean``), or None."""
    if _sparse_ce_from_logits(loss):
        return {}
    kw = getattr(loss, "_fn_kwargs", {})
    if (type(loss) is CategoricalCrossentropy and kw.get("from_logits") and loss.dtype is None
            and loss.reduction in (_DEFAULT, "mean") and kw.get("axis", -1) == -1
            and classes > 1):  # one class: the loss warns that it is always 0
        return {"categorical": True, "label_smoothing": kw.get("label_smoothing", 0.0)}
    return None


def plan(model: Any, loss: Any = None, params: list | None = None,
         held_back: bool = False) -> Captured | None:
    """The captured plan for ``model``: for ``predict`` (``loss`` None) or for training with
    the trainer's ``loss`` and trainable ``params`` (``held_back``: the trainer takes the last
    layer's logits, its softmax held back); None where the kernel is off or the model or loss
    is not one it reproduces exactly."""
    make = fast("dense_chain")
    found = None if make is None else _dense_layers(model, training=loss is not None)
    if found is None:
        return None
    dense, rates, sample_shape = found
    dtype = dense[0].kernel.data.dtype
    names = [name_of(d.activation) for d in dense]
    if dtype not in _FLOATS or any(a not in ("relu", "linear") for a in names[:-1]):
        return None
    form: dict | None = {}
    if loss is None:
        if names[-1] not in _LAST_IN_PREDICT:
            return None
    else:  # the loss must see the last layer's pre-activation
        on_logits = names[-1] == "softmax" if held_back else names[-1] == "linear"
        ours = [w for d in dense for w in (d.kernel,) + (() if d.bias is None else (d.bias,))]
        form = _loss_form(loss, dense[-1].units)
        if not on_logits or form is None or params is None \
                or [id(p) for p in params] != [id(w) for w in ours] \
                or len(model.weights) != len(ours):
            return None
    chain = make([d.units for d in dense], [a == "relu" for a in names], names[-1],
                 sample_shape, dtype, rates, **form)
    captured = Captured(dense, chain)
    return captured if captured.weights() is not None else None


def for_predict(model: Any, batches: Any) -> tuple | None:
    """(plan, weights) for ``predict`` over one in-memory array, or None: the layers run."""
    from ember.models.data_adapter import ArrayBatches

    if not isinstance(batches, ArrayBatches) or len(batches.xs) != 1:
        return None
    captured = plan(model)
    if captured is None or not captured.chain.accepts(batches.xs[0]):
        return None
    weights = captured.weights()
    return None if weights is None else (captured.chain, weights)


class ChainStep:
    """The trainer's forward, loss and backward through the plan; resolved once per ``fit``
    (the trainer's ``invalidate``). ``captured`` is None where the layers run."""

    def __init__(self, trainer: Any) -> None:
        self.captured = None
        self.weights: list | None = None
        t = trainer
        if t._custom_loss or not t.has_loss or len(t.loss.fns) != 1 \
                or t.loss.weights != [1.0] or getattr(t.optimizer, "scale_loss", None) \
                or not t.model.built:
            return
        held = t._fused_outputs()[0] is not None
        loss = t._fused_fns[0] if held else t.loss.fns[0]
        self.captured = plan(t.model, loss, t.trainable_params(), held_back=held)

    def forward(self, xb: list, yb: list | None, sb: list | None) -> tuple | None:
        """(loss value, outputs, their probabilities or None) for the metrics of this batch,
        or None: the layers run."""
        captured = self.captured
        if captured is None or sb is not None or yb is None or len(xb) != 1 or len(yb) != 1:
            return None
        chain = captured.chain
        if not chain.accepts(xb[0]) or len(yb[0]) != len(xb[0]):
            return None
        labels = chain.labels(yb[0])
        weights = captured.weights()
        if labels is None or weights is None:
            return None
        self.weights = weights
        value, logits, probs = chain.forward(xb[0], labels, weights, backend.rng(np))
        return value, [wrap_array(logits)], None if probs is None else [wrap_array(probs)]

    def backward(self, params: list) -> None:
        """Each parameter's ``.grad`` from the last ``forward``."""
        for p, g in zip(params, self.captured.chain.backward(self.weights)):
            p.grad = wrap_array(g)
        self.weights = None
