"""``Optimizer``: the base class of every ember optimizer (Keras 3 semantics, in-place updates).

One update (``apply``, ``step`` or ``apply_gradients``) does, as ``keras.optimizers.Optimizer``:

1. take the gradients (``param.grad``, or the given ones), skipping parameters without one;
2. clip them: ``clipnorm`` (each gradient to that L2 norm), ``global_clipnorm`` (all of them
   together) or ``clipvalue`` (elementwise to [-v, v]); at most one of the three;
3. apply decoupled weight decay, ``w -= w * weight_decay * lr``, when ``weight_decay`` is set;
4. run the optimizer's own rule on each parameter, in place on ``param.data``;
5. add one to ``iterations`` (which a learning-rate schedule reads).

Parameters are ember Tensors. Their arrays are changed in place with NumPy/CuPy ``out=`` ops,
per-parameter state ("slots") is allocated on a parameter's first update with its dtype, and
every scalar is a Python float so float32 stays float32. The work arrays, the block-by-block
updates of large parameters and the flush of subnormal slots are ``InPlaceUpdates``
(optimizers/in_place.py), which ``Optimizer`` inherits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from ember import backend
from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend import xp_of
from ember.optimizers import schedules as _schedules
from ember.optimizers.in_place import InPlaceUpdates
from ember.optimizers.state import OptimizerState
from ember.optimizers.torch_style import accept_params, param_groups
from ember.optimizers.validation import _as_float

_FLUSH_EVERY = 128  # steps between flushes of subnormal slot values (see _flush_tiny_slots)
_BASE_KEYS = ("name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
              "clipvalue")


def _grad_array(grad: Any) -> Any:
    if isinstance(grad, Tensor):
        return grad.data
    if hasattr(grad, "shape") and hasattr(grad, "dtype"):
        return grad
    return backend.numpy_module().asarray(grad)


class Optimizer(OptimizerState, InPlaceUpdates):
    """Base optimizer; subclasses define ``_slot_specs`` and ``_update_step``.

    Every optimizer also takes the parameters first, as PyTorch's do
    (``SGD(model.parameters(), lr=0.1)``; ``lr`` is an alias of ``learning_rate``), and then
    ``step()`` / ``zero_grad()`` act on them; see ``ember.optimizers.torch_style``.

    Args:
        learning_rate: a float >= 0, a ``LearningRateSchedule`` (called with ``iterations``),
            or a callable of no arguments returning the rate.
        weight_decay: if set, decoupled decay ``w -= w * weight_decay * lr`` before each update.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: a name for the optimizer.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = em.optimizers.SGD([w], lr=0.1)   # or SGD(learning_rate=0.1) + step([w])
        >>> (w * w).sum().backward()       # grad = 2 w
        >>> opt.step()                     # w -= 0.1 * 2 w
        >>> w
        tensor([0.8, 1.6], requires_grad=True)
        >>> opt.iterations
        1
    """

    _n_work = 1  # work arrays per parameter that _update_step needs
    param_groups = property(param_groups)  # PyTorch's [{"params": [...], "lr": ...}]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:  # PyTorch's SGD(params, lr=...) besides Keras' form
            cls.__init__ = accept_params(cls.__init__)

    def __init__(self, learning_rate: Any, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = type(self).__name__
        kwargs.pop("decay", None)  # Keras 3 ignores the legacy `decay` argument too
        if kwargs:
            raise ValueError(f"{owner}: argument(s) not recognized: {sorted(kwargs)}")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                 "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clips.values()) > 1:
            raise ValueError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                f"set; got clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        for key, value in clips.items():
            if value is not None:
                clips[key] = _as_float(owner, key, value, low=0.0, low_open=True)
        self.clipnorm = clips["clipnorm"]
        self.clipvalue = clips["clipvalue"]
        self.global_clipnorm = clips["global_clipnorm"]
        self.weight_decay = (None if weight_decay is None
                             else _as_float(owner, "weight_decay", weight_decay, low=0.0))
        self.name = name if name is not None else owner.lower()
        self._learning_rate: Any = None
        self.learning_rate = learning_rate
        self.iterations = 0
        self._params: list = []            # parameter Tensors, in index order
        self._index: dict[int, int] = {}   # id(param) -> index (the list keeps ids alive)
        self._slots: list[dict | None] = []  # per index: slot name -> array, or None yet
        self._work_buffers: dict = {}
        self._work_views: dict = {}
        self._no_decay: set[int] = set()
        self._no_decay_pattern: re.Pattern | None = None
        self._decay_cache: dict[int, bool] = {}

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> float:
        """The rate of the next update (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        if callable(lr):
            return float(lr())
        return lr

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, _schedules.LearningRateSchedule) or callable(value):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__}: this optimizer was created with a "
                "LearningRateSchedule, so its learning rate cannot be set to a number; create "
                "the optimizer with a float learning_rate to change it during training"
            )
        self._learning_rate = _as_float(type(self).__name__, "learning_rate", value, low=0.0)

    # ------------------------------------------------------------------ parameters and slots
    def build(self, params: Iterable) -> None:
        """Register ``params`` in this order (their index in ``get_state``); optional, as any
        parameter seen by an update is registered then."""
        for p in params:
            self._register(p)

    def _register(self, p: Any) -> int:
        idx = self._index.get(id(p))
        if idx is None:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__}: parameters must be ember Tensors; got "
                    f"{type(p).__name__}"
                )
            idx = len(self._params)
            self._index[id(p)] = idx
            self._params.append(p)
            self._slots.append(None)
        return idx

    def _slot_specs(self) -> list[tuple[str, float]]:
        """(slot name, initial value) for each per-parameter array this optimizer keeps."""
        return []

    def _new_slots(self, data: Any) -> dict:
        xp = xp_of(data)
        return {name: (xp.zeros_like(data) if init == 0 else xp.full_like(data, init))
                for name, init in self._slot_specs()}

    def _slots_for(self, p: Any) -> dict:
        """The new slots of parameter ``p`` (a subclass may vary them by shape or path)."""
        return self._new_slots(p.data)

    def _slot_shapes(self, p: Any) -> dict:
        """Slot name -> shape that parameter ``p`` keeps (checked when state is loaded)."""
        return {name: tuple(p.data.shape) for name, _ in self._slot_specs()}

    def _weight_decay_for(self, p: Any) -> float | None:
        """The decoupled decay rate of ``p`` (Muon decays its AdamW variables differently)."""
        return self.weight_decay

    def exclude_from_weight_decay(self, var_list: Iterable | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Do not apply ``weight_decay`` to the parameters in ``var_list``, nor to those whose
        ``name`` (a ``Variable``'s, e.g. "bias") contains one of ``var_names`` (regexes)."""
        self._no_decay = {id(p) for p in (var_list or [])}
        names = list(var_names or [])
        self._no_decay_pattern = re.compile("|".join(names)) if names else None
        self._decay_cache.clear()

    def _decays(self, p: Any) -> bool:
        key = id(p)
        hit = self._decay_cache.get(key)
        if hit is None:
            name = getattr(p, "name", None)
            hit = key not in self._no_decay and not (
                self._no_decay_pattern is not None and isinstance(name, str)
                and self._no_decay_pattern.search(name))
            self._decay_cache[key] = hit
        return hit

    # ------------------------------------------------------------------ updates
    def apply(self, params_or_grads: Iterable, trainable_variables: Iterable | None = None,
              ) -> None:
        """One update. ``apply(params)`` reads each parameter's ``.grad`` (parameters whose
        grad is None are skipped); ``apply(grads, variables)`` is the Keras form."""
        if trainable_variables is not None:
            self.apply_gradients(zip(params_or_grads, trainable_variables))
            return
        pairs = []
        for p in params_or_grads:
            self._register(p)
            if p.grad is not None:
                pairs.append((p, _grad_array(p.grad)))
        if pairs:
            self._apply_pairs(pairs)

    def step(self, params: Iterable | None = None) -> None:
        """``apply(params)``, PyTorch's name; without ``params``, the registered parameters
        (given to the constructor, or seen by an earlier update); none at all raises."""
        self.apply(self._registered("step") if params is None else params)

    def _registered(self, what: str) -> list:
        if not self._params:
            owner = type(self).__name__
            raise ValueError(
                f"{owner}.{what}(): this optimizer has no parameters, so it would change "
                f"nothing; pass them when creating it ({owner}(model.parameters(), lr=0.01)) "
                f"or to {what}(params)"
            )
        return self._params

    def apply_gradients(self, grads_and_vars: Iterable) -> int:
        """One update from ``(gradient, parameter)`` pairs (Keras); None gradients are skipped.
        Returns ``iterations``."""
        pairs = []
        for g, p in grads_and_vars:
            self._register(p)
            if g is not None:
                pairs.append((p, _grad_array(g)))
        if not pairs:
            raise ValueError(f"{type(self).__name__}.apply_gradients: no gradient was given "
                             "for any parameter")
        self._apply_pairs(pairs)
        return self.iterations

    def _apply_pairs(self, pairs: list) -> None:
        grads = []
        for p, g in pairs:
            data = p.data
            if g.shape != data.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient of shape {tuple(g.shape)} for a parameter "
                    f"of shape {tuple(data.shape)}"
                )
            if g.dtype != data.dtype:
                g = g.astype(data.dtype)
            grads.append(g)
        grads = self._clip_gradients(grads)
        lr = self.learning_rate
        index, slots = self._index, self._slots
        for p, _ in pairs:  # built before the decay, as Keras builds (a slot may copy w)
            i = index[id(p)]
            if slots[i] is None:
                slots[i] = self._slots_for(p)
        for p, _ in pairs:
            wd = self._weight_decay_for(p)
            if wd and self._decays(p):
                p.data *= 1.0 - lr * wd
        consts = self._step_constants(lr)
        for (p, _), g in zip(pairs, grads):
            s = slots[index[id(p)]]
            self._run_update(p.data, g, s, consts)
            p._version += 1
            constraint = getattr(p, "constraint", None)  # a Variable's, as Keras applies it
            if constraint is not None:
                with no_grad():
                    new = constraint(p)
                p.data[...] = new.data if isinstance(new, Tensor) else new
        self.iterations += 1
        if self.iterations % _FLUSH_EVERY == 0:
            self._flush_tiny_slots()

    def _step_constants(self, lr: float) -> Any:
        """Scalars shared by every parameter in this update (bias corrections, ...)."""
        return lr

    def _update_step(self, data: Any, grad: Any, slots: dict, consts: Any, work: list) -> None:
        """Update ``data`` in place from ``grad`` and the parameter's ``slots``; ``consts`` is
        what ``_step_constants`` returned and ``work`` holds ``_n_work`` arrays like ``data``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update_step")

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm:
            c = self.clipnorm
            out = []
            for g in grads:
                r = g.ravel()
                norm = math.sqrt(float(xp_of(g).dot(r, r)))
                # `not <=` also catches NaN/inf norms, which then poison g as in Keras.
                out.append(g * (c / max(norm, c)) if not norm <= c else g)
            return out
        if self.global_clipnorm:
            c = self.global_clipnorm
            total = 0.0
            for g in grads:
                r = g.ravel()
                total = total + xp_of(g).dot(r, r)  # summed on the device: one sync below
            norm = math.sqrt(float(total))
            if norm <= c:
                return grads
            scale = c / norm if math.isfinite(norm) else math.nan
            return [g * scale for g in grads]
        if self.clipvalue:
            v = self.clipvalue
            return [xp_of(g).clip(g, -v, v) for g in grads]
        return grads

    def zero_grad(self, params: Iterable | None = None) -> None:
        """Set each parameter's ``.grad`` to None (the registered ones without ``params``)."""
        for p in (self._registered("zero_grad") if params is None else params):
            p.grad = None

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments (a schedule as ``{"class_name", "config"}``)."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Optimizer:
        """A new optimizer (without state) from ``get_config()``'s dictionary."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        cfg = self.get_config()
        args = ", ".join(f"{k}={v!r}" for k, v in cfg.items()
                         if k not in _BASE_KEYS[2:] or v is not None)
        return f"{type(self).__name__}({args})"
