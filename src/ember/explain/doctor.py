"""The training doctor's rules: turn per-layer measurements (``probe``), step sizes and the
learning curves into ``Finding``s, and ``diagnose`` a run or a model.

Thresholds (the rules of thumb the course teaches):

- vanishing gradient: a layer's ``||dL/dW|| / ||W||`` is below 1/1000 of the last layer's;
  exploding: above 1000 times the last layer's, or not finite;
- dead ReLU: more than half of a ReLU layer's units output 0 for every probe sample;
- saturated sigmoid/tanh: more than half of the outputs within 0.01 of the asymptotes;
- learning rate: one optimizer step changes a kernel by more than 30 % of its norm (too high;
  about 0.1-1 % is healthy) or by less than 1e-7 of it, or not at all while the gradients are
  not zero (too low); a training loss that grows epoch after epoch also means too high;
- NaN/inf: the input holds it, or the first layer whose output became non-finite.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember.explain.findings import Finding, curve_findings
from ember.explain.probe import LayerStats, run_probe

VANISH, EXPLODE = 1e-3, 1e3
DEAD, SATURATED = 0.5, 0.5
STEP_HIGH, STEP_LOW = 0.3, 1e-7


def layer_findings(stats: list[LayerStats], epoch: int | None = None) -> list[Finding]:
    """Findings from one probe's per-layer statistics."""
    found: list[Finding] = []
    with_grad = [s for s in stats if s.grad_ratio is not None]
    non_finite = [s for s in with_grad if not math.isfinite(s.grad_norm)]
    if non_finite:
        found.append(Finding("exploding_gradient",
                             f"the gradient of layer '{non_finite[0].name}' is not finite "
                             "(inf or NaN)", layer=non_finite[0].name, epoch=epoch))
    elif len(with_grad) >= 2 and with_grad[-1].grad_ratio > 0:
        ref = with_grad[-1]
        rel = [(s, s.grad_ratio / ref.grad_ratio) for s in with_grad[:-1]]
        small = [(s, r) for s, r in rel if r < VANISH]
        big = [(s, r) for s, r in rel if r > EXPLODE]
        if small:
            s, r = small[0]
            found.append(Finding(
                "vanishing_gradient",
                f"layer '{s.name}' ({s.kind}, {s.activation or 'linear'}) gets a gradient "
                f"{r:.1e} times as strong as the last layer '{ref.name}' (||dL/dW||/||W|| = "
                f"{s.grad_ratio:.1e} vs {ref.grad_ratio:.1e}); {len(small)} of "
                f"{len(with_grad)} layers learn almost nothing",
                layer=s.name, epoch=epoch,
                evidence={"ratio_to_last": r, "layers": [t.name for t, _ in small]}))
        if big:
            s, r = big[0]
            found.append(Finding(
                "exploding_gradient",
                f"layer '{s.name}' gets a gradient {r:.1e} times as strong as the last layer "
                f"'{ref.name}': gradients grow on the way back to the input",
                layer=s.name, epoch=epoch, evidence={"ratio_to_last": r}))
    for s in stats:
        if s.dead_fraction is not None and s.dead_fraction > DEAD:
            found.append(Finding(
                "dead_relu",
                f"{s.dead_fraction:.0%} of the ReLU units of layer '{s.name}' output 0 for "
                "every probe sample: they get no gradient and will not recover",
                layer=s.name, epoch=epoch, evidence={"dead_fraction": s.dead_fraction}))
        if s.saturated_fraction is not None and s.saturated_fraction > SATURATED:
            found.append(Finding(
                "saturated_units",
                f"{s.saturated_fraction:.0%} of the {s.activation} outputs of layer '{s.name}' "
                "sit at the flat ends of the curve, where the gradient is nearly 0",
                layer=s.name, epoch=epoch,
                evidence={"saturated_fraction": s.saturated_fraction}))
    return found


def step_findings(ratios: dict[str, float], epoch: int | None = None,
                  has_gradient: bool = False) -> list[Finding]:
    """Findings from one optimizer step's update-to-weight ratios (layer name -> ratio);
    ``has_gradient``: the probe saw non-zero gradients (so a step of exactly 0 was lost below
    float precision rather than having nothing to follow)."""
    if not ratios:
        return []
    finite = {k: v for k, v in ratios.items() if math.isfinite(v)}
    if len(finite) < len(ratios):
        name = next(k for k in ratios if k not in finite)
        return [Finding("learning_rate_too_high",
                        f"one step made the weights of layer '{name}' non-finite",
                        layer=name, epoch=epoch)]
    name, top = max(finite.items(), key=lambda kv: kv[1])
    if top > STEP_HIGH:
        return [Finding(
            "learning_rate_too_high",
            f"one optimizer step changed the kernel of layer '{name}' by {top:.0%} of its size "
            "(about 0.1-1 % is healthy): the steps overshoot",
            layer=name, epoch=epoch, evidence={"update_ratio": top, "ratios": finite})]
    low_name, low = min(finite.items(), key=lambda kv: kv[1])
    if top == 0 and has_gradient:
        return [Finding(
            "learning_rate_too_low",
            "one optimizer step left every kernel exactly unchanged although the gradients are "
            "not zero: the steps are below float precision", layer=low_name, epoch=epoch,
            evidence={"update_ratio": 0.0})]
    if 0 < top < STEP_LOW:  # exactly 0 without gradients: dead units, not a small step
        return [Finding(
            "learning_rate_too_low",
            f"one optimizer step changes the kernels by at most {top:.1e} of their size "
            f"(layer '{low_name}': {low:.1e}); training will crawl",
            layer=low_name, epoch=epoch, evidence={"update_ratio": top})]
    return []


