"""What an optimizer keeps between steps, and how it is exported, restored and moved.

``get_state`` / ``set_state`` turn the step count and every per-parameter slot into NumPy
arrays and back, so a saved model (and BackupAndRestore) continues bit-identically; ``to``
moves the slots with their parameters. ``Optimizer`` (optimizers/base.py) inherits these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ember import backend
from ember.autograd.tensor import Tensor
from ember.backend import xp_of


def _scalar(arr: Any) -> Any:
    """The one value of a 0-d or one-element array (some writers store scalars as shape (1,))."""
    if arr.size != 1:
        raise ValueError(f"set_state: expected a single value; got an array of shape {arr.shape}")
    return arr.reshape(-1)[0].item()


class OptimizerState:
    """Export, restore and device moves of an optimizer's state (a mixin of ``Optimizer``)."""

    def to(self, device: Any) -> OptimizerState:
        """Move the per-parameter state (slots) to ``device``; returns self. ``model.to``
        calls it for a compiled model; call it yourself after moving parameters by hand."""
        dev = backend.normalize_device(device)
        for s in self._slots:
            if s:
                for name, arr in s.items():
                    s[name] = backend.to_device(arr, dev)
        self._work_buffers.clear()  # keyed by array type: rebuilt on the new device
        self._work_views.clear()
        return self

    # ------------------------------------------------------------------ state
    def variables(self) -> list:
        """The optimizer's arrays: ``iterations`` (a 0-d array copy) and every slot array (the
        live ones), in ``get_state`` order."""
        np = backend.numpy_module()
        out = [np.array(self.iterations, dtype="int64")]
        for s in self._slots:
            if s is not None:
                out.extend(s.values())
        return out

    def get_state(self) -> dict:
        """The state needed to continue bit-identically: NumPy copies keyed ``"iterations"``,
        ``"learning_rate"`` (when it is a number) and ``"<slot>/<parameter index>"``."""
        np = backend.numpy_module()
        state = {"iterations": np.array(self.iterations, dtype="int64")}
        if isinstance(self._learning_rate, float):
            state["learning_rate"] = np.array(self._learning_rate, dtype="float64")
        state.update(self._extra_state())
        for i, s in enumerate(self._slots):
            for name, arr in (s or {}).items():
                state[f"{name}/{i}"] = np.array(backend.to_numpy(arr), copy=True)
        return state

    def set_state(self, state: dict, params: Iterable | None = None) -> None:
        """Load ``get_state()``'s dictionary; ``params`` are the parameters in the order they
        had when it was saved (default: those already registered here). Everything is checked
        before anything changes: a bad state raises and leaves the optimizer as it was."""
        self.commit_state(self.prepare_state(state, params))

    def prepare_state(self, state: dict, params: Iterable | None = None) -> dict:
        """``set_state``'s checks and conversions, changing nothing: what ``commit_state``
        applies. A loader prepares the optimizer's state before it changes the weights."""
        owner = type(self).__name__
        if params is not None:
            plist, index = [], {}
            for p in params:
                if not isinstance(p, Tensor):
                    raise TypeError(f"{owner}.set_state: parameters must be ember Tensors; got "
                                    f"{type(p).__name__}")
                if id(p) not in index:
                    index[id(p)] = len(plist)
                    plist.append(p)
        else:
            plist, index = self._params, self._index
        state = {k: backend.to_numpy(v.data if isinstance(v, Tensor) else v)
                 for k, v in state.items()}
        if "iterations" not in state:
            raise ValueError(f"{owner}.set_state: the state has no 'iterations' entry")
        names = [n for n, _ in self._slot_specs()]
        loaded: list[dict] = [{} for _ in plist]
        for key, arr in state.items():
            if "/" not in key:
                continue
            name, _, idx = key.rpartition("/")
            if name not in names or not idx.isdigit():
                raise ValueError(f"{owner}.set_state: unexpected entry {key!r}; this optimizer "
                                 f"keeps the slots {names}")
            i = int(idx)
            if i >= len(plist):
                raise ValueError(f"{owner}.set_state: the state has slots for parameter {i} but "
                                 f"{len(plist)} parameters were given")
            data = plist[i].data
            shapes = self._slot_shapes(plist[i])
            if name not in shapes:
                raise ValueError(f"{owner}.set_state: unexpected entry {key!r}; parameter {i} "
                                 f"keeps the slots {sorted(shapes)}")
            if tuple(arr.shape) != shapes[name]:
                raise ValueError(f"{owner}.set_state: {key!r} has shape {arr.shape}; parameter "
                                 f"{i} has shape {tuple(data.shape)}")
            loaded[i][name] = xp_of(data).array(arr, dtype=data.dtype)
        for i, s in enumerate(loaded):
            missing = [n for n in self._slot_shapes(plist[i]) if n not in s]
            if s and missing:
                raise ValueError(f"{owner}.set_state: parameter {i} lacks the slots {missing}")
        iterations = _scalar(state["iterations"])
        if isinstance(iterations, bool) or not float(iterations).is_integer() \
                or iterations < 0:
            raise ValueError(f"{owner}.set_state: 'iterations' must be a whole number >= 0; "
                             f"got {iterations!r}")
        attrs = {"_params": plist, "_index": index, "_slots": [s or None for s in loaded],
                 "iterations": int(iterations)}
        if "learning_rate" in state and isinstance(self._learning_rate, float):
            lr = float(_scalar(state["learning_rate"]))
            if not lr >= 0.0 or lr == float("inf"):
                raise ValueError(f"{owner}.set_state: 'learning_rate' must be a finite number "
                                 f">= 0; got {lr!r}")
            attrs["_learning_rate"] = lr
        attrs.update(self._read_extra_state(state))
        return attrs

    def commit_state(self, prepared: dict) -> None:
        """Apply what ``prepare_state`` returned (cannot fail)."""
        for name, value in prepared.items():
            setattr(self, name, value)

    def _extra_state(self) -> dict:
        return {}

    def _read_extra_state(self, state: dict) -> dict:
        """The attributes a subclass restores from its ``_extra_state`` entries (checked)."""
        return {}
