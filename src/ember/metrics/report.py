"""``classification_report``: precision, recall, F1 and support per class and averaged, as
scikit-learn's text table (or a dict).

Example:
    >>> import ember as em
    >>> print(em.metrics.sklearn.classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1],
    ...                                        target_names=["class 0", "class 1", "class 2"]))
                  precision    recall  f1-score   support
    <BLANKLINE>
         class 0       0.50      1.00      0.67         1
         class 1       0.00      0.00      0.00         1
         class 2       1.00      0.67      0.80         3
    <BLANKLINE>
        accuracy                           0.60         5
       macro avg       0.50      0.56      0.49         5
    weighted avg       0.70      0.60      0.61         5
    <BLANKLINE>
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.metrics._targets import check_targets, to_numpy
from ember.metrics.classification import precision_recall_fscore_support

_HEADERS = ("precision", "recall", "f1-score", "support")


def classification_report(y_true: Any, y_pred: Any, *, labels: Any = None,
                          target_names: Any = None, sample_weight: Any = None,
                          digits: int = 2, output_dict: bool = False,
                          zero_division: Any = "warn") -> str | dict:
    """A table of precision, recall, F1 and support for each class, then the averages:
    "accuracy" (the micro average, when every class present is reported), "macro avg" and
    "weighted avg" (plus "micro avg" / "samples avg" where they differ from accuracy).

    ``target_names`` renames the rows; ``digits`` sets the decimals of the text table;
    ``output_dict=True`` returns ``{row: {"precision": ..., ...}, "accuracy": float}``.

    Example:
        >>> import ember as em
        >>> report = em.metrics.sklearn.classification_report(["a", "b", "b"], ["a", "b", "a"],
        ...                                           output_dict=True)
        >>> report["b"]["recall"], report["accuracy"]
        (0.5, 0.6666666666666666)
    """
    fname = "classification_report"
    kind, present, yt, yp, sw = check_targets(fname, y_true, y_pred, sample_weight)
    if labels is None:
        labels, given = present, False
    else:
        labels, given = to_numpy(labels), True
    micro_is_accuracy = kind in ("multiclass", "binary") and (
        not given or set(labels.tolist()) >= set(present.tolist()))
    if target_names is not None and len(labels) != len(target_names):
        if given:
            warnings.warn(f"{fname}: labels size, {len(labels)}, does not match size of "
                          f"target_names, {len(target_names)}", UserWarning, stacklevel=2)
        else:
            raise ValueError(f"{fname}: {len(labels)} classes but {len(target_names)} "
                             "target_names; pass labels= to choose the classes")
    if target_names is None:
        target_names = [f"{label}" for label in labels.tolist()]
    p, r, f1, s = precision_recall_fscore_support(
        yt, yp, labels=labels, average=None, sample_weight=sw, zero_division=zero_division)
    rows = list(zip(target_names, p, r, f1, s))
    averages = ("micro", "macro", "weighted") + (("samples",) if kind.startswith("multilabel")
                                                 else ())
    table: dict[str, Any] = {}
    for name, *scores in rows:
        table[name] = dict(zip(_HEADERS, [float(v) for v in scores]))
    support = float(np.sum(s))
    for average in averages:
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        ap, ar, af, _ = precision_recall_fscore_support(
            yt, yp, labels=labels, average=average, sample_weight=sw,
            zero_division=zero_division)
        table[heading] = dict(zip(_HEADERS, (float(ap), float(ar), float(af), support)))
    if output_dict:
        if "accuracy" in table:
            table["accuracy"] = table["accuracy"]["precision"]
        return table
    return _text(rows, table, np.sum(s), digits, averages, micro_is_accuracy)


def _text(rows: list, table: dict, support: Any, digits: int, averages: tuple,
          micro_is_accuracy: bool) -> str:
    width = max(max(len(str(r[0])) for r in rows), len("weighted avg"), digits)
    out = f"{'':>{width}s} " + "".join(f" {h:>9}" for h in _HEADERS) + "\n\n"
    for name, p, r, f1, s in rows:
        out += f"{str(name):>{width}s} " + "".join(f" {v:>9.{digits}f}" for v in (p, r, f1)) \
            + f" {s:>9}\n"
    out += "\n"
    for average in averages:
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        v = table[heading]
        if heading == "accuracy":
            out += f"{heading:>{width}s} " + f" {'':>9}" * 2 + \
                f" {v['f1-score']:>9.{digits}f} {support:>9}\n"
        else:
            out += f"{heading:>{width}s} " + "".join(
                f" {v[h]:>9.{digits}f}" for h in _HEADERS[:3]) + f" {support:>9}\n"
    return out
