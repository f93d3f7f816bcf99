"""The checks a layer runs on its inputs, with errors that name the layer, what it got and
what it expected (a mixin of ``Layer``)."""

from __future__ import annotations

from typing import Any


class InputChecks:
    """``_expect_features`` (set at build, checked on every call) and ``_check_rank``."""

    name: str

    def _expect_features(self, axis: int, size: int, word: str = "features",
                         min_ndim: int = 1) -> None:
        """After build: every call checks that ``inputs.shape[axis] == size`` (and the rank)."""
        object.__setattr__(self, "_feature_spec", (axis, int(size), word, min_ndim))

    def _raise_feature_error(self, inputs: Any) -> None:
        axis, size, word, min_ndim = self._feature_spec
        shape = tuple(inputs.shape)
        if len(shape) < min_ndim or not -len(shape) <= axis < len(shape):
            self._check_rank(inputs, min_ndim, None, at_least=True)
        raise ValueError(f"{type(self).__name__} '{self.name}' was built for inputs with {size} "
                         f"{word}; got {shape[axis]} (input shape {shape})")

    def _check_rank(self, inputs: Any, expected_ndim: int, layout_hint: Any,
                    at_least: bool = False) -> None:
        """Raise a clear error unless ``inputs`` has ``expected_ndim`` axes (or more, with
        ``at_least``). ``layout_hint`` names the axes: "(batch, height, width, channels)"."""
        ndim = len(inputs.shape)
        if ndim == expected_ndim or at_least and ndim > expected_ndim:
            return
        names = _axis_names(layout_hint, expected_ndim)
        layout = "(" + ", ".join(names) + ")"
        if at_least:
            layout = f"at least {expected_ndim} axes {layout}"
        fix = ""
        if ndim == expected_ndim - 1:
            fix = (f" — add a {names[-1]} axis, e.g. x[..., None]" if ndim > 1
                   else " — add a batch axis, e.g. x[None] for one sample")
        elif ndim > expected_ndim and not at_least:
            fix = " — merge or remove the extra axes (e.g. a Reshape or Flatten layer)"
        raise ValueError(f"{type(self).__name__} '{self.name}' expects {layout}; got "
                         f"{tuple(inputs.shape)}{fix}")


def _axis_names(layout_hint: Any, ndim: int) -> list[str]:
    if layout_hint is None:
        return ["batch"] + ["..."] * max(ndim - 2, 0) + ["features"]
    if isinstance(layout_hint, str):
        return [s.strip() for s in layout_hint.strip("() ").split(",")]
    return [str(s) for s in layout_hint]
