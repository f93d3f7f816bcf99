"""Recurrent layers: SimpleRNN, LSTM and GRU, with Keras 3's arguments and weight layouts.

Weights (``get_weights()`` order kernel, recurrent_kernel, bias) load into Keras unchanged:
SimpleRNN kernel (F, U); LSTM kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U,) in gate
order i, f, c, o; GRU kernel (F, 3U) in gate order z, r, h, with a (2, 3U) bias (input row,
recurrent row) for ``reset_after=True`` (the default) or (3U,) otherwise.

Example:
    >>> import ember as em
    >>> lstm = em.layers.LSTM(8, return_sequences=True, return_state=True)
    >>> out, h, c = lstm(em.randn(4, 10, 3))
    >>> out.shape, h.shape, c.shape, lstm.kernel.shape
    ((4, 10, 8), (4, 8), (4, 8), (3, 32))
"""

from __future__ import annotations

from typing import Any

from ember.autograd.tensor import Tensor
from ember.layers import _config
from ember.layers.rnn_base import RNNBase, lstm_bias_initializer
from ember.ops.matmul import matmul
from ember.ops.recurrent import gru, lstm, simple_rnn
from ember.ops.shape import getitem
from ember.serialization import register

_ALL = slice(None)


def _cols(t: Tensor, start: int, stop: int) -> Tensor:
    return getitem(t, (_ALL, slice(start, stop)))


@register()
class SimpleRNN(RNNBase):
    """Fully connected recurrence: ``h[t] = activation(x[t] @ kernel + h[t-1] @
    recurrent_kernel + bias)``; the output is h."""

    # Every argument is RNNBase's (Keras' SimpleRNN arguments): no __init__ of its own.

    def _fused(self, x: Tensor, states: Any, mask: Any, rmask: Any) -> Any:
        (act,) = self._fused_names()
        return simple_rnn(x, self.kernel, self.recurrent_kernel, self.bias, states,
                          activation=act, **self._fused_kwargs(mask, rmask))

    def _step(self, xw_t: Tensor, states: list, rmask: Tensor | None) -> list:
        h = states[0]
        hm = h if rmask is None else h * rmask
        return [self.activation(xw_t + matmul(hm, self.recurrent_kernel))]


@register()
class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras' gate order i, f, c, o:

    ``i, f, o = recurrent_activation(.)``, ``g = activation(.)``, ``c = f * c + i * g``,
    ``h = o * activation(c)``. ``unit_forget_bias`` starts the forget gate's bias at 1.
    """

    _gates = 4
    _n_states = 2

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True, *,
                 unit_forget_bias: bool = True, use_cudnn: Any = "auto", **kwargs: Any) -> None:
        # The other arguments (initializers, regularizers, dropout, return_sequences, ...)
        # are RNNBase's, passed through **kwargs.
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = _config.get_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.use_cudnn = use_cudnn  # accepted for Keras compatibility

    def _bias_init(self) -> Any:
        return lstm_bias_initializer(self.bias_initializer, self.units, self.unit_forget_bias)

    def _activations(self) -> tuple:
        return (self.activation, self.recurrent_activation)

    def _fused(self, x: Tensor, states: Any, mask: Any, rmask: Any) -> Any:
        act, ract = self._fused_names()
        return lstm(x, self.kernel, self.recurrent_kernel, self.bias, states, activation=act,
                    recurrent_activation=ract, **self._fused_kwargs(mask, rmask))

    def _step(self, xw_t: Tensor, states: list, rmask: Tensor | None) -> list:
        h, c = states
        U = self.units
        z = xw_t + matmul(h if rmask is None else h * rmask, self.recurrent_kernel)
        ract = self.recurrent_activation
        i, f = ract(_cols(z, 0, U)), ract(_cols(z, U, 2 * U))
        g, o = self.activation(_cols(z, 2 * U, 3 * U)), ract(_cols(z, 3 * U, 4 * U))
        c = f * c + i * g
        return [o * self.activation(c), c]

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": _config.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


@register()
class GRU(RNNBase):
    """Gated recurrent unit (Cho et al., 2014), Keras' gate order z, r, h:

    ``z, r = recurrent_activation(.)``, ``hh = activation(x Wh + r * (h Rh + b_rh))``
    (``reset_after=True``, Keras 3's default and PyTorch's convention) or
    ``activation(x Wh + (r * h) Rh + b_h)``; ``h = z * h + (1 - z) * hh``.
    """

    _gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True, *,
                 reset_after: bool = True, use_cudnn: Any = "auto", **kwargs: Any) -> None:
        # The other arguments are RNNBase's, passed through **kwargs.
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = _config.get_activation(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.use_cudnn = use_cudnn  # accepted for Keras compatibility

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _activations(self) -> tuple:
        return (self.activation, self.recurrent_activation)

    def _fused(self, x: Tensor, states: Any, mask: Any, rmask: Any) -> Any:
        act, ract = self._fused_names()
        return gru(x, self.kernel, self.recurrent_kernel, self.bias, states,
                   reset_after=self.reset_after, activation=act, recurrent_activation=ract,
                   **self._fused_kwargs(mask, rmask))

    def _project(self, x: Tensor) -> Tensor:
        xw = matmul(x, self.kernel)
        if self.bias is None:
            return xw
        return xw + (getitem(self.bias, 0) if self.reset_after else self.bias)

    def _step(self, xw_t: Tensor, states: list, rmask: Tensor | None) -> list:
        h = states[0]
        hm = h if rmask is None else h * rmask
        U, R, ract = self.units, self.recurrent_kernel, self.recurrent_activation
        if self.reset_after:
            rh = matmul(hm, R)
            if self.bias is not None:
                rh = rh + getitem(self.bias, 1)
            z = ract(_cols(xw_t, 0, U) + _cols(rh, 0, U))
            r = ract(_cols(xw_t, U, 2 * U) + _cols(rh, U, 2 * U))
            hh = self.activation(_cols(xw_t, 2 * U, 3 * U) + r * _cols(rh, 2 * U, 3 * U))
        else:
            zr = matmul(hm, _cols(R, 0, 2 * U))
            z = ract(_cols(xw_t, 0, U) + _cols(zr, 0, U))
            r = ract(_cols(xw_t, U, 2 * U) + _cols(zr, U, 2 * U))
            hh = self.activation(_cols(xw_t, 2 * U, 3 * U) + matmul(r * hm,
                                                                    _cols(R, 2 * U, 3 * U)))
        return [z * h + (1 - z) * hh]

    def get_config(self) -> dict:
        return {**super().get_config(),
                "recurrent_activation": _config.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}
