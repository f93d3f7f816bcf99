"""A recorded op: its inputs, its backward rule and the tensors it saved.

An op computes its output array, then calls ``record_op(data, parents, backward, op_name, saved)``:
when recording is on and a parent requires a gradient, the output gets a ``Node`` holding the
backward rule (a closure ``g -> tuple of gradients, one per parent``). The versions of the saved
tensors are remembered so that an in-place change before ``backward()`` is an error, not a
silently wrong gradient.
"""

from __future__ import annotations

from collections.abc import Callable


class Node:
    """The graph record of one op application.

    ``fused`` marks a backward written as a raw array kernel: it is exact for first derivatives
    but records nothing, so differentiating it again (``create_graph=True``) raises.
    """

    __slots__ = ("op", "parents", "backward", "saved", "versions", "fused")

    def __init__(self, op: str, parents: tuple, backward: Callable, saved: tuple, fused: bool):
        self.op = op
        self.parents = parents
        self.backward = backward
        self.saved = saved
        self.versions = tuple(t._version for t in saved)
        self.fused = fused

    def check_versions(self) -> None:
        for t, v in zip(self.saved, self.versions):
            if t._version != v:
                raise RuntimeError(
                    f"{self.op}: a tensor of shape {t.shape} that it saved for backward was "
                    f"modified in place afterwards (version {v} -> {t._version}); the gradient "
                    "would be wrong. Clone the tensor before changing it, or change it before "
                    "using it."
                )

    def release(self) -> None:
        """Drop the backward closure and saved tensors (breaks reference cycles)."""
        self.backward = None
        self.saved = ()
        self.parents = ()
