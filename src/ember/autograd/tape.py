"""``GradientTape``: TensorFlow's recorder, over ember's define-by-run autograd.

ember records every op on tensors that require grad, so the tape does not record anything
itself: entering it switches recording on (also inside ``no_grad``), ``watch`` makes a
constant tensor tracked from then on, and ``gradient`` walks the graph back from the target
(``em.autograd.grad``). A non-persistent tape answers once and frees the graph; a tape
used while an outer tape is recording keeps its backward pass recorded so the outer one can
differentiate it again (second derivatives, as nested ``tf.GradientTape``).

Example:
    >>> import ember as em
    >>> x = em.tensor(3.0)
    >>> with em.GradientTape() as outer:
    ...     outer.watch(x)
    ...     with em.GradientTape() as inner:
    ...         inner.watch(x)
    ...         y = x ** 3
    ...     dy = inner.gradient(y, x)     # 3 x^2 = 27
    >>> outer.gradient(dy, x)            # 6 x = 18
    tensor(18.)
"""

from __future__ import annotations

from typing import Any

from ember import backend
from ember.autograd.engine import grad as _grad
from ember.autograd.mode import STATE
from ember.autograd.tensor import Tensor

_ACTIVE: list[GradientTape] = []  # the tapes now recording, innermost last


def _flatten(structure: Any) -> tuple[list, Any]:
    """The tensors of a (nested) list / tuple / dict, and a function putting results back."""
    if isinstance(structure, dict):
        keys = list(structure)
        parts = [_flatten(structure[k]) for k in keys]

        def rebuild_dict(flat: list) -> dict:
            out, i = {}, 0
            for k, (items, rebuild) in zip(keys, parts):
                out[k] = rebuild(flat[i:i + len(items)])
                i += len(items)
            return out
        return [t for items, _ in parts for t in items], rebuild_dict
    if isinstance(structure, (list, tuple)):
        parts = [_flatten(s) for s in structure]
        kind = type(structure)

        def rebuild_seq(flat: list) -> Any:
            out, i = [], 0
            for items, rebuild in parts:
                out.append(rebuild(flat[i:i + len(items)]))
                i += len(items)
            return out if kind is list else tuple(out)
        return [t for items, _ in parts for t in items], rebuild_seq
    return [structure], lambda flat: flat[0]


class GradientTape:
    """Record a computation and take its gradients (``tf.GradientTape``).

    Args:
        persistent: allow several ``gradient`` calls (the graph is kept until the tape is
            deleted); by default a second call raises, as in TensorFlow.
        watch_accessed_variables: accepted for TensorFlow's signature; trainable weights
            are always tracked in ember.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        if not isinstance(persistent, bool):
            raise TypeError(f"GradientTape: persistent must be True or False; got "
                            f"{persistent!r}")
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: list[Tensor] = []
        self._used = False
        self._recording = False

    def __enter__(self) -> GradientTape:
        self._prev = STATE.enabled
        STATE.enabled = True
        self._recording = True
        _ACTIVE.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        STATE.enabled = self._prev
        self._recording = False
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    def watch(self, tensor: Any) -> None:
        """Track ``tensor`` (or a nested structure of them) from now on, as TensorFlow's
        ``watch`` does for a constant."""
        for t in _flatten(tensor)[0]:
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch: expected an ember tensor; got "
                                f"{type(t).__name__} (wrap it with em.tensor(...))")
            if t.data.dtype.kind != "f":
                raise TypeError(f"GradientTape.watch: only floating-point tensors have "
                                f"gradients; got {t.data.dtype.name}")
            if not t.requires_grad:
                t.requires_grad = True
            self._watched.append(t)

    def watched_variables(self) -> list[Tensor]:
        """The tensors given to ``watch``."""
        return list(self._watched)

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: str = "none") -> Any:
        """d(target)/d(sources), shaped like ``sources`` (a tensor, list, tuple or dict).

        A non-scalar target is summed first (TensorFlow's rule); ``output_gradients`` weights
        it instead. A source the target does not depend on gets None (or zeros with
        ``unconnected_gradients="zero"``).

        Example:
            >>> import ember as em
            >>> w = em.tensor([1.0, 2.0], requires_grad=True)
            >>> with em.GradientTape() as tape:
            ...     loss = (w * w).sum()
            >>> tape.gradient(loss, [w])
            [tensor([2., 4.])]
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"GradientTape.gradient: unconnected_gradients must be 'none' or "
                             f"'zero'; got {unconnected_gradients!r}")
        if self._used and not self.persistent:
            raise RuntimeError("GradientTape.gradient can only be called once on a "
                               "non-persistent tape; create it with "
                               "GradientTape(persistent=True) to take several gradients")
        targets, _ = _flatten(target)
        flat, rebuild = _flatten(sources)
        for i, s in enumerate(flat):
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient: source {i} is a "
                                f"{type(s).__name__}, not an ember tensor")
        # an outer tape still recording differentiates this backward pass again
        outer = any(t is not self and t._recording for t in _ACTIVE)
        keep = self.persistent or outer
        tracked = [i for i, s in enumerate(flat) if s.requires_grad]
        results: list = [None] * len(flat)
        for k, tgt in enumerate(targets):
            if not isinstance(tgt, Tensor) or not tgt.requires_grad or not tracked:
                continue
            seed = _seed(tgt, output_gradients, k, len(targets))
            prev = STATE.enabled
            STATE.enabled = True
            try:
                grads = _grad(tgt, [flat[i] for i in tracked], grad_outputs=seed,
                              retain_graph=keep or k < len(targets) - 1, create_graph=outer,
                              allow_unused=True)
            finally:
                STATE.enabled = prev
            for i, g in zip(tracked, grads):
                if g is not None:
                    results[i] = g if results[i] is None else results[i] + g
        self._used = True
        if unconnected_gradients == "zero":
            results = [_like(s, 0.0) if r is None else r for r, s in zip(results, flat)]
        return rebuild(results)

    def stop_recording(self) -> _Paused:
        """A context in which ops are not recorded (``with tape.stop_recording(): ...``)."""
        return _Paused()

    def reset(self) -> None:
        """Forget what was watched and allow a new ``gradient`` call."""
        self._watched = []
        self._used = False


class _Paused:
    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc: Any) -> None:
        STATE.enabled = self._prev


def _seed(target: Tensor, output_gradients: Any, k: int, n: int) -> Any:
    if output_gradients is not None:
        return output_gradients[k] if n > 1 else output_gradients
    if target.data.size == 1:
        return None
    return _like(target, 1.0)  # TensorFlow differentiates the sum of a non-scalar target


def _like(t: Tensor, value: float) -> Tensor:
    xp = backend.get_array_module(t.data)
    return Tensor(xp.full(t.data.shape, value, dtype=t.data.dtype))