def non_finite_finding(info: dict, epoch: int | None, step: int | None,
                       loss_before: float | None = None) -> Finding:
    """Explain where a NaN/inf loss came from (``probe.first_non_finite``'s answer)."""
    when = "" if epoch is None else f" at epoch {epoch + 1}" + \
        ("" if step is None else f", batch {step}")
    if info is None:
        return Finding("non_finite",
                       f"the loss became NaN/inf{when} although every layer's output was "
                       "finite: the loss itself failed (e.g. log(0) of a probability of "
                       "exactly 0; use from_logits=True)", epoch=epoch)
    if info["where"] == "input":
        rows = info["rows"]
        return Finding(
            "nan_input",
            f"the input batch{when} holds {'NaN' if info['nan'] else 'inf'} (in sample rows "
            f"{rows[:5]}{'...' if len(rows) > 5 else ''} of the batch): one such value makes "
            "the loss, then every gradient and weight, NaN",
            layer=None, epoch=epoch, evidence=info)
    what = "NaN" if info["nan"] else "inf"
    if not info["weights_finite"]:
        why = ("its weights were already non-finite: an earlier update was (a learning rate "
               "too high or an exploding gradient)")
    elif info["input_finite"]:
        why = (f"from finite inputs (largest |input| {info.get('input_max', float('nan')):.3g}):"
               " the values overflowed float32 — they grew layer after layer (exploding "
               "activations: weights too large for the depth, or a learning rate too high)")
    else:
        why = "its input was already non-finite"
    growth = "" if loss_before is None else f" (the loss was {loss_before:.4g} before)"
    return Finding(
        "non_finite",
        f"the loss became {what}{when}{growth}; the first layer whose output was {what} is "
        f"'{info['layer']}' ({info['kind']}): {info['op']} produced it, {why}",
        layer=info["layer"], epoch=epoch, evidence=info)


def rising_loss_finding(loss: list[float]) -> Finding | None:
    """A training loss that rose two epochs in a row, or is far above where it started."""
    vals = [float(v) for v in loss]
    if len(vals) >= 2 and all(math.isfinite(v) for v in vals):
        if (len(vals) >= 3 and vals[-1] > vals[-2] > vals[-3]) or vals[-1] > 1.5 * vals[0]:
            return Finding("learning_rate_too_high",
                           f"the training loss rose from {vals[0]:.4g} to {vals[-1]:.4g}: the "
                           "steps overshoot the minimum", evidence={"loss": vals})
    return None


def merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, layer): the first time it was seen, with the latest evidence.
    A learning rate found too high at some point is not also called too low later (the
    overshooting steps killed the units, so later steps are small)."""
    if any(f.kind == "learning_rate_too_high" for f in findings):
        findings = [f for f in findings if f.kind != "learning_rate_too_low"]
    out: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.kind, f.layer)
        if key in out:
            first = out[key].epoch
            out[key] = f
            f.epoch = first if first is not None else f.epoch
        else:
            out[key] = f
    return list(out.values())


def diagnose(history_or_model: Any, x: Any = None, y: Any = None) -> list[Finding]:
    """What went wrong in a run, in plain words with the fix: from a ``History`` (or its
    ``.history`` dict), or from a model (its last run's history, what an ``em.callbacks.Doctor``
    saw during it, and — given a batch ``x, y`` — a probe of its layers now). An empty list
    means a healthy run.

    Example:
        >>> import ember as em
        >>> h = {"loss": [2.3, 2.3, 2.3, 2.29], "accuracy": [0.11, 0.11, 0.12, 0.11]}
        >>> [f.kind for f in em.explain.diagnose(h)]
        ['underfitting']
    """
    model, hist = None, None
    if isinstance(history_or_model, dict):
        hist = history_or_model
    elif isinstance(getattr(history_or_model, "history", None), dict):
        hist = history_or_model.history  # a History
        model = getattr(history_or_model, "model", None)
    elif hasattr(history_or_model, "layers") or hasattr(history_or_model, "_walk"):
        model = history_or_model
        h = getattr(model, "history", None)
        hist = getattr(h, "history", None) if h is not None else None
    else:
        raise TypeError(f"diagnose: expected a History, its .history dict or a model; got "
                        f"{type(history_or_model).__name__}")
    found: list[Finding] = []
    doctor = getattr(model, "doctor", None) if model is not None else None
    if doctor is not None:
        found.extend(doctor.findings)
    if hist:
        found.extend(curve_findings(hist))
        rising = rising_loss_finding(hist.get("loss", []))
        if rising is not None:
            found.append(rising)
        bad = [v for v in hist.get("loss", []) if not math.isfinite(float(v))]
        if bad and not any(f.kind in ("non_finite", "nan_input") for f in found):
            found.append(Finding("non_finite", "the training loss became NaN/inf (run with "
                                 "em.callbacks.Doctor() to learn where it started)"))
    if x is not None:
        if model is None:
            raise ValueError("diagnose: probing a batch x needs a model, not a History")
        stats, _, bad_info = run_probe(model, np.asarray(x), y)
        found.extend(layer_findings(stats))
        if bad_info is not None:
            found.append(non_finite_finding(bad_info, None, None))
    return merge(found)
