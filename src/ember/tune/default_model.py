"""The model ``em.tune.search`` builds from a search-space dict: a multilayer perceptron.

``layers`` hidden Dense layers of ``units`` units (``activation``, optional ``l1``/``l2``
kernel penalties, ``batch_norm`` and ``dropout`` after each), then an output layer that fits
the task: one sigmoid unit (two classes), k softmax units (k classes) or one linear unit per
regression target; compiled with ``optimizer`` at ``learning_rate`` (the optimizer's default
when absent) and the matching loss, with accuracy reported for classification.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def infer_task(y: np.ndarray, task: str | None, who: str) -> tuple[str, np.ndarray, Any]:
    """``(task, y, classes)``: "binary", "multiclass" or "regression", with class labels
    encoded as 0..k-1 (``classes`` holds the originals)."""
    from ember.metrics.sklearn import type_of_target

    if task not in (None, "classification", "regression"):
        raise ValueError(f"{who}: task must be 'classification', 'regression' or None (from y);"
                         f" got {task!r}")
    if y.ndim == 2 and y.shape[1] > 1 and task != "regression" \
            and np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
        y = y.argmax(axis=1)  # one-hot rows -> class codes
    kind = type_of_target(y)
    if task is None:
        task = "classification" if kind in ("binary", "multiclass") else "regression"
    if task == "regression":
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{who}: task='regression' needs numeric y; got {y.dtype} labels")
        return "regression", y.astype(np.float32), None
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"{who}: task='classification' needs class labels, but y is {kind}")
    classes, codes = np.unique(y.reshape(len(y), -1)[:, 0], return_inverse=True)
    return ("binary" if len(classes) == 2 else "multiclass"), codes.astype(np.int64), classes


def build_default_model(params: dict, task: str, n_outputs: int, input_ndim: int = 2) -> Any:
    """A compiled MLP from resolved hyperparameters (see the module docstring)."""
    from ember import layers, optimizers, regularizers
    from ember.models import Sequential

    reg = None
    if params.get("l1") or params.get("l2"):
        reg = regularizers.L1L2(l1=params.get("l1", 0.0), l2=params.get("l2", 0.0))
    stack: list = [layers.Flatten()] if input_ndim > 2 else []
    for _ in range(int(params.get("layers", 1))):
        stack.append(layers.Dense(int(params.get("units", 32)),
                                  activation=params.get("activation", "relu"),
                                  kernel_regularizer=reg))
        if params.get("batch_norm"):
            stack.append(layers.BatchNormalization())
        if params.get("dropout"):
            stack.append(layers.Dropout(float(params["dropout"])))
    if task == "binary":
        stack.append(layers.Dense(1, activation="sigmoid"))
        loss, metrics = "binary_crossentropy", ["accuracy"]
    elif task == "multiclass":
        stack.append(layers.Dense(n_outputs, activation="softmax"))
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    else:
        stack.append(layers.Dense(n_outputs))
        loss, metrics = "mse", ["mae"]
    opt_cls = type(optimizers.get(params.get("optimizer", "adam")))
    opt = opt_cls(learning_rate=float(params["learning_rate"])) if "learning_rate" in params \
        else opt_cls()
    model = Sequential(stack)
    model.compile(optimizer=opt, loss=loss, metrics=metrics)
    return model
