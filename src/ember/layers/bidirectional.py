"""``Bidirectional``: run a recurrent layer forwards and a copy of it backwards, then merge.

Example:
    >>> import ember as em
    >>> bi = em.layers.Bidirectional(em.layers.LSTM(8, return_sequences=True))
    >>> bi(em.randn(2, 5, 3)).shape
    (2, 5, 16)
"""

from __future__ import annotations

from typing import Any

from ember import serialization
from ember.autograd.tensor import Tensor
from ember.layers.base import Layer
from ember.layers.wrappers import Wrapper
from ember.ops.shape import concatenate, getitem
from ember.serialization import register

_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer: Layer, **changes: Any) -> Layer:
    """A fresh, unbuilt layer with ``layer``'s configuration (and ``changes``)."""
    config = serialization.serialize(layer)
    config["config"].update(changes)
    return serialization.deserialize(config)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


@register()
class Bidirectional(Wrapper):
    """Bidirectional wrapper for recurrent layers (Keras' arguments and semantics).

    The forward layer is a fresh copy of ``layer``; the backward one is ``backward_layer`` or
    another copy with ``go_backwards`` flipped (new weights, as in Keras). When returning
    sequences the backward outputs are flipped back to the input's time order, and masked
    steps output zeros (``zero_output_for_mask``) so that the two directions line up.
    ``merge_mode`` is "concat" (default), "sum", "mul", "ave" or None (a list of both
    outputs). ``return_state`` adds the forward states, then the backward ones; an
    ``initial_state`` list is split the same way. Weights: the forward layer's, then the
    backward layer's.
    """

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs: Any) -> None:
        if isinstance(layer, dict):
            layer = serialization.deserialize(layer)
        if isinstance(backward_layer, dict):
            backward_layer = serialization.deserialize(backward_layer)
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(f"Bidirectional: layer must be a recurrent layer (SimpleRNN, LSTM, "
                             f"GRU, ...); got {layer!r}")
        if merge_mode not in _MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {_MODES}; got "
                             f"{merge_mode!r}")
        # Layer's __init__, not Wrapper's: the wrapped layer is copied into forward_layer and
        # backward_layer below, so the original is not tracked (its weights would be extra)
        Layer.__init__(self, **kwargs)
        if self._input_shape_arg is None and layer._input_shape_arg is not None:
            # Bidirectional(LSTM(8, input_shape=(28, 28))) as a model's first layer
            object.__setattr__(self, "_input_shape_arg", layer._input_shape_arg)
            object.__setattr__(self, "_batch_size_arg", layer._batch_size_arg)
        self.forward_layer = _copy(layer, name="forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy(layer, go_backwards=not layer.go_backwards,
                                   name="backward_" + _strip(layer.name, "backward_"))
        elif not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: backward_layer must be a layer; got "
                             f"{backward_layer!r}")
        self.backward_layer = backward_layer
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers need different "
                             f"go_backwards values; both have {fw.go_backwards}")
        for attr in ("return_sequences", "return_state"):
            if getattr(fw, attr) != getattr(bw, attr):
                raise ValueError(f"Bidirectional: the forward and backward layers need the same "
                                 f"{attr}; got {getattr(fw, attr)} and {getattr(bw, attr)}")
        for sub in (fw, bw):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = fw.return_sequences
        self.return_state = fw.return_state
        self.stateful = False
        self.supports_masking = True
        self._initial_weights = weights

    def build(self, input_shape: tuple) -> None:
        self.forward_layer._build_from_shape(tuple(input_shape))
        self.backward_layer._build_from_shape(tuple(input_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs: Tensor, initial_state: Any = None, mask: Any = None,
             training: Any = None) -> Any:
        f_state = b_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            f_state, b_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, initial_state=f_state, mask=mask, training=training)
        y_rev = self.backward_layer(inputs, initial_state=b_state, mask=mask, training=training)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            out: Any = concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if mask is not None and self.return_sequences:
            for t in out if isinstance(out, list) else [out]:
                t._mask = mask.data if isinstance(mask, Tensor) else mask
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out

    def compute_output_shape(self, input_shape: tuple) -> Any:
        shape = self.forward_layer.compute_output_shape(input_shape)
        state_shapes: list = []
        if self.return_state:
            shape, state_shapes = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (2 * shape[-1],)
        out = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return out + state_shapes * 2
        return out if self.merge_mode is None else shape

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return previous_mask if self.return_sequences else None

    def get_config(self) -> dict:
        return {**Layer.get_config(self), "merge_mode": self.merge_mode,
                "layer": serialization.serialize(self.forward_layer),
                "backward_layer": serialization.serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config: dict) -> Bidirectional:
        config = dict(config)
        layer = serialization.deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = serialization.deserialize(backward)
        return cls(layer, backward_layer=backward, **config)
