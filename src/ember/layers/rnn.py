"""``RNN``: Keras 3's generic recurrent layer, running any cell over (batch, timesteps,
features) one step at a time.

A cell is a layer with a ``state_size`` (an int, or a list: one entry per state) whose
``call(x_t, states)`` returns ``(output, new_states)``; a list of cells is stacked
(``StackedRNNCells``). Keras' semantics: ``return_sequences``, ``return_state`` (the output
then the final states, flat), ``go_backwards`` (outputs in the order processed), a padding mask
(masked steps keep the states and repeat the previous output, or give zeros with
``zero_output_for_mask``), ``initial_state=``, and ``stateful=True``: the final states of a
batch are the initial states of the next (detached, as truncated back-propagation) until
``reset_states()``.

Each step is ordinary tensor ops, so any cell differentiates; the built-in ``SimpleRNN``,
``LSTM`` and ``GRU`` layers run fused kernels instead.

Example:
    >>> import ember as em
    >>> class MinimalCell(em.layers.Layer):
    ...     def __init__(self, units, **kw):
    ...         super().__init__(**kw)
    ...         self.units, self.state_size = units, units
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight("w", (input_shape[-1], self.units))
    ...     def call(self, x, states):
    ...         h = x @ self.w + states[0]
    ...         return h, [h]
    >>> rnn = em.layers.RNN(MinimalCell(3), return_sequences=True)
    >>> rnn(em.ones((2, 5, 4))).shape
    (2, 5, 3)
    >>> out, h, c = em.layers.RNN(em.layers.LSTMCell(6), return_state=True)(em.ones((2, 5, 4)))
    >>> out.shape, c.shape
    ((2, 6), (2, 6))
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor, as_tensor, wrap_array
from ember.layers.base import Layer
from ember.layers.rnn_cells import StackedRNNCells, call_cell, cell_output_size
from ember.ops.elementwise import where
from ember.ops.shape import getitem, stack
from ember.serialization import register


def _map(struct: Any, fn: Any) -> Any:
    if isinstance(struct, (list, tuple)):
        return [_map(s, fn) for s in struct]
    return fn(struct)


def _flat(struct: Any) -> list:
    if isinstance(struct, (list, tuple)):
        return [t for s in struct for t in _flat(s)]
    return [struct]


def _zip_map(a: Any, b: Any, fn: Any) -> Any:
    if isinstance(a, (list, tuple)):
        return [_zip_map(x, y, fn) for x, y in zip(a, b)]
    return fn(a, b)


@register()
class RNN(Layer):
    """Runs ``cell`` over the time axis (see the module docstring)."""

    _recurrent = True  # its cell's weights are reused at every timestep (see ember.blas)

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"RNN: the cell must have a call method and a state_size "
                             f"attribute (an int or a list of ints); got {cell!r}")
        size = cell.state_size
        if not isinstance(size, (int, list, tuple)):
            raise ValueError(f"RNN: the cell's state_size must be an int or a list of ints; "
                             f"got {size!r}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # accepted for Keras compatibility; steps run in Python
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        object.__setattr__(self, "_state_arrays", None)  # stateful: not weights, as Keras

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    @property
    def states(self) -> Any:
        """The carried states of a stateful RNN (None before its first call)."""
        arrays = self._state_arrays
        return None if arrays is None else _map(arrays, wrap_array)

    def reset_states(self) -> None:
        """Zero the carried states of a stateful RNN (Keras' ``reset_states``)."""
        if self._state_arrays is not None:
            for a in _flat(self._state_arrays):
                a[...] = 0

    reset_state = reset_states

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) < 3:
            raise ValueError(f"RNN '{self.name}': expects (batch, timesteps, features); got "
                             f"input shape {tuple(input_shape)}")
        step_shape = (input_shape[0],) + tuple(input_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_from_shape(step_shape)

    def get_initial_state(self, batch_size: int) -> list:
        init = getattr(self.cell, "get_initial_state", None)
        if init is not None:
            states = init(batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        np = backend.numpy_module()
        return [wrap_array(np.zeros((batch_size, n), dtype=self.dtype)) for n in self.state_size]

    def call(self, inputs: Tensor, initial_state: Any = None, mask: Any = None,
             training: Any = None) -> Any:
        if inputs.ndim < 3:
            self._check_rank(inputs, 3, "(batch, timesteps, features)")
        B, T = inputs.shape[0], inputs.shape[1]
        if T == 0:
            raise ValueError(f"RNN '{self.name}': the input has no timesteps")
        if initial_state is None and self.stateful:
            initial_state = self._carried(B, inputs)
        if initial_state is None:
            states = self.get_initial_state(B)
        else:
            given = initial_state if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            states = _map(list(given), lambda s: s if isinstance(s, Tensor)
                          else as_tensor(s, inputs))
            if len(states) != len(self.state_size):
                raise ValueError(f"RNN '{self.name}': initial_state must hold "
                                 f"{len(self.state_size)} state(s) (the cell's state_size "
                                 f"{self.cell.state_size}); got {len(states)}")
        m = None
        if mask is not None:
            m = mask.data if isinstance(mask, Tensor) else backend.xp_of(inputs.data).asarray(
                mask)
            m = m if m.dtype == bool else m != 0
            if tuple(m.shape) != (B, T):
                raise ValueError(f"RNN '{self.name}': the mask must be (batch, timesteps) = "
                                 f"{(B, T)}; got {tuple(m.shape)}")
        cell = self.cell
        steps = range(T - 1, -1, -1) if self.go_backwards else range(T)
        if hasattr(cell, "start_sequence"):
            cell.start_sequence(getitem(inputs, (slice(None), 0)), states, training)
        outputs, prev = [], None
        try:
            for t in steps:
                out, new = call_cell(cell, getitem(inputs, (slice(None), t)), states, training)
                new = list(new) if isinstance(new, (list, tuple)) else [new]
                if m is not None:
                    keep = m[:, t][:, None]
                    new = _zip_map(new, states, lambda n, s, k=keep: where(k, n, s))
                    if prev is None:
                        prev = out * 0.0
                    out = where(keep, out, 0.0 if self.zero_output_for_mask else prev)
                    prev = out
                states = new
                if self.return_sequences:
                    outputs.append(out)
        finally:
            if hasattr(cell, "end_sequence"):
                cell.end_sequence()
        if self.stateful:
            arrays = self._state_arrays
            for a, s in zip(_flat(arrays), _flat(states)):
                a[...] = s.data
        output = stack(outputs, axis=1) if self.return_sequences else out
        if m is not None and self.return_sequences:
            output._mask = m
        if self.return_state:  # stacked cells' nested states come flat, one tensor each
            return [output, *_flat(states)]
        return output

    def _carried(self, B: int, inputs: Tensor) -> list:
        arrays = self._state_arrays
        if arrays is None:
            arrays = _map(self.get_initial_state(B), lambda s: backend.xp_of(
                inputs.data).zeros(tuple(s.shape), dtype=inputs.data.dtype))
            object.__setattr__(self, "_state_arrays", arrays)
        first = _flat(arrays)[0]
        if first.shape[0] != B:
            raise ValueError(f"RNN '{self.name}' is stateful and carries states for batches of "
                             f"{first.shape[0]}; got a batch of {B} (a stateful RNN needs the "
                             "same batch size every call: drop the last partial batch, or "
                             "call reset_states() after setting a new size)")
        return _map(arrays, lambda a: wrap_array(a.copy()))

    def compute_output_shape(self, input_shape: tuple) -> Any:
        B, T = input_shape[0], input_shape[1]
        units = cell_output_size(self.cell)
        out = (B, T, units) if self.return_sequences else (B, units)
        if not self.return_state:
            return out
        states = [(B, s) if isinstance(s, int) else [(B, n) for n in s]
                  for s in self.state_size]
        return [out, *_flat_shapes(states)]

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return previous_mask if self.return_sequences else None

    def get_config(self) -> dict:
        from ember import serialization

        return {**super().get_config(), "cell": serialization.serialize(self.cell),
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}

    @classmethod
    def from_config(cls, config: dict) -> RNN:
        from ember import serialization

        config = dict(config)
        cell = serialization.deserialize(config.pop("cell"))
        return cls(cell, **config)


def _flat_shapes(states: list) -> list:
    out = []
    for s in states:
        out.extend(s if isinstance(s, list) else [s])
    return out
