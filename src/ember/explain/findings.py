"""What the training doctor says: a ``Finding`` (one problem, in plain words, with the fix the
course teaches), and the findings read from the learning curves alone (over- and underfitting,
a plateau)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

FIXES = {
    "vanishing_gradient": "use ReLU (or LeakyReLU/ELU) in the hidden layers instead of sigmoid "
                          "or tanh, He or Glorot initialisation, batch normalization, residual "
                          "connections, or fewer layers",
    "exploding_gradient": "lower the learning rate, clip gradients (optimizer clipnorm= or "
                          "clipvalue=), use Glorot/He initialisation and batch normalization",
    "dead_relu": "lower the learning rate, use He initialisation, try LeakyReLU or ELU, and "
                 "check that the inputs are scaled (e.g. to [0, 1])",
    "saturated_units": "scale the inputs (standardise them), use Glorot initialisation, a lower "
                       "learning rate, batch normalization, or ReLU in the hidden layers",
    "learning_rate_too_high": "divide the learning rate by 10 (or use Adam with its default "
                              "1e-3), add gradient clipping, or a learning-rate schedule",
    "learning_rate_too_low": "multiply the learning rate by 10, or use Adam",
    "non_finite": "lower the learning rate, clip gradients, scale the inputs, and make sure "
                  "nothing takes log(0) or divides by zero (use from_logits=True losses)",
    "nan_input": "clean the data before training: find the rows with np.isnan(x).any(axis=...) "
                 "(or np.isinf) and drop or fill them; check divisions in the preprocessing",
    "overfitting": "add dropout, L2 weight decay (kernel_regularizer), data augmentation or more "
                   "data; stop early (EarlyStopping(restore_best_weights=True)); or use a "
                   "smaller model",
    "underfitting": "use a bigger model (more units or layers), train for more epochs, raise the "
                    "learning rate, or reduce regularization",
    "plateau": "lower the learning rate when the loss stalls (ReduceLROnPlateau or a schedule), "
               "or stop (EarlyStopping) if the validation loss no longer improves",
}


@dataclass
class Finding:
    """One problem the doctor found: ``kind`` (a key of ``FIXES``), the layer it concerns
    (None for the whole run), what it saw in plain words, the fix, and the numbers behind it.

    Example:
        >>> f = Finding("plateau", "the loss stopped improving after epoch 3")
        >>> print(f)
        plateau: the loss stopped improving after epoch 3
          fix: lower the learning rate when the loss stalls (ReduceLROnPlateau or a ...
    """

    kind: str
    message: str
    layer: str | None = None
    epoch: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    def __post_init__(self) -> None:
        if not self.fix:
            self.fix = FIXES.get(self.kind, "")

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}\n  fix: {self.fix}"


def _finite(values: list) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def curve_findings(history: dict[str, list], min_epochs: int = 3) -> list[Finding]:
    """Over- and underfitting and a plateau, from ``history.history``'s per-epoch values.

    - overfitting: the validation loss rose more than 5 % above its minimum (and for at least
      two epochs after it) while the training loss kept falling;
    - underfitting (4 epochs or more): the training loss is high and flat — it improved by
      less than 5 % over the last half of the run and training accuracy (where logged) is
      below 80 %, or else the loss is still above half its first value;
    - plateau: the training loss changed by less than 1 % over the last three epochs while it
      is still far from zero (and the run is not simply underfitting).

    Example:
        >>> h = {"loss": [1.0, 0.5, 0.3, 0.2, 0.1], "val_loss": [1.0, 0.6, 0.7, 0.8, 0.9]}
        >>> [f.kind for f in curve_findings(h)]
        ['overfitting']
    """
    loss = _finite(history.get("loss", []))
    found: list[Finding] = []
    n = len(loss)
    if n < min_epochs:
        return found
    val = _finite(history.get("val_loss", []))
    if len(val) >= min_epochs:
        best = min(range(len(val)), key=val.__getitem__)
        rising = len(val) - 1 - best
        if rising >= 2 and val[-1] > val[best] * 1.05 and loss[-1] < loss[min(best, n - 1)]:
            found.append(Finding(
                "overfitting",
                f"the validation loss was lowest at epoch {best + 1} ({val[best]:.4g}) and rose "
                f"to {val[-1]:.4g} while the training loss fell to {loss[-1]:.4g}: the model "
                "is memorising the training set",
                evidence={"best_val_epoch": best, "val_loss": val[-1], "loss": loss[-1]}))
    half = loss[n // 2:] if n >= 4 else loss[-2:]
    improvement = (half[0] - half[-1]) / max(abs(half[0]), 1e-12)
    acc = _finite(history.get("accuracy", history.get("acc", [])))
    high = acc[-1] < 0.8 if acc else loss[-1] > 0.5 * loss[0]
    if improvement < 0.05 and high and n >= 4:
        what = f"training accuracy {acc[-1]:.1%}" if acc else f"training loss {loss[-1]:.4g}"
        found.append(Finding(
            "underfitting",
            f"the training loss is high and flat ({what}; it improved by "
            f"{max(improvement, 0):.1%} over the last {len(half)} epochs): the model cannot "
            "fit even the training data",
            evidence={"loss": loss[-1], "improvement": improvement,
                      "accuracy": acc[-1] if acc else None}))
    elif n >= 5 and not any(f.kind == "overfitting" for f in found):
        last = loss[-3:]
        change = abs(last[0] - last[-1]) / max(abs(last[0]), 1e-12)
        if change < 0.01 and loss[-1] > 0.05 * loss[0] and loss[-1] > 1e-3:
            found.append(Finding(
                "plateau",
                f"the training loss has stayed at {loss[-1]:.4g} (changing {change:.2%}) for "
                "the last 3 epochs",
                evidence={"loss": loss[-1], "change": change}))
    return found
