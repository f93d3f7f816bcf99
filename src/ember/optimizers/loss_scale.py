"""``LossScaleOptimizer``: dynamic loss scaling around another optimizer, as Keras'.

Low-precision gradients (float16) underflow; training on ``loss * scale`` keeps them
representable, and the optimizer divides the gradients by ``scale`` again before the inner
optimizer's step. The scale adapts: halved (and the step skipped) when a gradient is not
finite, doubled after ``dynamic_growth_steps`` finite steps in a row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ember import backend
from ember.backend import xp_of
from ember.optimizers.base import Optimizer, _grad_array
from ember.optimizers.validation import _as_float
from ember.optimizers.wrapping import WrappingOptimizer

# the base arguments Keras still accepts here, at their defaults only (old saved configs)
_INERT = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
          "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
          "loss_scale_factor": None, "gradient_accumulation_steps": None}


class LossScaleOptimizer(WrappingOptimizer):
    """Wraps ``inner_optimizer`` with a dynamic loss scale.

    ``model.fit`` multiplies the loss by ``scale_loss`` before the backward pass; in a loop of
    your own do the same: ``opt.scale_loss(loss).backward(); opt.step(params)``. Each update:

    - if any gradient holds inf or NaN: ``dynamic_scale /= 2``, the counter restarts and the
      parameters, the inner optimizer and ``iterations`` are left unchanged;
    - else the inner optimizer steps on ``grad / dynamic_scale``; then, if the counter has
      reached ``dynamic_growth_steps - 1``, ``dynamic_scale *= 2`` and the counter restarts,
      otherwise it grows by one.

    ``learning_rate`` and ``iterations`` are the inner optimizer's.

    Args:
        inner_optimizer: the ``Optimizer`` that makes the steps.
        initial_scale: the first scale, > 0. Defaults to 2**15.
        dynamic_growth_steps: finite steps before the scale doubles, a whole number >= 1.
            Defaults to 2000.
        name: a name for the optimizer.

    Example:
        >>> import ember as em
        >>> w = em.tensor([1.0], requires_grad=True)
        >>> opt = em.optimizers.LossScaleOptimizer(em.optimizers.SGD(0.1), initial_scale=8.0)
        >>> opt.scale_loss((w * w).sum()).backward()    # gradient 8 * 2 w
        >>> opt.step([w])                               # SGD on 2 w: w = 1 - 0.1 * 2
        >>> w, opt.dynamic_scale
        (tensor([0.8], requires_grad=True), 8.0)
        >>> w.grad = em.tensor([float("inf")])
        >>> opt.step([w]); w, opt.dynamic_scale, opt.iterations     # skipped, halved
        (tensor([0.8], requires_grad=True), 4.0, 1)
    """

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0 ** 15,
                 dynamic_growth_steps: int = 2000, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = "LossScaleOptimizer"
        if not kwargs.pop("dynamic", True):
            raise ValueError(f"{owner} no longer supports `dynamic=False` (as Keras 3); set a "
                             "fixed scale by multiplying the loss yourself")
        for key, default in _INERT.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"{owner} does not support `{key}`; set `{key}` on the "
                                 "inner_optimizer instead")
        if kwargs:
            raise ValueError(f"{owner}: argument(s) not recognized: {sorted(kwargs)}")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"{owner}: `inner_optimizer` must be an ember Optimizer; got "
                            f"{type(inner_optimizer).__name__}")
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise ValueError(f"{owner}: the inner optimizer is already a LossScaleOptimizer")
        self.initial_scale = _as_float(owner, "initial_scale", initial_scale, low=0.0,
                                       low_open=True)
        if isinstance(dynamic_growth_steps, bool) or not float(
                dynamic_growth_steps).is_integer() or dynamic_growth_steps < 1:
            raise ValueError(f"{owner}: `dynamic_growth_steps` must be a whole number >= 1; "
                             f"got dynamic_growth_steps={dynamic_growth_steps!r}")
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.inner_optimizer = inner_optimizer
        self.name = name if name is not None else "loss_scale_optimizer"
        self.dynamic_scale = self.initial_scale
        self.step_counter = 0
        # no clipping or decay of its own: the inner optimizer's apply
        self.weight_decay = self.clipnorm = self.clipvalue = self.global_clipnorm = None

    # ------------------------------------------------------------------ delegated
    @property
    def learning_rate(self) -> float:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> int:
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value: int) -> None:
        self.inner_optimizer.iterations = value

    @property
    def _params(self) -> list:  # step() / zero_grad() without arguments use the inner's
        return self.inner_optimizer._params

    def build(self, params: Iterable) -> None:
        self.inner_optimizer.build(params)

    def to(self, device: Any) -> LossScaleOptimizer:
        self.inner_optimizer.to(device)
        return self

    def exclude_from_weight_decay(self, var_list: Iterable | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        self.inner_optimizer.exclude_from_weight_decay(var_list, var_names)

    # ------------------------------------------------------------------ scaling
    def scale_loss(self, loss: Any) -> Any:
        """``loss * dynamic_scale``: what to call ``backward()`` on."""
        return loss * self.dynamic_scale

    def _build_for(self, params: list) -> None:
        self.inner_optimizer.build(params)

    def _hand_over(self, pairs: list) -> None:
        grads = [_grad_array(g) for g, _ in pairs]
        finite = all(bool(xp_of(g).isfinite(g).all()) for g in grads)
        if not finite:  # skip the step, lower the scale
            self.step_counter = 0
            self.dynamic_scale *= 0.5
            return
        inv = 1.0 / self.dynamic_scale
        self.inner_optimizer.apply_gradients(
            [(g * g.dtype.type(inv) if g.dtype.kind == "f" else g / self.dynamic_scale, p)
             for g, (_, p) in zip(grads, pairs)])
        if self.step_counter == self.dynamic_growth_steps - 1:
            self.step_counter = 0
            self.dynamic_scale *= 2.0
        else:
            self.step_counter += 1

    # ------------------------------------------------------------------ state and config
    def variables(self) -> list:
        np = backend.numpy_module()
        return [np.array(self.step_counter, dtype="int64"),
                np.array(self.dynamic_scale, dtype="float32"),
                *self.inner_optimizer.variables()]

    def get_state(self) -> dict:
        np = backend.numpy_module()
        return {**self.inner_optimizer.get_state(),
                "loss_scale/dynamic_scale": np.array(self.dynamic_scale, dtype="float64"),
                "loss_scale/step_counter": np.array(self.step_counter, dtype="int64")}

    def prepare_state(self, state: dict, params: Iterable | None = None) -> dict:
        from ember.optimizers.state import _scalar

        inner = {k: v for k, v in state.items() if not k.startswith("loss_scale/")}
        out = {"inner": self.inner_optimizer.prepare_state(inner, params)}
        if "loss_scale/dynamic_scale" in state:
            scale = float(_scalar(backend.to_numpy(state["loss_scale/dynamic_scale"])))
            counter = _scalar(backend.to_numpy(state.get("loss_scale/step_counter", 0)))
            if not scale > 0.0 or scale == float("inf"):
                raise ValueError("LossScaleOptimizer.set_state: 'dynamic_scale' must be a "
                                 f"finite number > 0; got {scale!r}")
            out["dynamic_scale"], out["step_counter"] = scale, int(counter)
        return out

    def commit_state(self, prepared: dict) -> None:
        self.inner_optimizer.commit_state(prepared["inner"])
        for key in ("dynamic_scale", "step_counter"):
            if key in prepared:
                setattr(self, key, prepared[key])

    def get_config(self) -> dict:
        from ember.serialization import serialize

        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None,
                    ) -> LossScaleOptimizer:
        from ember.serialization import deserialize

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)

    def __repr__(self) -> str:
        return (f"LossScaleOptimizer({self.inner_optimizer!r}, "
                f"initial_scale={self.initial_scale!r}, "
                f"dynamic_growth_steps={self.dynamic_growth_steps!r})")
