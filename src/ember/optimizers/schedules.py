"""Learning-rate schedules: callables from the optimizer's step count to a learning rate.

Names, arguments and formulas follow ``keras.optimizers.schedules`` (Keras 3). A schedule is
evaluated by the optimizer at its ``iterations`` counter before each update (0 on the first
update) and returns a Python float, so it never changes the precision of the parameters.

Example:
    >>> import ember as em
    >>> lr = em.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> lr(0), lr(10), lr(20)
    (0.1, 0.05, 0.025)
    >>> opt = em.optimizers.SGD(learning_rate=lr)
"""

from __future__ import annotations

import math
from typing import Any


def _number(owner: str, name: str, value: Any) -> float:
    """``value`` as a Python number (ints stay ints, so configs read as they were written)."""
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{owner}: `{name}` must be a number; got {value!r}")
    if isinstance(value, int):
        return value
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: `{name}` must be a number; got {value!r}") from None
    if math.isnan(out):
        raise ValueError(f"{owner}: `{name}` must not be NaN")
    return out


def _positive(owner: str, name: str, value: Any) -> float:
    out = _number(owner, name, value)
    if not out > 0:
        raise ValueError(f"{owner}: `{name}` must be > 0; got {name}={value!r}")
    return out


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step) -> float`` and ``get_config()``.

    Example (a custom schedule):
        >>> import ember as em
        >>> class Halving(em.optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, lr):
        ...         self.lr = lr
        ...     def __call__(self, step):
        ...         return self.lr / 2 ** int(step)
        ...     def get_config(self):
        ...         return {"lr": self.lr}
        >>> Halving(1.0)(3)
        0.125
    """

    def __call__(self, step: Any) -> float:
        raise NotImplementedError(
            f"learning rate schedule {type(self).__name__} must override __call__(self, step)"
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"learning rate schedule {type(self).__name__} must override get_config() to be "
            "serializable"
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        """Rebuild a schedule from ``get_config()``'s dictionary."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the rate drops in
    discrete jumps every ``decay_steps`` steps.

    Example:
        >>> import ember as em
        >>> s = em.optimizers.schedules.ExponentialDecay(1.0, 2, 0.5, staircase=True)
        >>> [s(k) for k in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.decay_rate = _number(owner, "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    Example:
        >>> import ember as em
        >>> s = em.optimizers.schedules.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
        >>> [s(k) for k in range(6)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        owner = type(self).__name__
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"{owner}: `boundaries` must have one element fewer than `values`; got "
                f"boundaries={boundaries} (length {len(boundaries)}) and values={values} "
                f"(length {len(values)})"
            )
        if any(not b < a for b, a in zip(boundaries, boundaries[1:])):
            raise ValueError(f"{owner}: `boundaries` must increase strictly; got {boundaries}")
        self.boundaries = [_number(owner, "boundaries", b) for b in boundaries]
        self.values = [_number(owner, "values", v) for v in values]
        self.name = name

    def __call__(self, step: Any) -> float:
        s = float(step)
        for boundary, value in zip(self.boundaries, self.values):
            if s <= boundary:
                return value
        return self.values[-1]

    def get_config(self) -> dict:
        return {"boundaries": list(self.boundaries), "values": list(self.values),
                "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is floored.

    Example:
        >>> import ember as em
        >>> s = em.optimizers.schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
        >>> s(0), s(2)
        (1.0, 0.5)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.decay_rate = _number(owner, "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> float:
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decay from ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps``:
    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.

    With ``cycle=True`` the decay restarts: ``decay_steps`` is replaced by the first multiple of
    it that is >= ``step`` (``decay_steps`` itself at step 0).

    Example:
        >>> import ember as em
        >>> s = em.optimizers.schedules.PolynomialDecay(1.0, 4, end_learning_rate=0.0)
        >>> [s(k) for k in (0, 1, 4, 8)]
        [1.0, 0.75, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.end_learning_rate = _number(owner, "end_learning_rate", end_learning_rate)
        self.power = _number(owner, "power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: Any) -> float:
        s = float(step)
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps *= 1.0 if s == 0 else math.ceil(s / decay_steps)
        else:
            s = min(s, decay_steps)
        p = s / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - p) ** self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay with an optional linear warmup (Loshchilov & Hutter; Goyal et al.).

    Without ``warmup_target``: ``lr(step) = initial * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``.

    With ``warmup_target``: for ``step < warmup_steps`` the rate rises linearly,
    ``initial + (warmup_target - initial) * step / warmup_steps``; afterwards it decays as above
    from ``warmup_target`` (not ``initial``) over ``decay_steps`` steps counted from the end of
    the warmup.

    Example:
        >>> import ember as em
        >>> s = em.optimizers.schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=5)
        >>> [round(s(k), 4) for k in (0, 1, 5, 10, 15, 30)]
        [0.0, 0.2, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: float = 0) -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.alpha = _number(owner, "alpha", alpha)
        self.name = name
        self.warmup_target = (None if warmup_target is None
                              else _number(owner, "warmup_target", warmup_target))
        self.warmup_steps = _number(owner, "warmup_steps", warmup_steps)
        if self.warmup_steps < 0:
            raise ValueError(f"{owner}: `warmup_steps` must be >= 0; got {warmup_steps!r}")

    def _decay(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: Any) -> float:
        s = float(step)
        if self.warmup_target is None:
            return self._decay(min(s, self.decay_steps), self.initial_learning_rate)
        s = min(s, self.decay_steps + self.warmup_steps)
        if s < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return delta * (s / self.warmup_steps) + self.initial_learning_rate
        return self._decay(s - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): the multiplier decays from 1 to ``alpha`` over
    ``first_decay_steps``, then restarts; period ``i`` lasts ``first_decay_steps * t_mul**i``
    steps and starts from ``m_mul**i`` times the initial rate.

    Example:
        >>> import ember as em
        >>> s = em.optimizers.schedules.CosineDecayRestarts(1.0, 4, t_mul=1.0)
        >>> [round(s(k), 4) for k in (0, 2, 4, 6)]
        [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: float,
                 t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                 name: str = "SGDRDecay") -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _number(owner, "initial_learning_rate",
                                             initial_learning_rate)
        self.first_decay_steps = _positive(owner, "first_decay_steps", first_decay_steps)
        self.t_mul = _positive(owner, "t_mul", t_mul)
        self.m_mul = _number(owner, "m_mul", m_mul)
        self.alpha = _number(owner, "alpha", alpha)
        self.name = name

    def __call__(self, step: Any) -> float:
        fraction = float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            # Periods grow geometrically: find the period `restart` that holds `fraction`.
            restart = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul))
                                 / math.log(self.t_mul))
            done = (1.0 - self.t_mul ** restart) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul ** restart
        cosine = 0.5 * self.m_mul ** restart * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, InverseTimeDecay, PolynomialDecay, CosineDecay,
    CosineDecayRestarts)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"class_name": ..., "config": ...}``: a JSON-ready description of ``schedule``.

    Example:
        >>> import ember as em
        >>> em.optimizers.schedules.serialize(em.optimizers.schedules.InverseTimeDecay(1., 1, 1.))
        ... # doctest: +NORMALIZE_WHITESPACE
        {'class_name': 'InverseTimeDecay', 'config': {'initial_learning_rate': 1.0,
         'decay_steps': 1, 'decay_rate': 1.0, 'staircase': False, 'name': 'InverseTimeDecay'}}
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"schedules.serialize: expected a LearningRateSchedule; got {schedule!r}")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Rebuild a schedule from ``serialize``'s dictionary; ``custom_objects`` maps the class
    names of user-defined schedules to their classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "schedules.deserialize: expected {'class_name': ..., 'config': {...}}; got "
            f"{config!r}"
        )
    known = {**_SCHEDULES, **(custom_objects or {})}
    name = config["class_name"]
    if name not in known:
        raise ValueError(
            f"schedules.deserialize: unknown schedule {name!r}; known: {sorted(known)} (pass "
            "custom_objects={name: cls} for your own)"
        )
    return known[name].from_config(dict(config.get("config", {})))


__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "InverseTimeDecay", "PolynomialDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]
