"""What SimpleRNN, LSTM and GRU share: arguments, weights, masks, dropout, states, config.

Inputs are (batch, timesteps, features); the time axis may differ from call to call. The
whole sequence runs as ONE recorded op (``ember.ops.recurrent``) when the activations have a
fused kernel ("tanh", "sigmoid", "relu", "linear"); any other activation runs step by step
with ordinary tensor ops (slower, and differentiable twice). Keras semantics throughout:

- a padding mask (``inputs._mask`` or ``mask=``; True for real steps) makes a masked step keep
  the previous state, and its output repeats the previous output;
- ``go_backwards`` reads the sequence from the end and returns the outputs in that order;
- ``dropout`` / ``recurrent_dropout`` masks are drawn once per call (the same for every step)
  and only when training;
- ``return_state`` returns ``[output, h]`` (``[output, h, c]`` for LSTM);
- ``stateful=True`` starts each call from the final states of the previous one (detached:
  truncated back-propagation through time) until ``reset_states()``; the batch size must
  stay the same.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, wrap_array
from ember.layers import _config
from ember.layers.base import Layer
from ember.ops.activation_names import name_of
from ember.ops.elementwise import where
from ember.ops.matmul import matmul
from ember.ops.recurrent import ACTIVATIONS
from ember.ops.shape import getitem, stack

_LAYOUT = "(batch, timesteps, features)"


def fused_activation_name(fn: Any) -> str | None:
    """The fused-kernel name of an activation function ("tanh", ...), or None."""
    name = name_of(fn)  # the activation's registered name, however it was spelled
    return name if name in ACTIVATIONS else None


def set_recurrent_options(layer: Any, who: str, units: int, activation: Any, use_bias: Any,
                          kernel_initializer: Any, recurrent_initializer: Any,
                          bias_initializer: Any, kernel_regularizer: Any,
                          recurrent_regularizer: Any, bias_regularizer: Any,
                          kernel_constraint: Any, recurrent_constraint: Any,
                          bias_constraint: Any, dropout: Any, recurrent_dropout: Any,
                          seed: Any) -> None:
    """The arguments a recurrent layer and a recurrent cell share, checked and resolved onto
    ``layer`` (one place for both, so a layer and its cell read their options the same way)."""
    for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"{who}: {name} must be in [0, 1); got {rate!r}")
    layer.units = units
    layer.activation = _config.get_activation(activation)
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = _config.get_initializer(kernel_initializer)
    layer.recurrent_initializer = _config.get_initializer(recurrent_initializer)
    layer.bias_initializer = _config.get_initializer(bias_initializer)
    layer.kernel_regularizer = _config.get_regularizer(kernel_regularizer)
    layer.recurrent_regularizer = _config.get_regularizer(recurrent_regularizer)
    layer.bias_regularizer = _config.get_regularizer(bias_regularizer)
    layer.kernel_constraint = _config.get_constraint(kernel_constraint)
    layer.recurrent_constraint = _config.get_constraint(recurrent_constraint)
    layer.bias_constraint = _config.get_constraint(bias_constraint)
    layer.dropout = float(dropout)
    layer.recurrent_dropout = float(recurrent_dropout)
    layer.seed = seed


def lstm_bias_initializer(init: Any, units: int, unit_forget_bias: bool) -> Any:
    """The LSTM bias initializer: ``init`` for the gates, with the forget gate's slice set
    to 1 when ``unit_forget_bias`` (Keras' default; Jozefowicz et al., 2015), shared by the
    LSTM layer and LSTMCell."""
    if not unit_forget_bias:
        return init

    def forget_bias_one(shape: tuple, dtype: Any = None) -> Any:
        np = backend.numpy_module()
        parts = [init((units,), dtype), np.ones((units,), dtype=dtype),
                 init((2 * units,), dtype)]
        return np.concatenate([backend.to_numpy(getattr(p, "data", p)) for p in parts])

    return forget_bias_one


class RNNBase(Layer):
    """Base class of the recurrent layers (not used directly): the one ``__init__`` that takes
    and checks Keras' recurrent arguments, shared by SimpleRNN, LSTM and GRU (which add only
    their own: ``recurrent_activation``, ``unit_forget_bias``, ``reset_after``)."""

    # the step reuses the kernels at every timestep: the trainer keeps BLAS threads (ember.blas)
    _recurrent = True

    _gates = 1       # blocks of ``units`` columns in the kernels
    _n_states = 1    # h (and c for LSTM)

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        kwargs.pop("implementation", None)  # Keras' choice of internal kernel: one here
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, int) and not (
                isinstance(units, float) and units.is_integer()) or units <= 0:
            raise ValueError(f"{who}: units must be a positive integer; got {units!r}")
        set_recurrent_options(
            self, who, int(units), activation, use_bias, kernel_initializer,
            recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed)
        self._seed_rng = None if seed is None else backend.numpy_module().random.default_rng(
            seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        object.__setattr__(self, "_state_arrays", None)  # stateful: carried, not weights
        self.unroll = bool(unroll)  # accepted for Keras compatibility; the loop is fused
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self._use_fused = True  # tests switch it off to check the step-by-step path

    # ------------------------------------------------------------------ weights
    def _bias_shape(self) -> tuple:
        return (self._gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: tuple) -> None:
        self._check_rank(SimpleNamespace(shape=tuple(input_shape)), 3, _LAYOUT)
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of features (the "
                             f"last axis) must be known; got input shape {tuple(input_shape)}")
        n_in, cols = int(input_shape[-1]), self._gates * self.units
        self.kernel = self.add_weight("kernel", (n_in, cols), self.kernel_initializer,
                                      self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, cols), self.recurrent_initializer,
            self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = self.add_weight("bias", self._bias_shape(), self._bias_init(),
                                    self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    # ------------------------------------------------------------------ call
    def call(self, inputs: Tensor, initial_state: Any = None, mask: Any = None,
             training: Any = None) -> Any:
        self._check_rank(inputs, 3, _LAYOUT)
        n_in = self.kernel.shape[0]
        if inputs.shape[-1] != n_in:
            raise ValueError(f"{type(self).__name__} '{self.name}' was built for inputs with "
                             f"{n_in} features; got {inputs.shape[-1]} (input shape "
                             f"{tuple(inputs.shape)})")
        B, T = inputs.shape[0], inputs.shape[1]
        if T == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': the input has no timesteps "
                             f"(shape {tuple(inputs.shape)})")
        xp = backend.xp_of(inputs.data)
        x = inputs
        if training and self.dropout > 0:
            keep = self._dropout_mask((B, n_in), self.dropout, xp)
            x = x * wrap_array(keep[:, None, :])
        rmask = self._dropout_mask((B, self.units), self.recurrent_dropout, xp) \
            if training and self.recurrent_dropout > 0 else None
        if initial_state is None and self.stateful:
            initial_state = self._carried(B, xp)
        states = self._initial_states(initial_state, B, xp)
        m = None
        if mask is not None:
            m = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
            if tuple(m.shape) != (B, T):
                raise ValueError(f"{type(self).__name__} '{self.name}': the mask must be "
                                 f"(batch, timesteps) = {(B, T)}; got {tuple(m.shape)}")
            m = m if m.dtype == bool else m != 0
        if self._use_fused and self._fused_names() is not None:
            result = self._fused(x, states, m, rmask)
        else:
            result = self._composed(x, states, m, rmask)
        if self.stateful:  # the final states start the next batch (detached: truncated BPTT)
            for a, st in zip(self._state_arrays, list(result)[1:]):
                a[...] = st.data
            if not self.return_state:
                return result[0]
        if not self.return_state:
            return result
        result = list(result)
        if m is not None and self.return_sequences:
            result[0]._mask = m
        return result

    @property
    def states(self) -> Any:
        """The carried states of a stateful layer (None before its first call)."""
        arrays = self._state_arrays
        return None if arrays is None else [wrap_array(a) for a in arrays]

    def reset_states(self) -> None:
        """Zero the carried states of a stateful layer (Keras' ``reset_states``)."""
        for a in self._state_arrays or ():
            a[...] = 0

    reset_state = reset_states

    def _carried(self, B: int, xp: Any) -> list:
        arrays = self._state_arrays
        if arrays is None:
            arrays = [xp.zeros((B, self.units), dtype=self.kernel.data.dtype)
                      for _ in range(self._n_states)]
            object.__setattr__(self, "_state_arrays", arrays)
        if arrays[0].shape[0] != B:
            raise ValueError(f"{type(self).__name__} '{self.name}' is stateful and carries "
                             f"states for batches of {arrays[0].shape[0]}; got a batch of {B} "
                             "(a stateful layer needs the same batch size every call: drop "
                             "the last partial batch)")
        return [wrap_array(a.copy()) for a in arrays]

    def _dropout_mask(self, shape: tuple, rate: float, xp: Any) -> Any:
        if self._seed_rng is not None:  # a seeded layer draws the same masks on any device
            keep = xp.asarray(self._seed_rng.random(shape, dtype="float32") >= rate)
        else:
            keep = backend.rng(xp).random(shape, dtype="float32") >= rate
        return keep.astype(self.kernel.data.dtype) * (1.0 / (1.0 - rate))

    def _initial_states(self, initial_state: Any, B: int, xp: Any) -> list | None:
        if initial_state is None:
            return None
        states = [initial_state] if isinstance(initial_state, Tensor) or hasattr(
            initial_state, "shape") else list(initial_state)
        if len(states) != self._n_states:
            raise ValueError(f"{type(self).__name__} '{self.name}': initial_state must hold "
                             f"{self._n_states} tensor(s) of shape (batch, units) = "
                             f"{(B, self.units)}; got {len(states)}")
        out = []
        for s in states:
            s = s if isinstance(s, Tensor) else as_tensor(s, self.kernel)
            if tuple(s.shape) != (B, self.units):
                raise ValueError(f"{type(self).__name__} '{self.name}': each initial state must "
                                 f"be (batch, units) = {(B, self.units)}; got {tuple(s.shape)}")
            out.append(s)
        return out

    def _fused_names(self) -> tuple | None:
        """The activations' kernel names, or None when one of them has no fused kernel."""
        names = tuple(fused_activation_name(fn) for fn in self._activations())
        return None if None in names else names

    def _activations(self) -> tuple:
        return (self.activation,)

    def _fused(self, x: Tensor, states: Any, mask: Any, rmask: Any) -> Any:
        raise NotImplementedError

    def _fused_kwargs(self, mask: Any, rmask: Any) -> dict:
        return {"mask": mask, "go_backwards": self.go_backwards,
                "return_sequences": self.return_sequences,
                "return_state": self.return_state or self.stateful,
                "recurrent_dropout_mask": rmask,
                "zero_output_for_mask": self.zero_output_for_mask}

    # ------------------------------------------------------------------ step by step
    def _project(self, x: Tensor) -> Tensor:
        """x @ kernel (+ the input bias) for every step at once: (B, T, gates * units)."""
        xw = matmul(x, self.kernel)
        return xw if self.bias is None else xw + self.bias

    def _step(self, xw_t: Tensor, states: list, rmask: Tensor | None) -> list:
        raise NotImplementedError

    def _composed(self, x: Tensor, states: Any, mask: Any, rmask: Any) -> Any:
        """The recurrence as ordinary tensor ops, one step at a time (any activation)."""
        B, T = x.shape[0], x.shape[1]
        xp = backend.xp_of(x.data)
        if states is None:
            states = [wrap_array(xp.zeros((B, self.units), dtype=self.kernel.data.dtype))
                      for _ in range(self._n_states)]
        xw = self._project(x)
        rm = None if rmask is None else wrap_array(rmask)
        outs = []
        for t in (range(T - 1, -1, -1) if self.go_backwards else range(T)):
            new = self._step(getitem(xw, (slice(None), t)), states, rm)
            keep = None if mask is None else mask[:, t][:, None]
            if keep is not None:
                new = [where(keep, n, s) for n, s in zip(new, states)]
            states = new
            if self.return_sequences:
                out = states[0]
                if keep is not None and self.zero_output_for_mask:
                    out = where(keep, out, 0.0)
                outs.append(out)
        output = stack(outs, axis=1) if self.return_sequences else states[0]
        return [output, *states] if self.return_state or self.stateful else output

    # ------------------------------------------------------------------ shapes, masks, config
    def compute_output_shape(self, input_shape: tuple) -> Any:
        B, T = input_shape[0], input_shape[1]
        out = (B, T, self.units) if self.return_sequences else (B, self.units)
        if self.return_state:
            return [out] + [(B, self.units)] * self._n_states
        return out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return previous_mask if self.return_sequences else None

    def get_config(self) -> dict:
        s = _config.serialize
        return {**super().get_config(), "units": self.units,
                "activation": s(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": s(self.kernel_initializer),
                "recurrent_initializer": s(self.recurrent_initializer),
                "bias_initializer": s(self.bias_initializer),
                "kernel_regularizer": s(self.kernel_regularizer),
                "recurrent_regularizer": s(self.recurrent_regularizer),
                "bias_regularizer": s(self.bias_regularizer),
                "activity_regularizer": s(self.activity_regularizer),
                "kernel_constraint": s(self.kernel_constraint),
                "recurrent_constraint": s(self.recurrent_constraint),
                "bias_constraint": s(self.bias_constraint), "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}
