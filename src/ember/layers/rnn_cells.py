"""Recurrent cells, Keras 3's: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` and
``StackedRNNCells``; ``layers.RNN`` runs one over a sequence.

A cell computes one time step: ``output, new_states = cell(x_t, states)`` with ``states`` a
list (one (batch, n) tensor per entry of ``cell.state_size``). Weights and gate orders are
those of ``SimpleRNN`` / ``LSTM`` / ``GRU`` (and of Keras): kernel (features, gates * units),
recurrent_kernel (units, gates * units), bias. Any layer with a ``state_size`` and such a
``call`` is a cell too (see ``layers.RNN``).

Dropout: ``RNN`` draws a cell's input and recurrent dropout masks once per sequence, as Keras;
a cell called on its own draws them on every training call.

Example:
    >>> import ember as em
    >>> cell = em.layers.LSTMCell(4)
    >>> out, (h, c) = cell(em.ones((2, 3)), [em.zeros((2, 4)), em.zeros((2, 4))])
    >>> out.shape, cell.state_size, cell.kernel.shape
    ((2, 4), [4, 4], (3, 16))
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, wrap_array
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.layer_call import CALL_TAKES_TRAINING, call_arguments
from ember.layers.rnn_base import lstm_bias_initializer, set_recurrent_options
from ember.ops.matmul import matmul
from ember.ops.shape import getitem
from ember.serialization import register

_ALL = slice(None)


def _cols(t: Tensor, start: int, stop: int) -> Tensor:
    return getitem(t, (_ALL, slice(start, stop)))


def _as_list(states: Any) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


class _Cell(Layer):
    """What the three built-in cells share: arguments, weights, dropout masks, config."""

    _gates = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        who = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"{who}: units must be a positive integer; got {units!r}")
        set_recurrent_options(
            self, who, units, activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed)
        object.__setattr__(self, "_masks", None)  # (input, recurrent) while an RNN runs

    @property
    def state_size(self) -> Any:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: tuple) -> None:
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of input "
                             f"features must be known; got {tuple(input_shape)}")
        cols = self._gates * self.units
        self.kernel = self.add_weight("kernel", (int(input_shape[-1]), cols),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, cols), self.recurrent_initializer,
            self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = self.add_weight("bias", self._bias_shape(), self._bias_init(),
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def get_initial_state(self, batch_size: int) -> list:
        xp = backend.xp_of(self.kernel.data) if self.built else backend.numpy_module()
        sizes = _as_list(self.state_size)
        return [wrap_array(xp.zeros((batch_size, n), dtype=self.dtype)) for n in sizes]

    # ------------------------------------------------------------------ dropout
    def _draw(self, shape: tuple, rate: float, like: Tensor) -> Tensor | None:
        if rate <= 0:
            return None
        xp = backend.xp_of(like.data)
        keep = backend.rng(xp).random(shape, dtype="float32") >= rate
        return wrap_array(keep.astype(like.data.dtype) * (1.0 / (1.0 - rate)))

    def start_sequence(self, x_t: Tensor, states: Any, training: Any) -> None:
        """Draw this sequence's dropout masks (``RNN`` calls it before the first step)."""
        h = _as_list(states)[0]
        masks = (self._draw(tuple(x_t.shape), self.dropout, x_t),
                 self._draw(tuple(h.shape), self.recurrent_dropout, h)) if training else None
        object.__setattr__(self, "_masks", masks)

    def end_sequence(self) -> None:
        object.__setattr__(self, "_masks", None)

    def _dropped(self, x: Tensor, h: Tensor, training: Any) -> tuple:
        if not training:
            return x, h
        masks = self._masks
        if masks is None:
            masks = (self._draw(tuple(x.shape), self.dropout, x),
                     self._draw(tuple(h.shape), self.recurrent_dropout, h))
        dx, dh = masks
        return (x if dx is None else x * dx), (h if dh is None else h * dh)

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "units": self.units, "activation": s(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": s(self.kernel_initializer),
                "recurrent_initializer": s(self.recurrent_initializer),
                "bias_initializer": s(self.bias_initializer),
                "kernel_regularizer": s(self.kernel_regularizer),
                "recurrent_regularizer": s(self.recurrent_regularizer),
                "bias_regularizer": s(self.bias_regularizer),
                "kernel_constraint": s(self.kernel_constraint),
                "recurrent_constraint": s(self.recurrent_constraint),
                "bias_constraint": s(self.bias_constraint), "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


@register()
class SimpleRNNCell(_Cell):
    """One step of ``SimpleRNN``: ``h = activation(x @ kernel + h @ recurrent_kernel + b)``."""

    def call(self, inputs: Tensor, states: Any, training: Any = None) -> tuple:
        h = _as_list(states)[0]
        x, hm = self._dropped(inputs, h, training)
        z = matmul(x, self.kernel)
        if self.bias is not None:
            z = z + self.bias
        out = self.activation(z + matmul(hm, self.recurrent_kernel))
        return out, ([out] if isinstance(states, (list, tuple)) else out)


@register()
class LSTMCell(_Cell):
    """One step of ``LSTM`` (gate order i, f, c, o); ``state_size`` is [units, units]."""

    _gates = 4

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = _config.get_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self) -> list:
        return [self.units, self.units]

    def _bias_init(self) -> Any:
        return lstm_bias_initializer(self.bias_initializer, self.units, self.unit_forget_bias)

    def call(self, inputs: Tensor, states: Any, training: Any = None) -> tuple:
        h, c = _as_list(states)
        x, hm = self._dropped(inputs, h, training)
        U, ract = self.units, self.recurrent_activation
        z = matmul(x, self.kernel) + matmul(hm, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        i, f = ract(_cols(z, 0, U)), ract(_cols(z, U, 2 * U))
        g, o = self.activation(_cols(z, 2 * U, 3 * U)), ract(_cols(z, 3 * U, 4 * U))
        c = f * c + i * g
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": _config.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


@register()
class GRUCell(_Cell):
    """One step of ``GRU`` (gate order z, r, h; ``reset_after=True`` by default, with a
    (2, 3 * units) bias)."""

    _gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = _config.get_activation(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs: Tensor, states: Any, training: Any = None) -> tuple:
        h = _as_list(states)[0]
        x, hm = self._dropped(inputs, h, training)
        U, R, ract = self.units, self.recurrent_kernel, self.recurrent_activation
        xw = matmul(x, self.kernel)
        if self.bias is not None:
            xw = xw + (getitem(self.bias, 0) if self.reset_after else self.bias)
        if self.reset_after:
            rh = matmul(hm, R)
            if self.bias is not None:
                rh = rh + getitem(self.bias, 1)
            z = ract(_cols(xw, 0, U) + _cols(rh, 0, U))
            r = ract(_cols(xw, U, 2 * U) + _cols(rh, U, 2 * U))
            hh = self.activation(_cols(xw, 2 * U, 3 * U) + r * _cols(rh, 2 * U, 3 * U))
        else:
            zr = matmul(hm, _cols(R, 0, 2 * U))
            z = ract(_cols(xw, 0, U) + _cols(zr, 0, U))
            r = ract(_cols(xw, U, 2 * U) + _cols(zr, U, 2 * U))
            hh = self.activation(_cols(xw, 2 * U, 3 * U)
                                 + matmul(r * hm, _cols(R, 2 * U, 3 * U)))
        out = z * h + (1 - z) * hh
        return out, ([out] if isinstance(states, (list, tuple)) else out)

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": _config.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


def cell_output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return int(size)
    state = cell.state_size
    return int(state[0] if isinstance(state, (list, tuple)) else state)


def call_cell(cell: Any, x: Tensor, states: Any, training: Any) -> tuple:
    """``cell(x, states)``, with ``training=`` where the cell's call takes it."""
    if isinstance(cell, Layer) and call_arguments(type(cell)) & CALL_TAKES_TRAINING:
        return cell(x, states, training=training)
    return cell(x, states)


@register()
class StackedRNNCells(Layer):
    """Cells run one above the other in each step (the output of one is the next one's
    input); ``state_size`` lists each cell's."""

    def __init__(self, cells: list, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs a call method and a "
                                 f"state_size; got {cell!r}")
        self.cells = cells

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        return cell_output_size(self.cells[-1])

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_from_shape(shape)
            shape = (shape[0], cell_output_size(cell))

    def get_initial_state(self, batch_size: int) -> list:
        out = []
        for cell in self.cells:
            init = getattr(cell, "get_initial_state", None)
            if init is not None:
                states = init(batch_size)
            else:
                zeros = backend.numpy_module().zeros
                states = [wrap_array(zeros((batch_size, n), dtype=self.dtype))
                          for n in _as_list(cell.state_size)]
            out.append(states if isinstance(cell.state_size, (list, tuple)) else states[0])
        return out

    def start_sequence(self, x_t: Tensor, states: Any, training: Any) -> None:
        for cell, s in zip(self.cells, states):
            if hasattr(cell, "start_sequence"):
                cell.start_sequence(x_t, s, training)
            x_t = wrap_array(backend.xp_of(x_t.data).zeros(
                (x_t.shape[0], cell_output_size(cell)), dtype=x_t.data.dtype))

    def end_sequence(self) -> None:
        for cell in self.cells:
            if hasattr(cell, "end_sequence"):
                cell.end_sequence()

    def call(self, inputs: Tensor, states: Any, training: Any = None) -> tuple:
        new_states = []
        for cell, s in zip(self.cells, states):
            is_list = isinstance(s, (list, tuple))
            inputs, s = call_cell(cell, inputs, list(s) if is_list else [s], training)
            s = _as_list(s)
            new_states.append(s if is_list else s[0])
        return inputs, new_states

    def get_config(self) -> dict:
        from ember import serialization

        return {**super().get_config(),
                "cells": [serialization.serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config: dict) -> StackedRNNCells:
        from ember import serialization

        config = dict(config)
        cells = [serialization.deserialize(c) for c in config.pop("cells")]
        return cls(cells, **config)
