"""PyTorch's ``nn.Module`` conveniences on every ember layer and model.

``parameters()``, ``named_parameters()``, ``state_dict()`` / ``load_state_dict()`` with dotted
keys, ``train()`` / ``eval()``, ``zero_grad()``, ``modules()`` / ``children()``, so a
PyTorch-style loop over an ember model reads as it would in PyTorch::

    opt = em.optimizers.SGD(model.parameters(), lr=0.1)
    model.train()
    for xb, yb in batches:
        opt.zero_grad()
        loss = em.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()

Names are structural, so two models of the same architecture share keys: a sublayer assigned
as an attribute is named by it (``self.fc1`` -> ``fc1.kernel``, a list ``self.blocks`` ->
``blocks.0.kernel``); the layers of a Sequential or functional model by their position, as
PyTorch's Sequential (``1.kernel`` for the Dense after a Flatten); a weight by its own name
(Keras': ``kernel``, ``bias``, ``gamma``, ``moving_mean``).
``parameters()`` are the trainable weights (what an optimizer should change); frozen weights
and statistics such as BatchNormalization's moving mean are in ``state_dict()`` too, as
PyTorch's buffers are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from ember import backend


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


def _children(layer: Any) -> list[tuple[str, Any]]:
    """(name, sublayer) for the direct sublayers, in order, each once."""
    from ember.layers.tracking import Trackable, flatten_nested

    out, seen = [], {id(layer)}

    def add(name: str, item: Any) -> None:
        if isinstance(item, Trackable) and id(item) not in seen:
            seen.add(id(item))
            out.append((name, item))

    for attr, value in layer._tracked.items():
        if isinstance(value, Trackable):
            add(attr, value)
            continue
        items = list(value.items()) if isinstance(value, Mapping) else list(
            enumerate(flatten_nested(value)))
        for key, item in items:
            add(str(key) if attr.startswith("_") else f"{attr}.{key}", item)
    for i, item in enumerate(layer._extra_layers):
        add(f"extra.{i}", item)
    return out


def _named_weights(layer: Any, prefix: str, seen: set) -> Iterator[tuple[str, Any]]:
    for v in layer._own_variables():
        if id(v) not in seen:
            seen.add(id(v))
            yield prefix + str(getattr(v, "name", "weight")), v
    for name, child in _children(layer):
        yield from _named_weights(child, f"{prefix}{name}.", seen)


class TorchModule:
    """The mixin that gives ``Layer`` PyTorch's module methods (see the module docstring)."""

    _train_mode = None  # set by train() / eval(): the `training` of calls that pass none

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, layer) for this layer ("" ) and every layer inside it."""
        yield prefix, self
        for name, child in _children(self):
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Any]:
        """This layer and every layer inside it (depth first), each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Any]]:
        yield from _children(self)

    def children(self) -> Iterator[Any]:
        """The direct sublayers."""
        for _, c in _children(self):
            yield c

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, weight) for each trainable weight, e.g. ("dense.kernel", w)."""
        head = f"{prefix}." if prefix else ""
        for name, v in _named_weights(self, head, set()):
            if v.trainable and self._weight_trainable(v):
                yield name, v

    def parameters(self) -> Iterator[Any]:
        """The trainable weights (``trainable_variables``), for an optimizer.

        Example:
            >>> import ember as em
            >>> layer = em.layers.Dense(2)
            >>> _ = layer(em.ones(1, 3))
            >>> [tuple(p.shape) for p in layer.parameters()]
            [(3, 2), (2,)]
        """
        for _, v in self.named_parameters():
            yield v

    def _weight_trainable(self, v: Any) -> bool:
        return any(v is w for w in self.trainable_weights)

    def state_dict(self) -> dict:
        """Every weight (trainable or not) by dotted name, as tensors sharing its memory."""
        from ember.autograd.tensor import wrap_array

        return {name: wrap_array(v.data) for name, v in _named_weights(self, "", set())}

    def load_state_dict(self, state_dict: Mapping, strict: bool = True) -> IncompatibleKeys:
        """Copy the values of ``state_dict`` (tensors, NumPy or PyTorch arrays) into the weights
        of the same names; with ``strict`` missing or unexpected keys raise, as PyTorch."""
        own = dict(_named_weights(self, "", set()))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        owner = type(self).__name__
        if strict and (missing or unexpected):
            hint = "" if own else " (the model has no weights yet: call it on a batch first)"
            raise KeyError(f"{owner}.load_state_dict: missing keys {missing}, unexpected keys "
                           f"{unexpected}{hint}")
        for key, v in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if hasattr(value, "detach"):
                value = value.detach()
            arr = value.data if hasattr(value, "_version") else value
            arr = backend.numpy_module().asarray(arr) if backend.device_of(v.data) == "cpu" \
                else arr
            if tuple(arr.shape) != tuple(v.shape):
                raise ValueError(f"{owner}.load_state_dict: {key} has shape {tuple(arr.shape)}"
                                 f" in the state dict but {tuple(v.shape)} in the model")
            v.data[...] = backend.to_device(arr, v.device) if hasattr(arr, "shape") else arr
            v._version += 1
        return IncompatibleKeys(missing, unexpected)

    def train(self, mode: bool = True) -> Any:
        """Calls without ``training=`` run in training mode (dropout on, batch statistics),
        as after PyTorch's ``module.train()``; returns self."""
        for m in self.modules():
            object.__setattr__(m, "_train_mode", bool(mode))
        return self

    def eval(self) -> Any:
        """``train(False)``: calls without ``training=`` run in inference mode."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """True after ``train()``; False by default and after ``eval()`` (Keras' default)."""
        return bool(self._train_mode)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every weight (to None, or to zeros in place)."""
        for v in self.weights:
            if set_to_none or v.grad is None:
                v.grad = None
            else:
                v.grad.data[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Any:
        """Freeze (False) or unfreeze the layer: Keras' ``trainable``; returns self."""
        self.trainable = bool(requires_grad)
        return self
