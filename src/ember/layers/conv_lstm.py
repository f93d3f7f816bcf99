"""ConvLSTM1D and ConvLSTM2D: an LSTM whose gates are convolutions (Shi et al., 2015), for
sequences of images (``(batch, time, height, width, channels)``) or of 1-D signals
(``(batch, time, steps, channels)``), with Keras 3's arguments and weight layout.

Each step computes the four gates i, f, c, o at once as one convolution of the input frame
(the layer's ``strides``, ``padding``, ``dilation_rate``, plus the bias) and one "same"
convolution of the previous hidden state, then the LSTM update
``c = f * c + i * act(x_c + h_c)``, ``h = o * act(c)``. The weights are Keras':
``kernel`` (k..., channels, 4 * filters), ``recurrent_kernel`` (k..., filters, 4 * filters),
``bias`` (4 * filters,), gate order i, f, c, o. The recurrence is composed of ember ops, so
autograd gives its gradient (there is no fused kernel for it).

Example:
    >>> import numpy as np, ember as em
    >>> layer = em.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((2, 5, 8, 8, 1), "float32")).shape
    (2, 5, 8, 8, 4)
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, wrap_array
from ember.layers import _config
from ember.layers.base import Layer
from ember.layers.convolutional import _conv_size, _tuple
from ember.layers.rnn_base import lstm_bias_initializer, set_recurrent_options
from ember.ops import conv as conv_ops
from ember.ops.elementwise import where
from ember.ops.shape import getitem, reshape, split, stack, transpose
from ember.serialization import register


class _ConvLSTM(Layer):
    rank = 2
    _recurrent = True  # its kernels are reused at every timestep (see ember.blas)

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{who}: filters must be a positive integer; got {filters!r}")
        set_recurrent_options(self, who, filters, activation, use_bias, kernel_initializer,
                              recurrent_initializer, bias_initializer, kernel_regularizer,
                              recurrent_regularizer, bias_regularizer, kernel_constraint,
                              recurrent_constraint, bias_constraint, dropout,
                              recurrent_dropout, seed)
        self.filters = filters
        self.recurrent_activation = _config.get_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        n = self.rank
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", who)
        self.strides = _tuple(strides, n, "strides", who)
        self.dilation_rate = _tuple(dilation_rate, n, "dilation_rate", who)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{who}: padding must be 'valid' or 'same'; got {padding!r}")
        fmt = "channels_last" if data_format is None else str(data_format).lower()
        if fmt not in ("channels_last", "channels_first"):
            raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first'; "
                             f"got {data_format!r}")
        self.data_format = fmt
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        object.__setattr__(self, "_state_arrays", None)
        self._rng = None if seed is None else backend.numpy_module().random.default_rng(seed)
        self.supports_masking = True

    # ------------------------------------------------------------------ shapes
    def _frame_shape(self, input_shape: tuple) -> tuple:
        """(spatial..., channels) of one input frame, channels last."""
        frame = tuple(input_shape[2:])
        return frame[1:] + frame[:1] if self.data_format == "channels_first" else frame

    def _state_spatial(self, spatial: tuple) -> tuple:
        return tuple(_conv_size(s, k, st, d, self.padding) for s, k, st, d in
                     zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != self.rank + 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank "
                             f"{self.rank + 3} (batch, time, {self.rank} spatial axes, "
                             f"channels); got shape {tuple(input_shape)}")
        channels = self._frame_shape(input_shape)[-1]
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of channels "
                             f"must be known; got input shape {tuple(input_shape)}")
        f4 = 4 * self.filters
        self.kernel = self.add_weight("kernel", self.kernel_size + (int(channels), f4),
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", self.kernel_size + (self.filters, f4),
            self.recurrent_initializer, self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        self.bias = self.add_weight(
            "bias", (f4,), lstm_bias_initializer(self.bias_initializer, self.filters,
                                                 self.unit_forget_bias),
            self.bias_regularizer, constraint=self.bias_constraint) if self.use_bias else None

    def compute_output_shape(self, input_shape: tuple) -> Any:
        frame = self._frame_shape(input_shape)
        state = self._state_spatial(frame[:-1]) + (self.filters,)
        if self.data_format == "channels_first":
            state = state[-1:] + state[:-1]
        out = (input_shape[0], input_shape[1]) + state if self.return_sequences else \
            (input_shape[0],) + state
        if self.return_state:
            return [out, (input_shape[0],) + state, (input_shape[0],) + state]
        return out

    # ------------------------------------------------------------------ the recurrence
    def _conv(self, x: Tensor, kernel: Tensor, bias: Any, strides: tuple, padding: str,
              dilation: tuple) -> Tensor:
        if self.rank == 2:
            return conv_ops.conv2d(x, kernel, bias, strides, padding, dilation)
        # 1-D: a height-1 image through the 2-D convolution
        x4 = reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
        k4 = reshape(kernel, (1,) + tuple(kernel.shape))
        y = conv_ops.conv2d(x4, k4, bias, (1,) + strides, padding, (1,) + dilation)
        return reshape(y, (y.shape[0],) + tuple(y.shape[2:]))

    def _dropout(self, shape: tuple, rate: float, xp: Any, dtype: Any) -> Tensor:
        rng = self._rng or backend.rng(xp)
        keep = xp.asarray(rng.random(shape, dtype="float32") >= rate)
        return wrap_array(keep.astype(dtype) * (1.0 / (1.0 - rate)))

    def call(self, inputs: Tensor, initial_state: Any = None, mask: Any = None,
             training: Any = None) -> Any:
        who = f"{type(self).__name__} '{self.name}'"
        if inputs.ndim != self.rank + 3:
            raise ValueError(f"{who} expects inputs of rank {self.rank + 3}; got shape "
                             f"{tuple(inputs.shape)}")
        x = inputs
        if self.data_format == "channels_first":  # (B, T, C, ...) -> (B, T, ..., C)
            x = transpose(x, (0, 1) + tuple(range(3, x.ndim)) + (2,))
        B, T = x.shape[0], x.shape[1]
        xp = backend.xp_of(x.data)
        dt = self.kernel.data.dtype
        spatial = self._state_spatial(tuple(x.shape[2:-1]))
        state_shape = (B,) + spatial + (self.filters,)
        if initial_state is None and self.stateful:
            if self._state_arrays is None or self._state_arrays[0].shape != state_shape:
                object.__setattr__(self, "_state_arrays",
                                   [xp.zeros(state_shape, dt), xp.zeros(state_shape, dt)])
            initial_state = [wrap_array(a.copy()) for a in self._state_arrays]
        if initial_state is None:
            h = c = wrap_array(xp.zeros(state_shape, dtype=dt))
        else:
            h, c = (s if isinstance(s, Tensor) else as_tensor(s, self.kernel)
                    for s in initial_state)
            if tuple(h.shape) != state_shape or tuple(c.shape) != state_shape:
                raise ValueError(f"{who}: initial_state must be two tensors of shape "
                                 f"{state_shape}; got {tuple(h.shape)}, {tuple(c.shape)}")
        frame = tuple(x.shape[:1]) + tuple(x.shape[2:])
        x_keep = self._dropout(frame, self.dropout, xp, dt) \
            if training and self.dropout > 0 else None
        h_keep = self._dropout(state_shape, self.recurrent_dropout, xp, dt) \
            if training and self.recurrent_dropout > 0 else None
        m = None if mask is None else (mask.data if isinstance(mask, Tensor) else
                                       xp.asarray(mask)).astype(bool)
        act, ract = self.activation, self.recurrent_activation
        outs = []
        steps = range(T - 1, -1, -1) if self.go_backwards else range(T)
        for t in steps:
            xt = getitem(x, (slice(None), t))
            if x_keep is not None:
                xt = xt * x_keep
            hin = h if h_keep is None else h * h_keep
            z = self._conv(xt, self.kernel, self.bias, self.strides, self.padding,
                           self.dilation_rate) + \
                self._conv(hin, self.recurrent_kernel, None, (1,) * self.rank, "same",
                           (1,) * self.rank)
            zi, zf, zc, zo = split(z, 4, axis=-1)
            c_new = ract(zf) * c + ract(zi) * act(zc)
            h_new = ract(zo) * act(c_new)
            if m is not None:
                keep = m[:, t].reshape((B,) + (1,) * (self.rank + 1))
                h_new, c_new = where(keep, h_new, h), where(keep, c_new, c)
            h, c = h_new, c_new
            if self.return_sequences:
                outs.append(h)
        if self.stateful:  # the next call starts here (detached: truncated BPTT)
            self._state_arrays[0][...] = h.data
            self._state_arrays[1][...] = c.data
        out = stack(outs, axis=1) if self.return_sequences else h
        if self.data_format == "channels_first":
            last = out.ndim - 1
            lead = (0, 1) if self.return_sequences else (0,)
            out = transpose(out, lead + (last,) + tuple(range(len(lead), last)))
        return [out, h, c] if self.return_state else out

    def reset_states(self) -> None:
        """Zero the carried states of a stateful layer (Keras' ``reset_states``)."""
        for a in self._state_arrays or ():
            a[...] = 0

    reset_state = reset_states

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate),
                "activation": _config.serialize(self.activation),
                "recurrent_activation": _config.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": _config.serialize(self.kernel_initializer),
                "recurrent_initializer": _config.serialize(self.recurrent_initializer),
                "bias_initializer": _config.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": _config.serialize(self.kernel_regularizer),
                "recurrent_regularizer": _config.serialize(self.recurrent_regularizer),
                "bias_regularizer": _config.serialize(self.bias_regularizer),
                "kernel_constraint": _config.serialize(self.kernel_constraint),
                "recurrent_constraint": _config.serialize(self.recurrent_constraint),
                "bias_constraint": _config.serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful}


@register()
class ConvLSTM2D(_ConvLSTM):
    """ConvLSTM over sequences of images ``(batch, time, height, width, channels)``."""

    rank = 2


@register()
class ConvLSTM1D(_ConvLSTM):
    """ConvLSTM over sequences of 1-D signals ``(batch, time, steps, channels)``."""

    rank = 1
