"""What a layer holds: attribute tracking of weights and sublayers, the weight lists,
freezing, weight import/export and regularization losses (the ``Layer`` base builds on it).

Assigning a Variable, a layer, or a list/tuple/dict holding them (or an empty list or dict,
filled later) to an attribute registers it, in assignment order, as PyTorch's
``Module.__setattr__`` does; reading attributes stays plain Python attribute access.
"""

from __future__ import annotations

import enum
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor
from ember.variable import Variable


class WeightSelection(enum.Enum):
    """Which weights ``weights`` / ``trainable_weights`` / ``non_trainable_weights`` collect."""

    ALL = "all"
    TRAINABLE = "trainable"
    NON_TRAINABLE = "non_trainable"


class _DeviceOf:
    """``layer.device``: where the layer computes, its first weight's device ("cpu" or "cuda");
    before it has weights, the device ``to`` chose, else the default device. Read-only in
    effect, but a non-data descriptor, so a layer that sets its own ``self.device`` keeps it."""

    def __get__(self, layer: Any, owner: Any = None) -> Any:
        if layer is None:
            return self
        from ember.devices import model_device

        return model_device(layer)


class Trackable:
    """Weights and sublayers assigned as attributes; ``weights``, ``trainable``, I/O, losses.

    The instance attributes it relies on (``_tracked``, ``_extra_layers``,
    ``_own_trainable``, ``_own_non_trainable``, ``_call_losses``, ``_trainable``, ``built``,
    ``name``) are set by ``Layer.__init__``.
    """

    # ------------------------------------------------------------------ attribute tracking
    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Trackable, Variable, list, tuple, dict)):
            self._track(name, value)
        else:
            tracked = self.__dict__.get("_tracked")
            if tracked and name in tracked:
                del tracked[name]
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        tracked = self.__dict__.get("_tracked")
        if tracked and name in tracked:
            del tracked[name]
        value = self.__dict__.get(name)
        if isinstance(value, Variable):
            self._own_trainable[:] = [v for v in self._own_trainable if v is not value]
            self._own_non_trainable[:] = [v for v in self._own_non_trainable if v is not value]
        object.__delattr__(self, name)

    def _track(self, name: str, value: Any) -> None:
        tracked = self.__dict__.get("_tracked")
        if tracked is None:
            if isinstance(value, (Trackable, Variable)):
                raise RuntimeError(f"{type(self).__name__}: call super().__init__() before "
                                   f"assigning layers or weights (self.{name} = ...)")
            return
        if isinstance(value, Variable):
            tracked.pop(name, None)
            self._add_own_variable(value)
        elif isinstance(value, Trackable):
            if value is not self:
                tracked[name] = value
        elif _holds_trackables(value):
            tracked[name] = value
            for v in flatten_nested(value):
                if isinstance(v, Variable):
                    self._add_own_variable(v)
        else:
            tracked.pop(name, None)

    def _add_own_variable(self, v: Variable) -> None:
        for w in self._own_trainable + self._own_non_trainable:
            if w is v:
                return
        (self._own_trainable if v.trainable else self._own_non_trainable).append(v)

    def _track_layer(self, layer: Trackable) -> None:
        """Track ``layer`` as a sublayer without an attribute (models' layer lists)."""
        if not any(existing is layer for existing in self._extra_layers):
            self._extra_layers.append(layer)

    def _untrack_layer(self, layer: Trackable) -> None:
        self._extra_layers[:] = [x for x in self._extra_layers if x is not layer]

    def _sublayers(self) -> list[Trackable]:
        """Direct sublayers, in the order they were assigned, each once."""
        out, seen = [], {id(self)}
        for value in list(self._tracked.values()) + self._extra_layers:
            for item in flatten_nested(value):
                if isinstance(item, Trackable) and id(item) not in seen:
                    seen.add(id(item))
                    out.append(item)
        return out

    def _walk(self) -> list[Trackable]:
        """This layer and every layer inside it, each once (depth first)."""
        out, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return out

    def _own_variables(self) -> list[Variable]:
        own = self._own_trainable + self._own_non_trainable
        for value in self._tracked.values():
            if not isinstance(value, Trackable):
                own.extend(v for v in flatten_nested(value) if isinstance(v, Variable)
                           and not any(v is w for w in own))
        return own

    # ------------------------------------------------------------------ weights
    @property
    def weights(self) -> list[Variable]:
        """Every weight of this layer and its sublayers, each once, in a stable order."""
        return self._collect(WeightSelection.ALL)

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights an optimizer updates (none when the layer is frozen)."""
        return self._collect(WeightSelection.TRAINABLE)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """Frozen weights and state such as batch-norm moving statistics."""
        return self._collect(WeightSelection.NON_TRAINABLE)

    # Keras names.
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def _collect(self, which: WeightSelection) -> list[Variable]:
        out: list[Variable] = []
        seen: set[int] = set()
        self._collect_into(out, seen, set(), which, True)
        return out

    def _collect_into(self, out: list, seen: set, visited: set, which: WeightSelection,
                      parent_trainable: bool) -> None:
        visited.add(id(self))
        trainable = parent_trainable and self._trainable
        for v in self._own_variables():
            if id(v) in seen:
                continue
            if which is WeightSelection.ALL or (
                    (which is WeightSelection.TRAINABLE) == (trainable and v._trainable)):
                seen.add(id(v))
                out.append(v)
        for layer in self._sublayers():
            if id(layer) not in visited:
                layer._collect_into(out, seen, visited, which, trainable)

    @property
    def trainable(self) -> bool:
        """Set False to freeze the layer and everything inside it (transfer learning)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        for layer in self._walk():
            object.__setattr__(layer, "_trainable", value)
            for v in layer._own_trainable:
                v.trainable = value

    def get_weights(self) -> list:
        """The weights as NumPy arrays (copies), in the order of ``weights``."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: Any) -> None:
        """Load NumPy arrays (as ``get_weights`` returns them); every shape is checked first."""
        params = self.weights
        weights = list(weights)
        where = f"{type(self).__name__} '{self.name}'.set_weights"
        if len(weights) != len(params):
            hint = "" if self.built else " (the layer is not built yet: call it on a batch or " \
                                         "build(input_shape) first)"
            raise ValueError(f"{where}: expected {len(params)} arrays "
                             f"({[v.path for v in params]}); got {len(weights)}{hint}")
        arrays = []
        for v, w in zip(params, weights):
            arr = w.data if isinstance(w, Tensor) else w
            shape = tuple(getattr(arr, "shape", None) or backend.numpy_module().shape(arr))
            if shape != v.shape:
                raise ValueError(f"{where}: weight '{v.path}' has shape {v.shape}; the array "
                                 f"given for it has shape {shape}")
            arrays.append(arr)
        for v, arr in zip(params, arrays):
            v.assign(arr)

    def count_params(self) -> int:
        """The number of scalars in all weights (the layer must be built)."""
        if not self.built:
            raise ValueError(f"{type(self).__name__} '{self.name}'.count_params: the layer is "
                             "not built yet, so its weights do not exist; call it on a batch or "
                             "build(input_shape) first")
        return int(sum(v.size for v in self.weights))

    # ------------------------------------------------------------------ devices
    def to(self, device: Any) -> Trackable:
        """Move every weight to ``device`` ("cpu", "cuda"), in place, and return self.

        The Variables stay the same objects (an optimizer or a saved reference keeps working);
        a compiled model's optimizer state moves too, and weights built later (a lazily built
        layer) are created on ``device``. As PyTorch's ``Module.to``::

            model = em.Sequential([em.layers.Dense(10)]).to("cuda")
        """
        dev = backend.normalize_device(device)
        if dev == "cuda":
            from ember.devices import require_cuda

            require_cuda(f"{type(self).__name__}.to('cuda')")  # before any weight has moved
        for layer in self._walk():
            object.__setattr__(layer, "_device", dev)  # where a later build makes its weights
        for v in self.weights:
            if backend.device_of(v.data) != dev:
                v.data = backend.to_device(v.data, dev)
                v._version += 1  # a graph recorded on the old arrays must not backpropagate
                if v.grad is not None:
                    v.grad = v.grad.to(dev)
        optimizer = getattr(self, "optimizer", None)  # a compiled model's
        if callable(getattr(optimizer, "to", None)):
            optimizer.to(dev)
        return self

    def cpu(self) -> Trackable:
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> Trackable:
        """``to("cuda")``."""
        return self.to("cuda")

    device = _DeviceOf()

    # ------------------------------------------------------------------ losses
    @property
    def losses(self) -> list[Tensor]:
        """Scalar penalties: each weight regularizer applied to its weight now, plus the
        activity-regularizer (and ``add_loss``) losses of the last call, for all sublayers."""
        out = []
        for layer in self._walk():
            for v in layer._own_variables():
                if v.regularizer is not None:
                    out.append(v.regularizer(v))
            out.extend(layer._call_losses)
        return out

    def add_loss(self, loss: Tensor) -> None:
        """Record an extra loss during ``call`` (cleared at the next call of this layer)."""
        self._call_losses.append(loss)


def flatten_nested(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return [y for x in value for y in flatten_nested(x)]
    if isinstance(value, dict):
        return [y for x in value.values() for y in flatten_nested(x)]
    return [value]


def _holds_trackables(value: Any) -> bool:
    """Containers worth watching: empty lists/dicts (filled later) or ones holding layers."""
    if isinstance(value, (list, dict)) and not value:
        return True
    return any(isinstance(v, (Trackable, Variable)) for v in flatten_nested(value))
