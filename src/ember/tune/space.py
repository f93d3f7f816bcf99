"""Search spaces written as a dict, and the model ``search`` builds from one.

Each entry is one hyperparameter:

- ``("log", 1e-4, 1e-1)``: a float drawn on a log scale (an int when both bounds are ints);
- ``("float", 0.0, 0.5)`` or ``(0.0, 0.5)``: a float; ``("float", 0.0, 0.5, 0.1)`` with a step;
- ``("int", 1, 3)`` or ``(1, 3)``: an integer, both ends included; ``("int", 16, 128, 16)``;
- ``[32, 64, 128]`` or ``["relu", "tanh"]``: one of the choices;
- a plain value (``64``, ``"adam"``): fixed, not searched.

Example:
    >>> from ember.tune import parse_space
    >>> space = parse_space({"learning_rate": ("log", 1e-4, 1e-1), "units": [32, 64],
    ...                      "layers": (1, 3), "optimizer": "adam"})
    >>> space["learning_rate"]
    Param(name='learning_rate', kind='float', low=0.0001, high=0.1, step=None, log=True, choices=())
    >>> space["optimizer"].kind
    'fixed'
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

# the keys the default model understands, and what each must be
MODEL_KEYS = {
    "learning_rate": "a positive float",
    "units": "a positive int (units in each hidden layer)",
    "layers": "a positive int (number of hidden layers)",
    "activation": "an activation name such as 'relu'",
    "optimizer": "an optimizer name such as 'adam'",
    "l1": "a float >= 0 (L1 penalty on the hidden kernels)",
    "l2": "a float >= 0 (L2 penalty on the hidden kernels)",
    "dropout": "a float in [0, 1) (after each hidden layer)",
    "batch_norm": "True or False (BatchNormalization after each hidden layer)",
    "batch_size": "a positive int",
    "epochs": "a positive int",
}
ALIASES = {"lr": "learning_rate", "n_layers": "layers", "num_layers": "layers",
           "hidden_units": "units", "n_units": "units"}
_KINDS = {"log": "log", "loguniform": "log", "float": "float", "uniform": "float",
          "int": "int"}
_EXAMPLES = ("('log', 1e-4, 1e-1), ('int', 1, 3), (0.0, 0.5), [32, 64, 128] or a fixed value "
             "such as 64")


@dataclass(frozen=True)
class Param:
    """One hyperparameter: ``kind`` is "float", "int", "categorical" or "fixed"."""

    name: str
    kind: str
    low: Any = None
    high: Any = None
    step: Any = None
    log: bool = False
    choices: tuple = ()

    def suggest(self, trial: Any) -> Any:
        """The value ``trial`` proposes (or the fixed value)."""
        if self.kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, step=self.step,
                                       log=self.log)
        if self.kind == "int":
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1,
                                     log=self.log)
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        return self.choices[0]

    def values(self) -> list:
        """Every value this parameter can take, where that is a short list (for checks)."""
        if self.kind in ("categorical", "fixed"):
            return list(self.choices)
        return [self.low, self.high]


def _error(name: str, spec: Any, why: str) -> ValueError:
    return ValueError(f"search space entry {name!r}: {why}; got {spec!r}. Write an entry as "
                      f"{_EXAMPLES}")


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _range(name: str, spec: Any, kind: str, args: tuple) -> Param:
    if len(args) not in (2, 3):
        raise _error(name, spec, f"a {kind!r} range needs (low, high) or (low, high, step)")
    if not all(_is_number(a) for a in args):
        raise _error(name, spec, "the bounds and step must be numbers")
    low, high = args[0], args[1]
    step = args[2] if len(args) == 3 else None
    log = kind == "log"
    as_int = kind == "int" or (log and all(isinstance(a, Integral) for a in args[:2]))
    if as_int and not all(isinstance(a, Integral) for a in args):
        raise _error(name, spec, "an integer range needs integer bounds and step")
    if low > high:
        raise _error(name, spec, f"low ({low}) is greater than high ({high})")
    if log and low <= 0:
        raise _error(name, spec, "a log scale needs low > 0")
    if step is not None and (step <= 0 or log):
        raise _error(name, spec, "step must be > 0 and cannot be combined with a log scale")
    if as_int:
        return Param(name, "int", int(low), int(high), None if step is None else int(step), log)
    return Param(name, "float", float(low), float(high),
                 None if step is None else float(step), log)


def parse_entry(name: str, spec: Any) -> Param:
    """One ``Param`` from one entry of a search-space dict (see the module docstring)."""
    if isinstance(spec, list):
        if not spec:
            raise _error(name, spec, "an empty list of choices")
        bad = [c for c in spec if not (c is None or isinstance(c, (bool, int, float, str)))]
        if bad:
            raise _error(name, spec, f"choices must be None, bools, numbers or strings (Optuna "
                                     f"stores them); {bad[0]!r} is not")
        return Param(name, "categorical", choices=tuple(spec))
    if isinstance(spec, tuple):
        if spec and isinstance(spec[0], str):
            kind = _KINDS.get(spec[0].lower())
            if kind is None:
                raise _error(name, spec, f"unknown kind {spec[0]!r}; use one of "
                                         f"{sorted(_KINDS)}")
            return _range(name, spec, kind, spec[1:])
        if len(spec) == 2 and all(_is_number(a) for a in spec):
            kind = "int" if all(isinstance(a, Integral) for a in spec) else "float"
            return _range(name, spec, kind, spec)
        raise _error(name, spec, "a tuple is a range (low, high); use a list for choices")
    if spec is None or isinstance(spec, (bool, int, float, str)):
        return Param(name, "fixed", choices=(spec,))
    raise _error(name, spec, f"a {type(spec).__name__} is not a search-space entry")


def parse_space(space: dict, model_keys: bool = True) -> dict[str, Param]:
    """Check a search-space dict and turn it into ``{name: Param}``.

    With ``model_keys`` (the space drives the default model), only the keys of
    ``MODEL_KEYS`` (or their aliases ``lr``, ``n_layers``, ...) are allowed, and their values
    are checked (positive units, known activation and optimizer names, ...).
    """
    if not isinstance(space, dict) or not space:
        raise ValueError(f"a search space must be a non-empty dict such as "
                         f"{{'learning_rate': ('log', 1e-4, 1e-1), 'units': [32, 64]}}; got "
                         f"{space!r}")
    params: dict[str, Param] = {}
    for key, spec in space.items():
        if not isinstance(key, str):
            raise ValueError(f"search space keys must be strings; got {key!r}")
        name = ALIASES.get(key, key) if model_keys else key
        if model_keys and name not in MODEL_KEYS:
            raise ValueError(f"search space: unknown hyperparameter {key!r} for the default "
                             f"model; known: {sorted(MODEL_KEYS)}. For anything else write "
                             "build(trial) -> compiled model yourself")
        if name in params:
            raise ValueError(f"search space: {key!r} is given twice (an alias of {name!r})")
        params[name] = parse_entry(name, spec)
        if model_keys:
            _check_model_values(params[name])
    return params


def _check_model_values(p: Param) -> None:
    from ember import activations, optimizers

    want = MODEL_KEYS[p.name]
    for v in p.values():
        if p.name in ("units", "layers", "batch_size", "epochs"):
            ok = isinstance(v, Integral) and not isinstance(v, bool) and v >= 1
        elif p.name == "learning_rate":
            ok = _is_number(v) and v > 0
        elif p.name in ("l1", "l2"):
            ok = _is_number(v) and v >= 0
        elif p.name == "dropout":
            ok = _is_number(v) and 0 <= v < 1
        elif p.name == "batch_norm":
            ok = isinstance(v, bool)
        else:
            ok = isinstance(v, str)
            if ok:
                try:
                    (activations if p.name == "activation" else optimizers).get(v)
                except (ValueError, KeyError) as exc:
                    raise ValueError(f"search space {p.name!r}: {exc}") from None
        if not ok:
            raise ValueError(f"search space {p.name!r}: {v!r} is not {want}")


def suggest(trial: Any, space: dict | dict[str, Param]) -> dict:
    """The values ``trial`` proposes for every entry of ``space`` (a dict of specs or of
    ``Param``), fixed entries included. Use it inside your own ``build(trial)``."""
    params = space if all(isinstance(p, Param) for p in space.values()) \
        else parse_space(space, model_keys=False)
    return {name: p.suggest(trial) for name, p in params.items()}
