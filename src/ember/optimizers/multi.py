"""``MultiOptimizer`` and ``OptimizerMap``: different optimizers for different variables, as
Keras 3.15 (``keras.optimizers.MultiOptimizer`` / ``OptimizerMap``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from ember import backend
from ember.optimizers.base import Optimizer
from ember.optimizers.loss_scale import LossScaleOptimizer
from ember.optimizers.validation import _as_float
from ember.optimizers.wrapping import WrappingOptimizer


def _check_inner(owner: str, opt: Any) -> None:
    if not isinstance(opt, Optimizer):
        raise TypeError(f"{owner}: expected an ember Optimizer; got {type(opt).__name__}")
    if isinstance(opt, (LossScaleOptimizer, MultiOptimizer)):
        raise ValueError(f"{owner}: the optimizer cannot be a {type(opt).__name__}")


class OptimizerMap(MutableMapping):
    """Variable paths (exact, else regexes matched with ``re.fullmatch``) -> optimizers, with
    a default for the variables no key matches.

    Example:
        >>> import ember as em
        >>> m = em.optimizers.OptimizerMap(em.optimizers.RMSprop())
        >>> m["encoder/.*"] = em.optimizers.Adam()
        >>> m["encoder/dense/kernel"].name, m["decoder/dense/kernel"].name
        ('adam', 'rmsprop')
    """

    def __init__(self, default_optimizer: Optimizer, optimizer_map: dict | None = None) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("OptimizerMap: `default_optimizer` must be an ember Optimizer; got "
                            f"{type(default_optimizer).__name__}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError("OptimizerMap: `optimizer_map` must be a dict of path -> "
                            f"optimizer; got {type(optimizer_map).__name__}")
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = {}
        for key, opt in (optimizer_map or {}).items():
            self[key] = opt

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        hits = [k for k in self._optimizer_map if re.fullmatch(k, key)]
        if len(hits) > 1:
            raise ValueError(f"OptimizerMap: several optimizers are assigned to the variable "
                             f"{key!r} (the patterns {hits} all match)")
        return self._optimizer_map[hits[0]] if hits else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: a key must be a string; got {key!r}")
        if key in self._optimizer_map:
            raise ValueError(f"OptimizerMap: {key!r} is already in the map (with "
                             f"{self._optimizer_map[key]!r}); keys must not repeat")
        _check_inner("OptimizerMap", optimizer)
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        return self[_path(variable)]

    def get_config(self) -> dict:
        from ember.serialization import serialize

        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> OptimizerMap:
        from ember.serialization import deserialize

        default = deserialize(config["default_optimizer"], custom_objects)
        mapping = {k: deserialize(v, custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)

    def __repr__(self) -> str:
        return f"OptimizerMap({self._default_optimizer!r}, {self._optimizer_map!r})"


def _path(variable: Any) -> str:
    path = getattr(variable, "path", None) or getattr(variable, "name", None)
    if not isinstance(path, str):
        raise ValueError("OptimizerMap: the variable has no `path` (an ember Variable's, "
                         f"e.g. 'dense/kernel') to look up; got {type(variable).__name__}")
    return path


class MultiOptimizer(WrappingOptimizer):
    """Hands each variable's gradient to the optimizer ``optimizer_map(variable)`` picks (an
    ``OptimizerMap`` or any callable variable -> optimizer); the choice is made once per
    variable. ``iterations`` counts the MultiOptimizer's updates; each sub-optimizer counts
    its own. As in Keras, it has no ``learning_rate`` (set it on the sub-optimizers).

    Args:
        optimizer_map: an ``OptimizerMap`` or a callable ``variable -> Optimizer``.
        loss_scale_factor: if set, ``model.fit`` multiplies the loss by it and the gradients
            are divided by it before the sub-optimizers' steps. Defaults to None.
        name: a name for the optimizer.

    Example:
        >>> import ember as em
        >>> model = em.Sequential([em.layers.Dense(2, input_shape=(3,), name="head")])
        >>> opt = em.optimizers.MultiOptimizer(em.optimizers.OptimizerMap(
        ...     em.optimizers.SGD(0.1), {"head/bias": em.optimizers.Adam(0.01)}))
        >>> model.compile(optimizer=opt, loss="mse")
        >>> _ = model.fit(em.ones((4, 3)), em.zeros((4, 2)), verbose=0)
        >>> [o.iterations for o in opt.optimizers], opt.iterations
        ([1, 1], 1)
    """

    def __init__(self, optimizer_map: OptimizerMap | Callable, loss_scale_factor: float | None
                 = None, name: str | None = None) -> None:
        if not callable(optimizer_map):
            raise TypeError("MultiOptimizer: `optimizer_map` must be an OptimizerMap or a "
                            "callable variable -> optimizer; got "
                            f"{type(optimizer_map).__name__}")
        super().__init__(0.0, name=name if name is not None else "multi_optimizer")
        self.loss_scale_factor = (None if loss_scale_factor is None else _as_float(
            "MultiOptimizer", "loss_scale_factor", loss_scale_factor, low=0.0, low_open=True))
        self._optimizer_map = optimizer_map
        self._inner: list[Optimizer] = []
        if isinstance(optimizer_map, OptimizerMap):
            for opt in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                if all(opt is not o for o in self._inner):
                    self._inner.append(opt)
        self._owner: dict[int, int] = {}  # id(param) -> index in self._inner

    @property
    def optimizers(self) -> list[Optimizer]:
        """The sub-optimizers, in the order they were met."""
        return self._inner

    @property
    def learning_rate(self) -> float:
        raise AttributeError("MultiOptimizer has no learning rate (each sub-optimizer has its "
                             "own): use opt.optimizers[i].learning_rate")

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if getattr(self, "_inner", None) is not None:  # not during the base's __init__
            raise AttributeError("MultiOptimizer: set the learning rate on the "
                                 "sub-optimizers (opt.optimizers[i].learning_rate)")

    def _sub(self, p: Any) -> Optimizer:
        k = self._owner.get(id(p))
        if k is None:
            opt = self._optimizer_map(p)
            _check_inner("MultiOptimizer", opt)
            k = next((i for i, o in enumerate(self._inner) if o is opt), None)
            if k is None:
                k = len(self._inner)
                self._inner.append(opt)
            self._owner[id(p)] = k
        return self._inner[k]

    def build(self, params: Iterable) -> None:
        for p in params:
            self._register(p)
            self._sub(p).build([p])

    def scale_loss(self, loss: Any) -> Any:
        """``loss * loss_scale_factor`` (the loss itself without one)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _build_for(self, params: list) -> None:
        self.build(params)

    def _hand_over(self, pairs: list) -> None:
        groups: dict[int, list] = {}
        for g, p in pairs:
            if self.loss_scale_factor is not None:
                g = g / self.loss_scale_factor
            groups.setdefault(self._owner[id(p)], []).append((g, p))
        for k in sorted(groups):
            self._inner[k].apply_gradients(groups[k])
        self.iterations += 1

    def to(self, device: Any) -> MultiOptimizer:
        for opt in self._inner:
            opt.to(device)
        return self

    # ------------------------------------------------------------------ state
    # Each sub-optimizer's entries are saved as "<k>:<name>/<i>", with ``i`` the parameter's
    # index among all of the MultiOptimizer's (the model's order), so a loader can hand each
    # sub-optimizer its own parameters again.
    def variables(self) -> list:
        np = backend.numpy_module()
        out = [np.array(self.iterations, dtype="int64")]
        for opt in self._inner:
            out.extend(opt.variables())
        return out

    def get_state(self) -> dict:
        np = backend.numpy_module()
        state = {"iterations": np.array(self.iterations, dtype="int64")}
        for k, opt in enumerate(self._inner):
            local = {id(p): i for i, p in enumerate(opt._params)}
            to_global = {local[id(p)]: j for j, p in enumerate(self._params)
                         if id(p) in local}
            for key, arr in opt.get_state().items():
                name, sep, idx = key.rpartition("/")
                if sep and idx.isdigit():
                    key = f"{name}/{to_global[int(idx)]}"
                state[f"{k}:{key}"] = arr
        return state

    def prepare_state(self, state: dict, params: Iterable | None = None) -> dict:
        from ember.optimizers.state import _scalar

        plist = list(self._params if params is None else params)
        if "iterations" not in state:
            raise ValueError("MultiOptimizer.set_state: the state has no 'iterations' entry")
        owners = [self._owner.get(id(p)) for p in plist]
        subs = [self._optimizer_map(p) if k is None else self._inner[k]
                for p, k in zip(plist, owners)]
        inner = list(self._inner)
        for opt in subs:
            _check_inner("MultiOptimizer", opt)
            if all(opt is not o for o in inner):
                inner.append(opt)
        kof = [next(i for i, o in enumerate(inner) if o is opt) for opt in subs]
        prepared = []
        for k, opt in enumerate(inner):
            mine = [j for j, kk in enumerate(kof) if kk == k]
            local = {j: i for i, j in enumerate(mine)}
            sub: dict = {}
            for key, arr in state.items():
                head, sep, rest = key.partition(":")
                if not sep or head != str(k):
                    continue
                name, slash, idx = rest.rpartition("/")
                if slash and idx.isdigit():
                    if int(idx) not in local:
                        raise ValueError(f"MultiOptimizer.set_state: {key!r} is for parameter "
                                         f"{idx}, which sub-optimizer {k} does not update")
                    rest = f"{name}/{local[int(idx)]}"
                sub[rest] = arr
            if sub:
                prepared.append((opt, opt.prepare_state(sub, [plist[j] for j in mine])))
        iterations = int(_scalar(backend.to_numpy(state["iterations"])))
        return {"inner": inner, "prepared": prepared, "iterations": iterations,
                "params": plist, "kof": kof}

    def commit_state(self, prepared: dict) -> None:
        self._inner = prepared["inner"]
        for opt, sub in prepared["prepared"]:
            opt.commit_state(sub)
        self.iterations = prepared["iterations"]
        self._params, self._index, self._owner = [], {}, {}
        self._slots = []
        for p, k in zip(prepared["params"], prepared["kof"]):
            self._register(p)
            self._owner[id(p)] = k

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        from ember.serialization import serialize

        return {"optimizer_map": serialize(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> MultiOptimizer:
        from ember.serialization import deserialize

        config = dict(config)
        if isinstance(config.get("optimizer_map"), dict):
            config["optimizer_map"] = deserialize(config["optimizer_map"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"MultiOptimizer({self._optimizer_map!r}, name={self.name!r})"
