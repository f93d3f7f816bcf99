"""What happens when the training loss becomes NaN or inf.

By default (``compile(..., stop_on_nan=True)``) the step whose loss is not finite applies no
update: the trainer reads the loss (one float it reads anyway for the logs) before the
backward pass and the optimizer, so the weights stay those of the last finite step, and the
non-trainable state a forward pass changes in place (BatchNormalization's moving statistics)
is put back from a copy taken before the step. ``fit`` then raises ``NonFiniteLossError``
naming the epoch, the step, the first layer whose output was not finite and the usual causes.

A diverging run can overflow in the backward pass first: a finite loss of 1e35 whose gradient
is inf would make every weight NaN. So a step whose loss is above ``HUGE_LOSS`` (1e12; no
healthy step pays for this) also has its gradients looked at before the update. Should an
overflow still slip through (a gradient going from finite to inf below that loss), the message
says that the weights are already not finite rather than claiming them good.

Finding that layer costs nothing on healthy steps: only after the loss has gone bad is the
batch run forward once more with every layer's ``call`` wrapped to look at its output, in the
order the layers finish (an inner layer before the block that holds it).

``compile(..., stop_on_nan=False)`` keeps going as Keras does: the update is applied and the
loss is reported as ``nan``; ``em.callbacks.TerminateOnNaN`` then stops at the end of the
batch, as in Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.autograd.mode import no_grad
from ember.autograd.tensor import Tensor
from ember.layers.call_watch import watch_calls

CAUSES = ("usual causes: a learning rate too high (try 10x smaller, or gradient clipping with "
          "clipnorm=1.0), inputs not scaled (e.g. pixels 0-255 instead of x / 255.0, or "
          "features of very different sizes: standardize them), or the log of zero (a "
          "probability of exactly 0 or 1 fed to a cross-entropy; pass logits with "
          "from_logits=True). compile(..., stop_on_nan=False) keeps training as Keras does")


# Above this, a step's loss is a sign of divergence, and the gradients are looked at before
# the update (float32 overflows at 3.4e38; a diverging loss passes through this range first).
HUGE_LOSS = 1e12


class NonFiniteLossError(FloatingPointError):
    """The training loss (or, for a huge loss, its gradient) became NaN or inf. ``layer``
    names the first layer whose output was not finite; ``gradient`` is True when the loss was
    finite but its gradient was not."""

    def __init__(self, message: str, layer: str | None = None, value: float | None = None,
                 gradient: bool = False) -> None:
        super().__init__(message)
        self.layer, self.value, self.gradient = layer, value, gradient


def nonfinite_gradients(params: list) -> list:
    """The weights whose gradient holds NaN or inf (a pass over the gradients: only paid on
    steps whose loss is above ``HUGE_LOSS``)."""
    return [p for p in params if p.grad is not None and _not_finite(p.grad)]


def _not_finite(value: Any) -> bool:
    from ember.backend import xp_of

    for t in _leaves(value):
        data = t.data if isinstance(t, Tensor) else t
        if hasattr(data, "dtype") and data.dtype.kind in "fc" and data.size:
            if not bool(xp_of(data).isfinite(data).all()):
                return True
    return False


def _leaves(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    return [value]


def first_nonfinite_layer(model: Any, inputs: Any) -> tuple[str | None, str]:
    """Run ``inputs`` forward once (training mode, no recording) and return the name and class
    of the first layer, in the order layers finish, whose output holds NaN or inf."""
    layers = [layer for layer in model._walk() if layer is not model]
    with watch_calls(layers) as seen, no_grad(), np.errstate(all="ignore"):
        try:  # the overflows are what is looked for
            model(inputs, training=True)
        except Exception:  # noqa: BLE001 - a diagnosis must not hide the original error
            pass
    for layer, out in seen:
        if _not_finite(out):
            return layer.name, type(layer).__name__
    return None, ""


def describe(model: Any, inputs: Any, loss_value: float, where: str, who: str = "fit",
             params: list | None = None, gradient: bool = False) -> tuple[str, str | None]:
    """The message for a non-finite loss (or gradient) in ``who`` at ``where`` ("epoch 3,
    step 120"), and the name of the first non-finite layer (None when every layer's output is
    finite)."""
    params = params or []
    if gradient:
        names = [p.path for p in nonfinite_gradients(params)]
        head = (f"{who}: the gradient became non-finite at {where} while the loss, "
                f"{loss_value:.3g}, was still finite: training is diverging; the weights "
                f"with non-finite gradients are {names[:5]}")
        name = None
    else:
        name, cls = first_nonfinite_layer(model, inputs)
        if name is not None:
            culprit = (f"the first layer whose output is not finite is {cls} '{name}' (the "
                       "layers before it gave finite outputs)")
        else:
            culprit = ("every layer's output is finite, so the loss function itself (or a "
                       "weight penalty) produced it: e.g. the log of a probability of exactly "
                       "0, or a squared error that overflows float32")
        head = f"{who}: the training loss became {loss_value} at {where}; {culprit}"
    bad_weights = [p.path for p in params if _not_finite(p)]
    if bad_weights:
        kept = (f"The update of this step was not applied, but the weights {bad_weights[:5]} "
                "were already not finite: an earlier update overflowed while its loss was "
                "still finite (restore a checkpoint, e.g. from ModelCheckpoint)")
    else:
        kept = ("The update of this step was not applied: the weights are those of the last "
                "finite step")
    return f"{head}. {kept}. The {CAUSES}", name


class StateBackup:
    """A copy of the non-trainable weights (BatchNormalization's moving statistics) taken
    before each step, so that a step with a non-finite loss can be undone completely. Models
    without such weights (most dense networks) pay nothing."""

    def __init__(self, model: Any) -> None:
        # state variables of layers that train; a frozen layer's weights do not change
        state = [v for layer in model._walk() if layer.trainable
                 for v in layer._own_non_trainable]
        self.pairs = [(v, v.data.copy()) for v in state]

    def save(self) -> None:
        for v, buf in self.pairs:
            buf[...] = v.data

    def restore(self) -> None:
        for v, buf in self.pairs:
            v.data[...] = buf
            v._version += 1
